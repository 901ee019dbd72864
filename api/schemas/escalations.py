"""The escalations API's bodies: what an agent sends (replies, notes, transfers, resolutions) and
the queue, the case file and the changes it gets back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from api.row_ids import RowId
from api.schemas.strict import Strict
from desk.casework import MAX_TEXT, RESOLUTION_CODES, CaseFile, Change, Note, QueueItem
from desk.conversations import StoredMessage
from desk.models import EscalationStatus, Priority
from desk.service_requests import RequestView


class TextIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TransferIn(Strict):
    to_user_id: RowId | None = Field(description="The agent to give it to; null puts it back in the queue.")


class ResolveIn(Strict):
    code: Literal[RESOLUTION_CODES] = Field(description="How it ended.")  # type: ignore[valid-type]
    note: str = Field(default="", max_length=MAX_TEXT)


class EscalationSummaryOut(BaseModel):
    id: int
    conversation_id: str
    customer_id: str | None
    channel: str
    language: str
    reason: str
    priority: Priority
    status: EscalationStatus
    created_at: datetime
    sla_due_at: datetime
    first_response_at: datetime | None
    waiting_seconds: int
    sla_breached: bool
    assignee_id: int | None
    assignee: str | None
    last_customer_text: str

    @classmethod
    def of(cls, item: QueueItem, now: datetime) -> EscalationSummaryOut:
        return cls(
            **{k: getattr(item, k) for k in cls.model_fields if hasattr(item, k) and not callable(getattr(item, k))},
            waiting_seconds=item.waiting_seconds(now),
            sla_breached=item.sla_breached(now),
        )


class MessageOut(BaseModel):
    id: int
    sender: str
    text: str
    created_at: datetime
    author: str | None = None
    outcome: str | None = None
    faq_id: str | None = None
    confidence: float | None = None
    delivery: str | None = None
    attempts: int = 0
    last_error: str | None = None

    @classmethod
    def of(cls, message: StoredMessage, authors: dict[int, str]) -> MessageOut:
        return cls(
            id=message.id,
            sender=message.sender,
            text=message.text,
            created_at=message.created_at,
            author=authors.get(message.author_id) if message.author_id else None,
            outcome=message.outcome,
            faq_id=message.faq_id,
            confidence=message.confidence,
            delivery=message.delivery,
            attempts=message.attempts,
            last_error=message.last_error,
        )


class NoteOut(BaseModel):
    id: int
    author: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls(id=note.id, author=note.author, text=note.text, created_at=note.created_at)


class CaseFileOut(BaseModel):
    escalation: EscalationSummaryOut
    conversation_status: str
    trigger_text: str
    identifiers: dict[str, list[str]]
    candidates: list[dict[str, JsonValue]]
    resolution_code: str | None
    resolution_note: str | None
    resolved_at: datetime | None
    messages: list[MessageOut]
    notes: list[NoteOut]
    feedback: list[dict[str, JsonValue]]
    earlier_conversations: list[dict[str, JsonValue]]
    requests: list[dict[str, JsonValue]] = Field(
        default_factory=list,
        description="The conversation's return, exchange and repair requests and their decisions "
        "(in full: /api/v1/requests/{id}).",
    )

    @classmethod
    def of(cls, case: CaseFile, now: datetime, requests: Sequence[RequestView] = ()) -> CaseFileOut:
        return cls(
            escalation=EscalationSummaryOut.of(case.item, now),
            conversation_status=case.conversation_status,
            trigger_text=case.trigger_text,
            identifiers=case.identifiers,
            candidates=case.candidates,
            resolution_code=case.resolution_code,
            resolution_note=case.resolution_note,
            resolved_at=case.resolved_at,
            messages=[MessageOut.of(m, case.authors) for m in case.messages],
            notes=[NoteOut.of(n) for n in case.notes],
            feedback=[
                {
                    "conversation_id": f.conversation_id,
                    "kind": f.kind,
                    "faq_id": f.faq_id,
                    "vote": f.vote,
                    "score": f.score,
                    "comment": f.comment,
                    "created_at": f.created_at.isoformat(),
                }
                for f in case.feedback
            ],
            earlier_conversations=[
                {
                    "id": e.id,
                    "channel": e.channel,
                    "status": e.status,
                    "created_at": e.created_at.isoformat(),
                    "escalations": e.escalations,
                }
                for e in case.earlier
            ],
            requests=[
                {
                    "id": r.id,
                    "kind": r.kind.value,
                    "status": r.status.value,
                    "rma_number": r.rma_number,
                    "order_number": r.order_number,
                    "serial_number": r.serial_number,
                    "service": r.service.value,
                    "created_at": r.created_at.isoformat(),
                    "decided_by": r.decided_by,
                    "decided_at": r.decided_at.isoformat() if r.decided_at else None,
                    "decision_reason": r.decision_reason,
                }
                for r in requests
            ],
        )


class ChangeOut(BaseModel):
    escalation_id: int
    status: EscalationStatus
    conversation_status: str
    assignee_id: int | None

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        return cls(
            escalation_id=change.escalation_id,
            status=change.status,
            conversation_status=change.conversation_status,
            assignee_id=change.assignee_id,
        )
