"""One conversation's turns go to Rasa one at a time, in every replica together.

A turn holds its conversation's lock while it sends messages to Rasa and stores the replies
(engine/turns.py); the retry loop holds it while it answers a conversation's waiting messages. Two
implementations behind one interface (`ConversationLocks.hold`):

- `LocalLocks` (one process, `APP_REDIS_URL` unset): an `asyncio.Lock` per conversation, kept only
  while someone holds or waits for it (a weak dictionary: no bound to manage, no growth).
- `RedisLocks` (several replicas): redis-py's lock (`SET NX PX` with a random token, released by a
  script that checks the token) under `<APP_REDIS_PREFIX>:conversation-lock:<id>`. It expires after
  `desk.conversations.STALE_PROCESSING` (60 s), longer than a turn may last (`engine.turns.TURN_DEADLINE`
  plus its writes), so a replica that died holding it stops no conversation for longer than its
  message's claim would. A Redis that does not answer falls back to this process's lock (logged
  `conversation_lock_unavailable`): turns go on, ordered in this process and by the database's check
  of earlier messages (engine/turns.py), the race between two replicas reopened until Redis is back.

`hold(conversation_id, wait)` waits at most `wait` seconds (the turn's time left) and raises
`LockTimeout` when the lock stayed taken.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from desk.conversations import STALE_PROCESSING

log = structlog.get_logger(__name__)

# How long a Redis lock outlives its holder: a live turn ends before its message's claim lapses.
LOCK_SECONDS = STALE_PROCESSING.total_seconds()
# How often a waiter asks Redis again (redis-py polls; the default 0.1 s would add that to a wait).
POLL_SECONDS = 0.01
# A Redis that does not answer within this long counts as gone for this turn.
REDIS_TIMEOUT_SECONDS = 2.0


class LockTimeout(RuntimeError):
    """The conversation's lock stayed taken for as long as the caller could wait."""


class ConversationLocks(Protocol):
    def hold(self, conversation_id: str, wait: float) -> AbstractAsyncContextManager[None]:
        """Hold the conversation's lock inside the block; wait at most `wait` seconds for it
        (`math.inf`: as long as it takes) and raise `LockTimeout` past that."""
        ...

    async def close(self) -> None: ...


class LocalLocks:
    """One process's locks: each conversation's, while a task holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, conversation_id: str, wait: float) -> AsyncIterator[None]:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        try:
            # Cancellation-safe: a lock handed over as the time ran out is passed on, not kept.
            async with asyncio.timeout(None if math.isinf(wait) else max(wait, 0.0)):
                await lock.acquire()
        except TimeoutError:
            raise LockTimeout(f"conversation {conversation_id} stayed locked for {wait:.1f}s") from None
        try:
            yield
        finally:
            lock.release()

    async def close(self) -> None:
        return None


class RedisLocks:
    """The replicas' locks, in the Redis they share."""

    def __init__(self, url: str, prefix: str, *, lock_seconds: float = LOCK_SECONDS) -> None:
        self._redis = Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._prefix = prefix
        self._lock_seconds = lock_seconds
        # When Redis does not answer: this process's turns are still ordered among themselves.
        self._fallback = LocalLocks()

    def name(self, conversation_id: str) -> str:
        return f"{self._prefix}:conversation-lock:{conversation_id}"

    @asynccontextmanager
    async def hold(self, conversation_id: str, wait: float) -> AsyncIterator[None]:
        lock = Lock(
            self._redis,
            self.name(conversation_id),
            timeout=self._lock_seconds,
            sleep=POLL_SECONDS,
            blocking=True,
            blocking_timeout=None if math.isinf(wait) else max(wait, 0.0),
            thread_local=False,  # one task's token: tasks share the thread
        )
        try:
            acquired = await lock.acquire()
        except RedisError as error:
            log.warning("conversation_lock_unavailable", conversation=conversation_id, error=str(error))
            async with self._fallback.hold(conversation_id, wait):
                yield
            return
        if not acquired:
            raise LockTimeout(f"conversation {conversation_id} stayed locked for {wait:.1f}s")
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError as error:  # it expired (a turn past its claim), or another holds it now
                log.warning("conversation_lock_lost", conversation=conversation_id, error=str(error))
            except RedisError as error:  # it expires by itself
                log.warning("conversation_lock_not_released", conversation=conversation_id, error=str(error))

    async def close(self) -> None:
        await self._redis.aclose()


def conversation_locks(redis_url: str | None, prefix: str) -> ConversationLocks:
    """This process's locks, or the ones the replicas share through Redis (`APP_REDIS_URL`)."""
    return LocalLocks() if redis_url is None else RedisLocks(redis_url, prefix)
