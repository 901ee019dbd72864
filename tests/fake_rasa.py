"""One stand-in for Rasa's gateway (engine.rasa_gateway.RasaGateway) for the tests that run no Rasa.

Each test file gives the script: `reply(sender, message, metadata)` says what Rasa answers a message
and `resumed(sender, intent)` what it says when a conversation an agent had is resumed (either may
be async); both answer nothing by default. The fake records what reached it (`sent`, `slots`,
`resumptions`, and all of them in order in `calls`); `down` makes every call raise as an unreachable
Rasa does, and nothing refused is recorded; `delay` slows each answered `send` (after recording it).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, TypeVar

from engine.rasa_gateway import JSON, RasaUnavailable

Replies = list[JSON]
ReplyScript = Callable[[str, str, JSON], Replies | Awaitable[Replies]]
ResumeScript = Callable[[str, str], Replies | Awaitable[Replies]]


class Sent(NamedTuple):
    sender: str
    message: str
    metadata: JSON


class SlotSet(NamedTuple):
    sender: str
    name: str
    value: Any
    new_conversation: bool


class Resumption(NamedTuple):
    sender: str
    intent: str


Call = TypeVar("Call", Sent, SlotSet, Resumption)


def no_replies(*_: object) -> Replies:
    return []


class FakeRasa:
    def __init__(
        self,
        reply: ReplyScript = no_replies,
        *,
        resumed: ResumeScript = no_replies,
        down: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.reply = reply
        self.resumed = resumed
        self.down = down
        self.delay = delay
        self.sent: list[Sent] = []
        self.slots: list[SlotSet] = []
        self.resumptions: list[Resumption] = []
        self.calls: list[Sent | SlotSet | Resumption] = []

    async def send(self, sender: str, message: str, metadata: JSON) -> Replies:
        self.sent.append(self._reached(Sent(sender, message, metadata)))
        if self.delay:
            await asyncio.sleep(self.delay)
        return await _replies(self.reply(sender, message, metadata))

    async def set_slot(self, sender: str, name: str, value: Any, *, new_conversation: bool = False) -> None:
        self.slots.append(self._reached(SlotSet(sender, name, value, new_conversation)))

    async def resume_with(self, sender: str, intent: str) -> Replies:
        self.resumptions.append(self._reached(Resumption(sender, intent)))
        return await _replies(self.resumed(sender, intent))

    async def healthy(self) -> bool:
        return not self.down

    @property
    def messages(self) -> list[str]:
        """The text of each message sent, in order."""
        return [sent.message for sent in self.sent]

    @property
    def senders_and_messages(self) -> list[tuple[str, str]]:
        return [(sent.sender, sent.message) for sent in self.sent]

    def _reached(self, call: Call) -> Call:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")
        self.calls.append(call)
        return call


async def _replies(replies: Replies | Awaitable[Replies]) -> Replies:
    return await replies if inspect.isawaitable(replies) else replies
