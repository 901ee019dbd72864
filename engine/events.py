"""Live updates: the console's queue and conversation views and the customer's conversation stream
subscribe to topics; the router and the agent desk publish.

Topics: `queue` (escalations changed), `status` (a conversation's status), `conversation:<id>`
(what the customer sees), `staff:<id>` (notes, delivery states: staff only) and `knowledge` (a
publication swapped the index). Subscribers only learn *that* something changed and fetch the new
state themselves, so a dropped event costs a refresh, never data.

`EventBus` is the interface and the in-process bus (one app process, the default). Several app
replicas share their events through Redis pub/sub behind this same interface
(`engine/redis_events.py`, on when `APP_REDIS_URL` is set).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

QUEUE = "queue"
# The kind of event a replica gives its own subscribers when its share of the other replicas' events
# comes back after an outage (engine/redis_events.py): anything may have changed meanwhile, refetch.
RESYNC = "resync"
# Every change of a conversation's status, for channels that mirror it (WeCom's service_state).
STATUS = "status"
# A knowledge-base publication swapped the index (every replica reloads it: KnowledgePublisher).
KNOWLEDGE = "knowledge"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def staff_topic(conversation_id: str) -> str:
    return f"staff:{conversation_id}"


@dataclass(frozen=True)
class Event:
    topic: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    def __init__(self, topics: frozenset[str], size: int) -> None:
        self.topics = topics
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)

    def offer(self, event: Event) -> None:
        if self._queue.full():
            # A slow reader loses the oldest notice; it refetches on the next one anyway.
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    async def next(self, timeout: float) -> Event | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None


class EventBus:
    """The events of this process, delivered to this process's subscribers. Publish from the event
    loop's thread (the subscriptions' queues are asyncio queues)."""

    def __init__(self, queue_size: int = 100) -> None:
        self._subscriptions: set[Subscription] = set()
        self._size = queue_size

    async def start(self) -> None:
        """Nothing to connect in one process (a shared bus connects here)."""

    async def close(self) -> None:
        """Nothing to let go of in one process."""

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        self.deliver(Event(topic, kind, data))

    def deliver(self, event: Event) -> None:
        """Hand `event` to this process's subscribers of its topic."""
        for subscription in list(self._subscriptions):
            if event.topic in subscription.topics:
                subscription.offer(event)

    def resync(self) -> None:
        """Tell every subscriber of every topic that it may have missed events (`RESYNC`)."""
        for subscription in list(self._subscriptions):
            for topic in subscription.topics:
                subscription.offer(Event(topic, RESYNC))

    @asynccontextmanager
    async def subscribe(self, topics: Iterable[str]) -> AsyncIterator[Subscription]:
        subscription = Subscription(frozenset(topics), self._size)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)


def announce_status(bus: EventBus, conversation_id: str, channel: str, status: str) -> None:
    bus.publish(STATUS, "status", conversation_id=conversation_id, channel=channel, status=status)
    bus.publish(conversation_topic(conversation_id), "status", status=status)
