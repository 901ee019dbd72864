"""A web-chat session, whichever transport carries it: the conversation id the server issues, the
customer's messages as the assistant's `Inbound`, and the mailbox of what the client has been shown.

Conversation ids are issued by the server (`web:` + 24 random URL-safe characters, 144 bits) and kept
by the widget; a client that presents an id of the wrong shape, or one no web conversation has, gets a
fresh one, so nobody can pick another customer's conversation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from desk.conversations import StoredMessage
from desk.message_text import MAX_TEXT_LENGTH, has_control_characters, is_command, metadata_problem
from desk.models import Sender
from engine.port import AssistantPort
from engine.turns import Inbound
from knowledge.language import Language

CHANNEL = "web"
CONVERSATION_ID = re.compile(r"^web:[A-Za-z0-9_-]{24}$")
# A client message id: printable ASCII, as the conversation API takes it.
MESSAGE_ID = re.compile(r"[\x21-\x7e]{1,128}")
MAX_PAYLOAD_LENGTH = 500


class InvalidMessage(ValueError):
    """A message the web chat does not take; the text says why (sent back to the client)."""


def new_conversation_id() -> str:
    return f"web:{secrets.token_urlsafe(18)}"


async def open_session(port: AssistantPort, requested: object) -> tuple[str, bool]:
    """The conversation a client resumes (`requested`, when it is a web conversation that exists) or
    a new id; the flag says whether it was resumed."""
    if isinstance(requested, str) and CONVERSATION_ID.match(requested):
        conversation = await port.conversation(requested)
        if conversation is not None and conversation.channel == CHANNEL:
            return requested, True
    return new_conversation_id(), False


def customer_message(
    conversation_id: str,
    *,
    text: str,
    payload: str | None = None,
    message_id: str | None = None,
    language: Language | None = None,
    default_language: Language | None = None,
    metadata: dict[str, Any] | None = None,
) -> Inbound:
    """A web-chat message as the assistant takes it, or `InvalidMessage`. The text follows
    `desk.message_text`'s rule (no control characters, at most `MAX_TEXT_LENGTH` characters), as the
    conversation API's does, and a "/" command may only come as the payload of an offered button.
    `language`: the customer's explicit choice; `default_language`: the widget's, for a new
    conversation whose first message tells none (the assistant decides the turn's language)."""
    if has_control_characters(text):
        raise InvalidMessage("text contains control characters")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidMessage(f"text must be at most {MAX_TEXT_LENGTH} characters")
    text = text.strip()
    if is_command(text):
        # Rasa reads "/intent{...}" as a button press: only offered payloads may do that.
        raise InvalidMessage("text must not start with '/'; send button payloads as `payload`")
    if payload is not None and (
        len(payload) > MAX_PAYLOAD_LENGTH or has_control_characters(payload) or not payload.startswith("/")
    ):
        raise InvalidMessage("payload must be a button payload starting with '/'")
    if not text and payload is None:
        raise InvalidMessage("text must not be empty (or send a button payload)")
    if message_id is not None and not MESSAGE_ID.fullmatch(message_id):
        raise InvalidMessage("the message id must be 1 to 128 printable ASCII characters")
    problem = metadata_problem(metadata or {})
    if problem is not None:
        raise InvalidMessage(problem)
    return Inbound(
        conversation_id=conversation_id,
        text=text,
        payload=payload,
        language=language,
        default_language=default_language,
        channel=CHANNEL,
        message_id=message_id,
        metadata=dict(metadata or {}),
    )


def problems(error: ValidationError) -> str:
    """A validation error in one line, for an error frame."""
    found = [str(e.get("msg", "")).removeprefix("Value error, ") for e in error.errors()]
    return "; ".join(f for f in found if f) or "invalid"


class Mailbox:
    """What one connected client has been shown of its conversation.

    The transcript is the customer's mailbox: anything stored for the customer after the point the
    client started from (`since`) and not yet shown is news, whichever way it was stored (a reply in
    this connection's turn, an agent's reply, the CSAT question). Ids rise with storage time, but a
    turn's replies can be shown before an earlier pushed message is announced, so the mailbox keeps
    the ids it has shown instead of a single high-water mark."""

    def __init__(self, port: AssistantPort, conversation_id: str, since: int = 0) -> None:
        self._port = port
        self.conversation_id = conversation_id
        self.since = since
        self._shown: set[int] = set()

    @property
    def last_id(self) -> int:
        return max(self._shown, default=self.since)

    async def history(self, after: int | None, limit: int) -> list[StoredMessage]:
        """The messages after `after` (all of them when None), at most the latest `limit`; from
        then on only newer ones are news."""
        transcript = await self._port.transcript(self.conversation_id)
        newest = max((m.id for m in transcript), default=0)
        if after is not None and after > newest:
            after = None  # an id from another conversation (or a reset database): start over
        found = transcript if after is None else [m for m in transcript if m.id > after]
        found = found[-limit:]
        self.since = newest
        self._shown.update(m.id for m in found)
        return found

    async def start_from_now(self) -> None:
        """Only messages stored from now on are news (a client that keeps its own history)."""
        transcript = await self._port.transcript(self.conversation_id)
        self.since = max((m.id for m in transcript), default=0)

    def take(self, messages: Iterable[StoredMessage]) -> list[StoredMessage]:
        """The messages not shown yet, now counted as shown."""
        fresh = [m for m in messages if m.id not in self._shown]
        self._shown.update(m.id for m in fresh)
        return fresh

    async def news(self) -> list[StoredMessage]:
        """Messages for the customer stored since the start and not shown yet (never the customer's own)."""
        transcript = await self._port.transcript(self.conversation_id)
        return self.take(m for m in transcript if m.id > self.since and m.sender != Sender.CUSTOMER)
