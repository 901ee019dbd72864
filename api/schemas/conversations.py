"""The conversation API's bodies: a customer message in; the assistant's replies with the record of
the turn, and a conversation with its transcript, out.

Its field limits are the rules every channel's message text follows (`desk.message_text`), exported
here as well: `CONVERSATION_ID`, `MAX_TEXT_LENGTH`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.metadata import METADATA_LIMITS, CustomerMetadata
from api.schemas.strict import Strict
from desk.conversations import ConversationView, StoredMessage
from desk.escalations import EscalationView
from desk.message_text import CONVERSATION_ID as CONVERSATION_ID
from desk.message_text import MAX_TEXT_LENGTH as MAX_TEXT_LENGTH
from desk.message_text import has_control_characters, is_command
from desk.models import ConversationStatus
from desk.turns import Outcome
from engine.turns import TurnResult


class MessageIn(Strict):
    """A customer message. Either `text`, or a `payload` from a button the assistant offered."""

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
    customer_id: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Integrations only: the customer's id in the integration's own system.",
    )
    metadata: CustomerMetadata = Field(
        default_factory=dict, description=f"Passed to the dialogue engine. {METADATA_LIMITS}"
    )

    @field_validator("text")
    @classmethod
    def _clean_text(cls, value: str) -> str:
        if has_control_characters(value):
            raise ValueError("text contains control characters")
        value = value.strip()
        if is_command(value):
            # Rasa reads "/intent{...}" as a button press: only offered payloads may do that. The turn
            # service would read it as words (desk.message_text); refusing tells the client why.
            raise ValueError("text must not start with '/'; send button payloads as `payload`")
        return value

    @model_validator(mode="after")
    def _text_or_payload(self) -> MessageIn:
        if not self.text and self.payload is None:
            raise ValueError("text must not be empty (or send a button payload)")
        return self

    @field_validator("payload")
    @classmethod
    def _clean_payload(cls, value: str | None) -> str | None:
        if value is not None and (has_control_characters(value) or not value.startswith("/")):
            raise ValueError("payload must be a button payload starting with '/'")
        return value


class ConversationCreate(Strict):
    """A conversation a browser starts; every later call presents the key it gets back."""

    language: Literal["zh", "en"] | None = Field(
        default=None, description="The language to start in; each message's text still decides its own."
    )
    metadata: CustomerMetadata = Field(
        default_factory=dict,
        description=f"Passed to the dialogue engine with every message of the conversation. {METADATA_LIMITS}",
    )


class ConversationStartedOut(BaseModel):
    conversation_id: str
    access_key: str = Field(
        description="Send it as `Authorization: Bearer <access_key>` on every call about this conversation. "
        "Shown only now; it opens this conversation alone."
    )


class EventTicketOut(BaseModel):
    ticket: str = Field(description="Opens the event stream once within `expires_in` seconds.")
    expires_in: int
    url: str = Field(description="The event stream's path with the ticket, for `new EventSource(url)`.")


class ButtonOut(BaseModel):
    title: str
    payload: str


class BotMessageOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = Field(default_factory=list)


class TurnOut(BaseModel):
    """What the assistant did with the message."""

    status: ConversationStatus = Field(description="The conversation's state after the turn.")
    outcome: Outcome
    faq_id: str | None = Field(default=None, description="The knowledge-base entry answered or offered.")
    confidence: float | None = Field(default=None, description="The retriever's confidence, 0–1.")
    priority: Literal["urgent", "high", "normal"] | None = Field(
        default=None, description="The escalation's priority when this turn handed off."
    )


class MessageReplyOut(BaseModel):
    conversation_id: str
    messages: list[BotMessageOut]
    turn: TurnOut

    @classmethod
    def of(cls, result: TurnResult, conversation_id: str) -> MessageReplyOut:
        return cls(
            conversation_id=conversation_id,
            messages=[BotMessageOut(text=m.text, buttons=[ButtonOut(**b) for b in m.buttons]) for m in result.messages],
            turn=TurnOut(
                status=result.status,
                outcome=result.outcome,
                faq_id=result.faq_id,
                confidence=result.confidence,
                priority=result.priority,  # type: ignore[arg-type]
            ),
        )


class TranscriptMessageOut(BaseModel):
    id: int
    sender: Literal["customer", "bot", "agent", "system"]
    text: str
    payload: str | None = None
    buttons: list[ButtonOut] = Field(default_factory=list)
    created_at: datetime
    state: str = Field(
        description="Customer messages: received, processing, answered, held (human-owned), failed (the "
        "assistant was unavailable: it answers as soon as it is back, pushed to the event stream) or "
        "unanswered (it stayed unavailable and gave up)."
    )
    outcome: str | None = None
    faq_id: str | None = None
    confidence: float | None = None

    @classmethod
    def of(cls, message: StoredMessage) -> TranscriptMessageOut:
        return cls(
            id=message.id,
            sender=message.sender,  # type: ignore[arg-type]
            text=message.text,
            payload=message.payload,
            buttons=[ButtonOut(**b) for b in message.buttons],
            created_at=message.created_at,
            state=message.state,
            outcome=message.outcome,
            faq_id=message.faq_id,
            confidence=message.confidence,
        )


class EscalationOut(BaseModel):
    """The customer's view of their hand-off: where it stands, not the agents' case notes (the
    identifiers found, the retrieval candidates)."""

    id: int
    reason: str
    priority: Literal["urgent", "high", "normal"]
    status: Literal["queued", "claimed", "resolved"]
    created_at: datetime
    sla_due_at: datetime


class ConversationOut(BaseModel):
    id: str
    channel: str
    language: str
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime
    escalation: EscalationOut | None
    transcript: list[TranscriptMessageOut]

    @classmethod
    def of(
        cls,
        conversation_id: str,
        conversation: ConversationView,
        transcript: list[StoredMessage],
        escalation: EscalationView | None,
    ) -> ConversationOut:
        return cls(
            id=conversation_id,
            channel=conversation.channel,
            language=conversation.language,
            status=conversation.status,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            escalation=EscalationOut.model_validate(escalation, from_attributes=True) if escalation else None,
            transcript=[TranscriptMessageOut.of(m) for m in transcript],
        )
