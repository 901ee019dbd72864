"""The escalations API: the queue, a case file, and what an agent does with it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from api.auth import StaffDep
from api.deps import AgentDeskDep, ServicesDep
from api.row_ids import RowId
from api.schemas.errors import ErrorOut
from api.schemas.escalations import (
    CaseFileOut,
    ChangeOut,
    EscalationSummaryOut,
    MessageOut,
    NoteOut,
    ResolveIn,
    TextIn,
    TransferIn,
)
from api.staff_route import StaffRoute
from desk.models import EscalationStatus, Priority, utcnow

router = APIRouter(prefix="/api/v1/escalations", tags=["escalations"], route_class=StaffRoute)

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Wrong role, or the escalation belongs to another agent."},
    404: {"model": ErrorOut, "description": "No such escalation."},
    409: {"model": ErrorOut, "description": "Already claimed, resolved or transferred."},
}


@router.get("", response_model=list[EscalationSummaryOut], responses=REFUSALS)
async def list_escalations(
    caller: StaffDep,
    services: ServicesDep,
    status: Annotated[list[EscalationStatus] | None, Query()] = None,
    priority: Priority | None = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    language: Literal["zh", "en"] | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[EscalationSummaryOut]:
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
    return [EscalationSummaryOut.of(i, now) for i in items]


@router.get("/{escalation_id}", response_model=CaseFileOut, responses=REFUSALS)
async def get_escalation(escalation_id: RowId, caller: StaffDep, services: ServicesDep) -> CaseFileOut:
    """The case file: transcript with turn records, notes, identifiers, candidates, earlier conversations,
    the conversation's return, exchange and repair requests."""
    case = await run_in_threadpool(services.casework.case_file, escalation_id)
    requests = await run_in_threadpool(services.requests.for_conversation, case.item.conversation_id)
    return CaseFileOut.of(case, utcnow(), requests)


@router.post("/{escalation_id}/claim", response_model=ChangeOut, responses=REFUSALS)
async def claim(escalation_id: RowId, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Take a queued escalation. Of two agents claiming at once exactly one wins; the other gets 409."""
    return ChangeOut.of(await desk.claim(escalation_id, caller.staff))


@router.post("/{escalation_id}/replies", response_model=MessageOut, status_code=201, responses=REFUSALS)
async def reply(escalation_id: RowId, body: TextIn, caller: StaffDep, desk: AgentDeskDep) -> MessageOut:
    """Reply to the customer through the conversation's channel. The reply is stored first; its
    `delivery` goes pending → delivered (or retrying/failed, retried with backoff)."""
    message = await desk.reply(escalation_id, caller.staff, body.text)
    return MessageOut.of(message, {caller.staff.id: caller.staff.display_name})


@router.post("/{escalation_id}/replies/{message_id}/retry", response_model=MessageOut, responses=REFUSALS)
async def retry_reply(
    escalation_id: RowId, message_id: RowId, caller: StaffDep, desk: AgentDeskDep, services: ServicesDep
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
async def add_note(escalation_id: RowId, body: TextIn, caller: StaffDep, desk: AgentDeskDep) -> NoteOut:
    """An internal note: staff see it, the customer never does."""
    note = await desk.note(escalation_id, caller.staff, body.text)
    return NoteOut.of(note)


@router.post("/{escalation_id}/transfer", response_model=ChangeOut, responses=REFUSALS)
async def transfer(escalation_id: RowId, body: TransferIn, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Give the escalation to another agent (or back to the queue). The previous holder can no longer reply."""
    return ChangeOut.of(await desk.transfer(escalation_id, caller.staff, body.to_user_id))


@router.post("/{escalation_id}/resolve", response_model=ChangeOut, responses=REFUSALS)
async def resolve(escalation_id: RowId, body: ResolveIn, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Close with a resolution code: the bot takes the conversation back and asks for a 1–5 rating."""
    return ChangeOut.of(await desk.resolve(escalation_id, caller.staff, body.code, body.note))


@router.post("/{escalation_id}/hand-back", response_model=ChangeOut, responses=REFUSALS)
async def hand_back(escalation_id: RowId, caller: StaffDep, desk: AgentDeskDep) -> ChangeOut:
    """Give the conversation back to the bot without a rating request."""
    return ChangeOut.of(await desk.hand_back(escalation_id, caller.staff))
