"""Live updates inside one app process: the console's queue and conversation views and the
customer's conversation stream subscribe to topics; the router and the agent desk publish.

Topics: `queue` (escalations changed), `conversation:<id>` (what the customer sees) and
`staff:<id>` (notes, delivery states: staff only). Subscribers only learn *that* something changed
and fetch the new state themselves, so a dropped event costs a refresh, never data. Several app
replicas would put Redis pub/sub behind this same interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

QUEUE = "queue"
# Every change of a conversation's status, for channels that mirror it (WeCom's service_state).
STATUS = "status"


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
    def __init__(self, queue_size: int = 100) -> None:
        self._subscriptions: set[Subscription] = set()
        self._size = queue_size

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        event = Event(topic, kind, data)
        for subscription in list(self._subscriptions):
            if topic in subscription.topics:
                subscription.offer(event)

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
