"""One stand-in for Rasa's gateway (engine.rasa_gateway.RasaGateway) for the tests that run no Rasa.

Each test file gives the script: `reply(sender, message, metadata)` says what Rasa answers a message
and `resumed(sender, intent)` what it says when a conversation an agent had is resumed (either may
be async); both answer nothing by default. The fake records what reached it (`sent`, `slots`,
`resumptions`, and all of them in order in `calls`); `down` makes every call raise as an unreachable
Rasa does, and nothing refused is recorded; `delay` slows each answered `send` (after recording it).

Like Rasa, it keeps a tracker per conversation (`tracker`: user and bot events in Rasa's format, the
message metadata on the user event), which `turn_in_tracker` reads as the real gateway does (its reads
are in `lookups`, not in `calls`). `timeout` plays the app's timeout: a `send` whose `delay` is longer
completes (its turn is in the tracker) but raises after `timeout` as a timed-out request does.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, TypeVar

from engine.rasa_gateway import JSON, RasaUnavailable, TrackedTurn, tracked_turn

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
        timeout: float | None = None,
    ) -> None:
        self.reply = reply
        self.resumed = resumed
        self.down = down
        self.delay = delay
        self.timeout = timeout
        self.sent: list[Sent] = []
        self.slots: list[SlotSet] = []
        self.resumptions: list[Resumption] = []
        self.calls: list[Sent | SlotSet | Resumption] = []
        self.tracker: dict[str, list[JSON]] = {}
        self.lookups: list[tuple[str, int]] = []

    async def send(self, sender: str, message: str, metadata: JSON) -> Replies:
        self.sent.append(self._reached(Sent(sender, message, metadata)))
        if self.timeout is not None and self.delay > self.timeout:
            # Rasa finishes the turn; the caller has given up waiting by then.
            self._track(sender, message, metadata, await _replies(self.reply(sender, message, metadata)))
            await asyncio.sleep(self.timeout)
            raise RasaUnavailable("Rasa is unreachable: ReadTimeout")
        if self.delay:
            await asyncio.sleep(self.delay)
        replies = await _replies(self.reply(sender, message, metadata))
        self._track(sender, message, metadata, replies)
        return replies

    async def set_slot(self, sender: str, name: str, value: Any, *, new_conversation: bool = False) -> None:
        self.slots.append(self._reached(SlotSet(sender, name, value, new_conversation)))

    async def resume_with(self, sender: str, intent: str) -> Replies:
        self.resumptions.append(self._reached(Resumption(sender, intent)))
        replies = await _replies(self.resumed(sender, intent))
        self._track(sender, f"/{intent}", {}, replies)
        return replies

    async def turn_in_tracker(self, sender: str, message_id: int) -> TrackedTurn | None:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")
        self.lookups.append((sender, message_id))
        return tracked_turn(self.tracker.get(sender, []), message_id)

    async def healthy(self) -> bool:
        return not self.down

    @property
    def messages(self) -> list[str]:
        """The text of each message sent, in order."""
        return [sent.message for sent in self.sent]

    @property
    def senders_and_messages(self) -> list[tuple[str, str]]:
        return [(sent.sender, sent.message) for sent in self.sent]

    def _track(self, sender: str, message: str, metadata: JSON, replies: Replies) -> None:
        events = self.tracker.setdefault(sender, [])
        events.append({"event": "user", "text": message, "metadata": dict(metadata)})
        for reply in replies:
            data = {"buttons": reply.get("buttons"), "custom": reply.get("custom")}
            events.append({"event": "bot", "text": reply.get("text"), "data": data})

    def _reached(self, call: Call) -> Call:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")
        self.calls.append(call)
        return call


async def _replies(replies: Replies | Awaitable[Replies]) -> Replies:
    return await replies if inspect.isawaitable(replies) else replies
