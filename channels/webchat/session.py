"""A web-chat session, whichever transport carries it: the conversation id the server issues, the
customer's messages as the router's `Inbound`, and the mailbox of what the client has been shown.

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
from starlette.concurrency import run_in_threadpool

from api.schemas import MessageIn
from desk.conversations import ConversationStore, StoredMessage
from desk.models import Sender
from engine.turns import Inbound
from knowledge.language import Language

CHANNEL = "web"
CONVERSATION_ID = re.compile(r"^web:[A-Za-z0-9_-]{24}$")


def new_conversation_id() -> str:
    return f"web:{secrets.token_urlsafe(18)}"


async def open_session(store: ConversationStore, requested: object) -> tuple[str, bool]:
    """The conversation a client resumes (`requested`, when it is a web conversation that exists) or
    a new id; the flag says whether it was resumed."""
    if isinstance(requested, str) and CONVERSATION_ID.match(requested):
        conversation = await run_in_threadpool(store.get, requested)
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
    metadata: dict[str, Any] | None = None,
) -> Inbound:
    """The conversation API's validation (`MessageIn`: length, control characters, no "/" commands
    typed as text) applied to a web-chat message; raises pydantic's `ValidationError`."""
    body = MessageIn.model_validate(
        {
            "text": text,
            "payload": payload,
            "message_id": message_id,
            "language": language,
            "metadata": metadata or {},
        }
    )
    return Inbound(
        conversation_id=conversation_id,
        text=body.text,
        payload=body.payload,
        language=body.language,
        channel=CHANNEL,
        message_id=body.message_id,
        metadata=dict(body.metadata),
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

    def __init__(self, store: ConversationStore, conversation_id: str, since: int = 0) -> None:
        self._store = store
        self.conversation_id = conversation_id
        self.since = since
        self._shown: set[int] = set()

    @property
    def last_id(self) -> int:
        return max(self._shown, default=self.since)

    async def history(self, after: int | None, limit: int) -> list[StoredMessage]:
        """The messages after `after` (all of them when None), at most the latest `limit`; from
        then on only newer ones are news."""
        transcript = await run_in_threadpool(self._store.transcript, self.conversation_id)
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
        transcript = await run_in_threadpool(self._store.transcript, self.conversation_id)
        self.since = max((m.id for m in transcript), default=0)

    def take(self, messages: Iterable[StoredMessage]) -> list[StoredMessage]:
        """The messages not shown yet, now counted as shown."""
        fresh = [m for m in messages if m.id not in self._shown]
        self._shown.update(m.id for m in fresh)
        return fresh

    async def news(self) -> list[StoredMessage]:
        """Messages for the customer stored since the start and not shown yet (never the customer's own)."""
        transcript = await run_in_threadpool(self._store.transcript, self.conversation_id)
        return self.take(m for m in transcript if m.id > self.since and m.sender != Sender.CUSTOMER)
