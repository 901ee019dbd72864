"""Live updates shared by several app replicas through Redis pub/sub (on when `APP_REDIS_URL` is set).

`RedisEventBus` is an `EventBus` (engine/events.py), so its callers do not change: `publish` stays
synchronous. An event is delivered to this process's subscribers at once and queued for a
background task that publishes it on one Redis channel, `<prefix>:events`; every replica listens on
that channel and delivers the other replicas' events to its own subscribers. Each event carries its
origin replica's id, so a replica never delivers its own event twice.

Redis going away never stops the app. Both tasks log it (`event_bus_redis_lost`), wait with a
growing backoff (0.5 s, doubling, at most 30 s) and connect again (`event_bus_redis_connected`).
Events published meanwhile wait in a bounded queue (the oldest are dropped when it is full) and go
out once Redis is back; events other replicas published while this one was cut off are lost, so
once it hears the others again it gives each of its subscribers a `resync` event: the web chat's
sockets fetch what they missed (an agent's reply stored by another replica meanwhile) at once, and
a console at its next event or reload. A dropped event costs a refresh, never data.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections import deque
from contextlib import suppress
from typing import Any

import structlog
from redis.asyncio import Redis

from engine.events import Event, EventBus

log = structlog.get_logger(__name__)

# How long a reconnection waits: the first time, then twice as long each time, at most the longest.
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0
# Events waiting for Redis to come back (beyond it, the oldest are dropped).
OUTGOING_LIMIT = 10_000
# A Redis that does not answer within this long counts as gone; an idle subscription is pinged this often.
REDIS_TIMEOUT_SECONDS = 5.0
HEALTH_CHECK_SECONDS = 5
# How long one wait for a published message lasts (then the connection's health is checked).
RECEIVE_POLL_SECONDS = 1.0


def replica_id() -> str:
    """This process among the replicas: host, process id and a random part (a restarted process with
    a recycled pid is another replica)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def encode(origin: str, event: Event) -> str:
    return json.dumps(
        {"origin": origin, "topic": event.topic, "kind": event.kind, "data": event.data},
        ensure_ascii=False,
        default=str,  # enums and the like: subscribers read them as the strings they are
    )


def decode(raw: str | bytes) -> tuple[str, Event] | None:
    """The origin and the event of a message on the channel; None for anything else."""
    try:
        message = json.loads(raw)
        origin, topic, kind, data = message["origin"], message["topic"], message["kind"], message["data"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(origin, str) and isinstance(topic, str) and isinstance(kind, str) and isinstance(data, dict)):
        return None
    return origin, Event(topic, kind, data)


class Backoff:
    def __init__(self, first: float, longest: float) -> None:
        self._first = first
        self._longest = longest
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._longest)
        return delay

    def reset(self) -> None:
        self._next = self._first


class RedisEventBus(EventBus):
    """Events of every replica that shares `url` and `prefix`, for this process's subscribers."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "lumio",
        queue_size: int = 100,
        outgoing_limit: int = OUTGOING_LIMIT,
        first_retry: float = FIRST_RETRY_SECONDS,
        longest_retry: float = LONGEST_RETRY_SECONDS,
    ) -> None:
        super().__init__(queue_size)
        self.channel = f"{prefix}:events"
        self.replica = replica_id()
        self._url = url
        self._outgoing: deque[str] = deque(maxlen=outgoing_limit)
        self._wake = asyncio.Event()
        self._listening = asyncio.Event()
        self._retry = (first_retry, longest_retry)
        self._client: Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Events dropped because the outgoing queue was full (Redis away too long).
        self.dropped = 0

    @property
    def listening(self) -> bool:
        """Subscribed to the channel now (other replicas' events arrive)."""
        return self._listening.is_set()

    async def wait_listening(self, timeout: float) -> None:
        await asyncio.wait_for(self._listening.wait(), timeout)

    async def start(self) -> None:
        self._client = Redis.from_url(
            self._url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=HEALTH_CHECK_SECONDS,
            client_name=f"lumio-events:{self.replica}",
        )
        self._tasks = [
            asyncio.create_task(self._send(self._client), name="event-bus-send"),
            asyncio.create_task(self._receive(self._client), name="event-bus-receive"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._listening.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        event = Event(topic, kind, data)
        self.deliver(event)
        if len(self._outgoing) == self._outgoing.maxlen:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("event_bus_events_dropped", dropped=self.dropped, waiting=len(self._outgoing))
        self._outgoing.append(encode(self.replica, event))
        self._wake.set()

    async def _send(self, client: Redis) -> None:
        """Publish the queued events in order, each until Redis takes it."""
        backoff = Backoff(*self._retry)
        failing = False
        pending: str | None = None
        while True:
            if pending is None:
                if not self._outgoing:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                pending = self._outgoing.popleft()
            try:
                await client.publish(self.channel, pending)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away (or refusing): keep the event, wait, try again
                failing = True
                delay = backoff.next()
                log.warning("event_bus_redis_lost", side="publish", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            pending = None
            if failing:
                failing = False
                backoff.reset()
                log.info("event_bus_redis_connected", side="publish", channel=self.channel)

    async def _receive(self, client: Redis) -> None:
        """Deliver the other replicas' events to this process's subscribers, subscribed again after
        every loss of the connection."""
        backoff = Backoff(*self._retry)
        cut_off = False
        while True:
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._listening.set()
                    backoff.reset()
                    log.info("event_bus_redis_connected", side="subscribe", channel=self.channel)
                    if cut_off:  # the others' events of the gap are lost: subscribers refetch
                        self.resync()
                        cut_off = False
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=RECEIVE_POLL_SECONDS)
                        if message is not None and message.get("type") == "message":
                            self._received(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never let a lost connection end the live updates
                self._listening.clear()
                cut_off = True
                delay = backoff.next()
                log.warning("event_bus_redis_lost", side="subscribe", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)

    def _received(self, raw: str | bytes) -> None:
        decoded = decode(raw)
        if decoded is None:
            log.warning("event_bus_message_unreadable", channel=self.channel)
            return
        origin, event = decoded
        if origin != self.replica:  # this replica's own were delivered when published
            self.deliver(event)
