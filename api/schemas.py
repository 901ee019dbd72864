"""Request and response bodies of the public API (documented in OpenAPI)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from desk.models import ConversationStatus

CONVERSATION_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
# C0 controls (but tab, newline, carriage return), DEL and C1 controls never belong in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_TEXT_LENGTH = 2000

Outcome = Literal[
    "answered",
    "clarified",
    "fallback",
    "declined",
    "handoff",
    "smalltalk",
    "feedback",
    "queued",
    "resolved",
    "handed_back",
]


class MessageIn(BaseModel):
    """A customer message. Either `text`, or a `payload` from a button the assistant offered."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(
        default="",
        max_length=MAX_TEXT_LENGTH,
        description=f"What the customer wrote (at most {MAX_TEXT_LENGTH} characters).",
    )
    payload: str | None = Field(
        default=None, max_length=500, description="The payload of a button offered in this conversation."
    )
    language: Literal["zh", "en"] | None = Field(
        default=None, description="The customer's language; detected from the text when absent."
    )
    message_id: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="A client-chosen id: a retried request with the same id is answered once.",
    )
    customer_id: str | None = Field(default=None, max_length=128, pattern=r"^[\x21-\x7e]+$")
    metadata: dict[str, JsonValue] = Field(default_factory=dict, description="Passed to the dialogue engine.")

    @field_validator("text")
    @classmethod
    def _clean_text(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("text contains control characters")
        value = value.strip()
        if value.startswith("/"):
            # Rasa reads "/intent{...}" as a button press: only offered payloads may do that.
            raise ValueError("text must not start with '/'; send button payloads as `payload`")
        return value

    @field_validator("metadata")
    @classmethod
    def _finite_metadata(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if not _finite(value):
            raise ValueError("metadata numbers must be finite")
        return value

    @model_validator(mode="after")
    def _text_or_payload(self) -> MessageIn:
        if not self.text and self.payload is None:
            raise ValueError("text must not be empty (or send a button payload)")
        return self

    @field_validator("payload")
    @classmethod
    def _clean_payload(cls, value: str | None) -> str | None:
        if value is not None and (_CONTROL.search(value) or not value.startswith("/")):
            raise ValueError("payload must be a button payload starting with '/'")
        return value


def _finite(value: JsonValue) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


class Button(BaseModel):
    title: str
    payload: str


class BotMessageOut(BaseModel):
    text: str
    buttons: list[Button] = Field(default_factory=list)


class TurnOut(BaseModel):
    """What the assistant did with the message."""

    status: ConversationStatus = Field(description="The conversation's state after the turn.")
    outcome: Outcome
    faq_id: str | None = Field(default=None, description="The knowledge-base entry answered or offered.")
    confidence: float | None = Field(default=None, description="The retriever's confidence, 0–1.")
    priority: Literal["urgent", "high", "normal"] | None = Field(
        default=None, description="The escalation's priority when this turn handed off."
    )


class MessageReply(BaseModel):
    conversation_id: str
    messages: list[BotMessageOut]
    turn: TurnOut


class TranscriptMessage(BaseModel):
    id: int
    sender: Literal["customer", "bot", "agent", "system"]
    text: str
    payload: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    created_at: datetime
    state: str = Field(description="Customer messages: received, answered, held (human-owned) or failed.")
    outcome: str | None = None
    faq_id: str | None = None
    confidence: float | None = None


class EscalationOut(BaseModel):
    id: int
    reason: str
    priority: Literal["urgent", "high", "normal"]
    status: Literal["queued", "claimed", "resolved"]
    created_at: datetime
    sla_due_at: datetime
    identifiers: dict[str, list[str]]
    candidates: list[dict[str, JsonValue]]


class ConversationOut(BaseModel):
    id: str
    channel: str
    language: str
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime
    escalation: EscalationOut | None
    transcript: list[TranscriptMessage]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[JsonValue] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
