"""The record of one turn: what the bot did, from the actions (and domain.yml's responses) to the
turn service, stored beside the reply and counted by analytics.

It crosses Rasa as a custom payload `{"turn": {...}}` in the bot's replies. `turn_payload` is the
one emitter (the actions), `read_replies` the one parser (the turn service, the agent desk).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

# The message metadata key that carries the stored customer message's id through Rasa (its REST
# channel takes no message id): the actions key feedback by it, and the turn service finds in Rasa's
# tracker whether a message it is about to send again was answered already.
MESSAGE_ID = "message_id"
# The message metadata keys of what the app's search found (engine/routing_evidence.py, read by Rasa's
# routing step) and, within it, the words searched when they were not the message's own (a follow-up
# read after the question before it): the FAQ action searches the same words.
EVIDENCE = "evidence"
FOLLOW_UP = "follow_up"


class Outcome(StrEnum):
    """What the bot did in a turn, weakest first: when one turn carries several records (a vote
    and then a handoff), the strongest describes it."""

    RESOLVED = "resolved"  # the CSAT question after an agent resolved
    HANDED_BACK = "handed_back"  # an agent handed the conversation back to the bot
    SMALLTALK = "smalltalk"
    FEEDBACK = "feedback"
    DECLINED = "declined"  # out of scope
    FALLBACK = "fallback"  # no answer: rephrase, or the offer of a human
    # An order or repair lookup (P19): its questions, its check, its answer. Weaker than an FAQ
    # answer: a question answered in the middle of a lookup is what that turn did.
    LOOKUP = "lookup"
    # An eligibility case (P6–P8, P10, P12, P13): the one fact asked for, or the decision and its reason.
    ELIGIBILITY = "eligibility"
    CLARIFIED = "clarified"  # "did you mean …"
    ANSWERED = "answered"
    HANDOFF = "handoff"
    QUEUED = "queued"  # a human owns the conversation: the message went to the agent inbox

    @property
    def strength(self) -> int:
        return _STRENGTH[self]


_STRENGTH = {outcome: rank for rank, outcome in enumerate(Outcome)}


@dataclass(frozen=True)
class BotMessage:
    """One message the assistant sends."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TurnRecord:
    outcome: Outcome
    faq_id: str | None = None
    confidence: float | None = None
    # A handoff: the escalation the action opened (or found open) and the customer's place in the queue.
    priority: str | None = None
    reason: str | None = None
    escalation_id: int | None = None
    queue_position: int | None = None
    escalated: bool = False  # True when this turn opened the escalation (the conversation is now queued)


class TurnPayload(TypedDict, total=False):
    """The record as it crosses Rasa (JSON): only the fields that are set."""

    outcome: str
    faq_id: str
    confidence: float
    priority: str
    reason: str
    escalation_id: int
    queue_position: int
    escalated: bool


def turn_payload(record: TurnRecord) -> dict[str, TurnPayload]:
    """The custom payload an action sends beside its messages."""
    payload: TurnPayload = {"outcome": str(record.outcome)}
    if record.faq_id is not None:
        payload["faq_id"] = record.faq_id
    if record.confidence is not None:
        payload["confidence"] = round(record.confidence, 4)
    if record.priority is not None:
        payload["priority"] = record.priority
    if record.reason is not None:
        payload["reason"] = record.reason
    if record.escalation_id is not None:
        payload["escalation_id"] = record.escalation_id
    if record.queue_position is not None:
        payload["queue_position"] = record.queue_position
    if record.escalated:
        payload["escalated"] = True
    return {"turn": payload}


def read_replies(replies: Iterable[Mapping[str, Any]]) -> tuple[list[BotMessage], TurnRecord]:
    """Rasa's replies split into what the customer sees and the turn's strongest record.

    A turn without any record fell through to something the bot does not account for: a fallback."""
    messages: list[BotMessage] = []
    records: list[TurnRecord] = []
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, Mapping) and isinstance(custom.get("turn"), Mapping):
            record = _record(custom["turn"])
            if record is not None:
                records.append(record)
        text = reply.get("text")
        if isinstance(text, str) and text:
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in reply.get("buttons") or []
                if isinstance(b, Mapping)
            ]
            messages.append(BotMessage(text, buttons))
    if not records:
        return messages, TurnRecord(Outcome.FALLBACK)
    return messages, max(records, key=lambda r: r.outcome.strength)


def _record(raw: Mapping[str, Any]) -> TurnRecord | None:
    try:
        outcome = Outcome(str(raw.get("outcome")))
    except ValueError:
        return None  # a record this version does not know: it must not decide the turn
    confidence = raw.get("confidence")
    return TurnRecord(
        outcome,
        faq_id=_text(raw.get("faq_id")),
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        priority=_text(raw.get("priority")),
        reason=_text(raw.get("reason")),
        escalation_id=raw["escalation_id"] if isinstance(raw.get("escalation_id"), int) else None,
        queue_position=raw["queue_position"] if isinstance(raw.get("queue_position"), int) else None,
        escalated=raw.get("escalated") is True,
    )


def _text(value: object) -> str | None:
    return str(value) if value else None
