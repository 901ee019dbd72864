"""Pushing stored messages (agent replies, the CSAT question) to the customer's channel.

Each channel has one adapter behind the `Channel` protocol. The conversation API's own channel
delivers by publishing to the conversation's live stream: its transcript is the customer's mailbox.
Channels that call a third party (WeChat, Slack) raise `DeliveryFailed`, and the worker retries
with the outbox's backoff; the state is visible in the console. A conversation's messages go out in
order: the outbox holds a later one back while an earlier one is on its way, and a round stops
sending a conversation's messages at its first failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from typing import Protocol

import structlog

from desk.outbox import Outbox, Outgoing
from engine.blocking import run_blocking
from engine.events import EventBus, conversation_topic, staff_topic

log = structlog.get_logger(__name__)


class DeliveryFailed(RuntimeError):
    pass


class Channel(Protocol):
    async def deliver(self, message: Outgoing) -> None: ...


class LiveChannel:
    """The conversation API (and web chat): delivered once stored and announced to live listeners."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def deliver(self, message: Outgoing) -> None:
        self._bus.publish(conversation_topic(message.conversation_id), "message", message_id=message.message_id)


class DeliveryWorker:
    def __init__(self, outbox: Outbox, channels: Mapping[str, Channel], bus: EventBus) -> None:
        self._outbox = outbox
        self._channels = dict(channels)
        self._bus = bus
        self._wake = asyncio.Event()

    def add_channel(self, name: str, channel: Channel) -> None:
        self._channels[name] = channel

    def wake(self) -> None:
        self._wake.set()

    async def push(self, message_ids: list[int]) -> None:
        """Deliver already stored messages through their channel (with the outbox's retries)."""
        await run_blocking(self._outbox.enqueue, message_ids)
        self.wake()

    async def retry_waiting(self, conversation_id: str) -> None:
        """The conversation's messages waiting out their backoff are tried now (the customer wrote
        again, so the platform takes messages to them again)."""
        if await run_blocking(self._outbox.retry_waiting, conversation_id):
            self.wake()

    async def run(self, poll_seconds: float) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # the loop must outlive one bad round (e.g. the database restarting)
                log.exception("delivery_round_failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            self._wake.clear()

    async def deliver_due(self, message_id: int | None = None) -> int:
        due = await run_blocking(self._outbox.due, 50, message_id)
        delivered = 0
        # Conversations whose message failed in this round: their later ones wait (in order).
        held: set[str] = set()
        for message in due:
            if message.conversation_id in held:
                continue
            if not await run_blocking(self._outbox.take, message.message_id):
                held.add(message.conversation_id)
                continue  # another worker has it
            channel = self._channels.get(message.channel)
            try:
                if channel is None:
                    raise DeliveryFailed(f"no adapter is configured for the {message.channel!r} channel")
                await channel.deliver(message)
            except Exception as error:
                held.add(message.conversation_id)
                state = await run_blocking(self._outbox.attempt_failed, message.message_id, str(error))
                log.warning(
                    "delivery_failed",
                    conversation=message.conversation_id,
                    message=message.message_id,
                    attempts=state.attempts,
                    delivery=state.delivery,
                    error=str(error),
                )
            else:
                state = await run_blocking(self._outbox.delivered, message.message_id)
                delivered += 1
            self._bus.publish(
                staff_topic(message.conversation_id), "delivery", message_id=message.message_id, state=state.delivery
            )
        return delivered
