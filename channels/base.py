"""The interface every channel adapter implements, and how the app finds the configured ones."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI

from desk.outbox import Outgoing
from engine.port import AssistantPort


class ChannelAdapter(Protocol):
    """A platform the customers write on.

    `name` is the conversation channel it serves (`Conversation.channel`). `install` adds its
    routes (or an ASGI mount) to the app; only configured channels are installed, so an unconfigured
    channel's paths answer 404. `start` runs when the assistant is up and hands the adapter its port
    (the only way it reaches the assistant; background tasks start here: a sync loop, a token
    refresher); `deliver` sends one outgoing message and raises to have it retried with backoff."""

    name: str

    def install(self, app: FastAPI) -> None: ...

    async def start(self, port: AssistantPort) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...
