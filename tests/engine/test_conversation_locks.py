"""The conversation locks (engine/conversation_locks.py): one holder per conversation at a time, in
this process (`LocalLocks`) or in every replica through a real Redis (`RedisLocks`, skipped with the
reason when none answers at TEST_REDIS_URL); a waiter gives up after its wait; a dead holder's Redis
lock expires; a Redis that does not answer falls back to this process's lock."""

from __future__ import annotations

import asyncio
import gc
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis

from engine.conversation_locks import ConversationLocks, LocalLocks, LockTimeout, RedisLocks
from tests.engine.test_redis_events import REDIS_URL, redis_reason


@pytest.fixture(params=["local", "redis"])
async def make_locks(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], ConversationLocks]]:
    """Locks as one replica has them; each call another replica's (sharing Redis, or, in-process, the same
    `LocalLocks`: one process's tasks)."""
    made: list[ConversationLocks] = []
    if request.param == "local":
        shared = LocalLocks()
        yield lambda: shared
        return
    if reason := redis_reason():
        pytest.skip(reason)
    prefix = f"test-locks-{uuid.uuid4().hex[:12]}"

    def replica() -> ConversationLocks:
        made.append(RedisLocks(REDIS_URL, prefix))
        return made[-1]

    yield replica
    for locks in made:
        await locks.close()


async def test_one_holder_at_a_time_and_the_others_in_turn(make_locks: Callable[[], ConversationLocks]) -> None:
    replicas = [make_locks() for _ in range(3)]
    inside: list[str] = []
    overlaps = 0

    async def turn(locks: ConversationLocks, name: str) -> None:
        nonlocal overlaps
        async with locks.hold("c-1", wait=10):
            overlaps += len(inside)
            inside.append(name)
            await asyncio.sleep(0.02)
            inside.remove(name)

    await asyncio.gather(*(turn(replicas[i % 3], f"t{i}") for i in range(12)))
    assert overlaps == 0


async def test_other_conversations_are_not_held_up(make_locks: Callable[[], ConversationLocks]) -> None:
    first, second = make_locks(), make_locks()
    async with first.hold("c-1", wait=1):
        started = time.monotonic()
        async with second.hold("c-2", wait=1):
            assert time.monotonic() - started < 0.5


async def test_a_waiter_gives_up_after_its_wait_and_the_lock_is_free_afterwards(
    make_locks: Callable[[], ConversationLocks],
) -> None:
    first, second = make_locks(), make_locks()
    async with first.hold("c-1", wait=1):
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            async with second.hold("c-1", wait=0.2):
                pytest.fail("held twice")
        assert 0.15 < time.monotonic() - started < 2
        with pytest.raises(LockTimeout):  # no wait at all: only a free lock is taken
            async with second.hold("c-1", wait=0):
                pytest.fail("held twice")
    async with second.hold("c-1", wait=0.5):
        pass


async def test_a_lock_is_let_go_when_the_block_fails(make_locks: Callable[[], ConversationLocks]) -> None:
    locks = make_locks()
    with pytest.raises(ValueError):
        async with locks.hold("c-1", wait=1):
            raise ValueError("the turn failed")
    async with make_locks().hold("c-1", wait=0.5):
        pass


async def test_a_cancelled_waiter_leaves_the_lock_to_the_next() -> None:
    locks = LocalLocks()
    order: list[str] = []

    async def turn(name: str) -> None:
        async with locks.hold("c-1", wait=math.inf):
            order.append(name)
            await asyncio.sleep(0.05)

    holder = asyncio.create_task(turn("first"))
    await asyncio.sleep(0.01)
    cancelled, waiting = asyncio.create_task(turn("cancelled")), asyncio.create_task(turn("next"))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.gather(holder, waiting, return_exceptions=True)
    assert order == ["first", "next"]


async def test_local_locks_are_kept_only_while_used() -> None:
    locks = LocalLocks()
    for number in range(100):
        async with locks.hold(f"c-{number}", wait=1):
            pass
    gc.collect()
    assert len(locks) == 0


async def test_a_dead_holders_redis_lock_expires() -> None:
    if reason := redis_reason():
        pytest.skip(reason)
    prefix = f"test-locks-{uuid.uuid4().hex[:12]}"
    dead, alive = RedisLocks(REDIS_URL, prefix, lock_seconds=0.5), RedisLocks(REDIS_URL, prefix)
    try:
        # A holder that never lets go (its process killed mid-turn): the key is all that is left of it.
        holding = dead.hold("c-1", wait=1)
        await holding.__aenter__()
        started = time.monotonic()
        async with alive.hold("c-1", wait=5):
            assert 0.2 < time.monotonic() - started < 3
    finally:
        await dead.close()
        await alive.close()


async def test_redis_away_falls_back_to_this_process() -> None:
    locks = RedisLocks("redis://127.0.0.1:1/0", "test-locks-away")  # nothing listens on port 1
    try:
        inside = 0

        async def turn() -> None:
            nonlocal inside
            async with locks.hold("c-1", wait=5):
                inside += 1
                assert inside == 1
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(turn(), turn(), turn())
    finally:
        await locks.close()


async def test_redis_locks_live_under_the_deployments_prefix() -> None:
    if reason := redis_reason():
        pytest.skip(reason)
    prefix = f"test-locks-{uuid.uuid4().hex[:12]}"
    locks = RedisLocks(REDIS_URL, prefix)
    try:
        with redis.Redis.from_url(REDIS_URL) as client:
            async with locks.hold("c-1", wait=1):
                assert client.exists(f"{prefix}:conversation-lock:c-1") == 1
                assert 0 < client.pttl(f"{prefix}:conversation-lock:c-1") <= 60_000
            assert client.exists(f"{prefix}:conversation-lock:c-1") == 0
    finally:
        await locks.close()
