"""The interface every channel adapter implements, and how the app finds the configured ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter

from desk.outbox import Outgoing

if TYPE_CHECKING:
    from api.deps import Runtime


class ChannelAdapter(Protocol):
    """A platform the customers write on.

    `name` is the conversation channel it serves (`Conversation.channel`); `router` holds its
    webhook routes (included only when the channel is configured, so an unconfigured channel's
    paths answer 404). `start` runs when the app has its runtime (background tasks: a sync loop, a
    token refresher); `deliver` sends one outgoing message and raises to have it retried."""

    name: str
    router: APIRouter

    async def start(self, runtime: Runtime) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...
