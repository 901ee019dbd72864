"""The escalations API: the queue, a case file, and what an agent does with it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.concurrency import run_in_threadpool

from api.auth import StaffDep
from api.deps import AgentDeskDep, ServicesDep
from api.schemas import ErrorOut
from desk.casework import MAX_TEXT, RESOLUTION_CODES, CaseFile, Change, QueueItem
from desk.conversations import StoredMessage
from desk.models import EscalationStatus, Priority, utcnow

router = APIRouter(prefix="/api/v1/escalations", tags=["escalations"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Wrong role, or the escalation belongs to another agent."},
    404: {"model": ErrorOut, "description": "No such escalation."},
    409: {"model": ErrorOut, "description": "Already claimed, resolved or transferred."},
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TextIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TransferIn(Strict):
    to_user_id: int | None = Field(description="The agent to give it to; null puts it back in the queue.")


class ResolveIn(Strict):
    code: Literal[RESOLUTION_CODES] = Field(description="How it ended.")  # type: ignore[valid-type]
    note: str = Field(default="", max_length=MAX_TEXT)


class EscalationSummary(BaseModel):
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
    def of(cls, item: QueueItem, now: datetime) -> EscalationSummary:
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


class CaseFileOut(BaseModel):
    escalation: EscalationSummary
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

    @classmethod
    def of(cls, case: CaseFile, now: datetime) -> CaseFileOut:
        return cls(
            escalation=EscalationSummary.of(case.item, now),
            conversation_status=case.conversation_status,
            trigger_text=case.trigger_text,
            identifiers=case.identifiers,
            candidates=case.candidates,
            resolution_code=case.resolution_code,
            resolution_note=case.resolution_note,
            resolved_at=case.resolved_at,
            messages=[MessageOut.of(m, case.authors) for m in case.messages],
            notes=[NoteOut(id=n.id, author=n.author, text=n.text, created_at=n.created_at) for n in case.notes],
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


@router.get("", response_model=list[EscalationSummary], responses=REFUSALS)
async def list_escalations(
    caller: StaffDep,
    services: ServicesDep,
    status: Annotated[list[EscalationStatus] | None, Query()] = None,
    priority: Priority | None = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    language: Literal["zh", "en"] | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[EscalationSummary]:
    """Open escalations (or those of the statuses asked for), most urgent first, then by SLA due time."""
    items = await run_in_threadpool(
        lambda: services.casework.queue(
            statuses=status or (EscalationStatus.QUEUED, EscalationStatus.CLAIMED),
            priority=priority,
            channel=channel,
            language=language,
            assignee_id=caller.staff.id if mine else None,
            limit=limit,
        )
    )
    now = utcnow()
    return [EscalationSummary.of(i, now) for i in items]


@router.get("/{escalation_id}", response_model=CaseFileOut, responses=REFUSALS)
async def get_escalation(escalation_id: int, caller: StaffDep, services: ServicesDep) -> CaseFileOut:
    """The case file: transcript with turn records, notes, identifiers, candidates, earlier conversations."""
    case = await run_in_threadpool(services.casework.case_file, escalation_id)
    return CaseFileOut.of(case, utcnow())


@router.post("/{escalation_id}/claim", response_model=ChangeOut, responses=REFUSALS)
async def claim(escalation_id: int, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Take a queued escalation. Of two agents claiming at once exactly one wins; the other gets 409."""
    return ChangeOut.of(await desk.claim(escalation_id, caller.staff))


@router.post("/{escalation_id}/replies", response_model=MessageOut, status_code=201, responses=REFUSALS)
async def reply(escalation_id: int, body: TextIn, caller: StaffDep, desk: AgentDeskDep) -> MessageOut:
    """Reply to the customer through the conversation's channel. The reply is stored first; its
    `delivery` goes pending → delivered (or retrying/failed, retried with backoff)."""
    message = await desk.reply(escalation_id, caller.staff, body.text)
    return MessageOut.of(message, {caller.staff.id: caller.staff.display_name})


@router.post("/{escalation_id}/replies/{message_id}/retry", response_model=MessageOut, responses=REFUSALS)
async def retry_reply(
    escalation_id: int, message_id: int, caller: StaffDep, desk: AgentDeskDep, services: ServicesDep
) -> MessageOut:
    """Try delivering a reply again now (after it failed, or while it waits for its next attempt)."""
    case = await run_in_threadpool(services.casework.case_file, escalation_id)
    message = next((m for m in case.messages if m.id == message_id and m.delivery), None)
    if message is None:
        raise HTTPException(404, "no reply with that id awaits delivery in this escalation")
    if await desk.retry_delivery(message_id) is None:
        raise HTTPException(409, "that reply has already been delivered")
    refreshed = await run_in_threadpool(services.casework.case_file, escalation_id)
    return MessageOut.of(next(m for m in refreshed.messages if m.id == message_id), refreshed.authors)


@router.post("/{escalation_id}/notes", response_model=NoteOut, status_code=201, responses=REFUSALS)
async def add_note(escalation_id: int, body: TextIn, caller: StaffDep, desk: AgentDeskDep) -> NoteOut:
    """An internal note: staff see it, the customer never does."""
    note = await desk.note(escalation_id, caller.staff, body.text)
    return NoteOut(id=note.id, author=note.author, text=note.text, created_at=note.created_at)


@router.post("/{escalation_id}/transfer", response_model=ChangeOut, responses=REFUSALS)
async def transfer(escalation_id: int, body: TransferIn, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Give the escalation to another agent (or back to the queue). The previous holder can no longer reply."""
    return ChangeOut.of(await desk.transfer(escalation_id, caller.staff, body.to_user_id))


@router.post("/{escalation_id}/resolve", response_model=ChangeOut, responses=REFUSALS)
async def resolve(escalation_id: int, body: ResolveIn, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Close with a resolution code: the bot takes the conversation back and asks for a 1–5 rating."""
    return ChangeOut.of(await desk.resolve(escalation_id, caller.staff, body.code, body.note))


@router.post("/{escalation_id}/hand-back", response_model=ChangeOut, responses=REFUSALS)
async def hand_back(escalation_id: int, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Give the conversation back to the bot without a rating request."""
    return ChangeOut.of(await desk.hand_back(escalation_id, caller.staff))
