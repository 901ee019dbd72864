"""The requests API: return, exchange and repair requests customers opened in chat, and an agent's
decision on them (approve, reject with a reason the customer receives, edit). Agents and up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.auth import StaffDep
from api.deps import RequestDeskDep, ServicesDep
from api.row_ids import RowId
from api.schemas.errors import ErrorOut
from api.schemas.requests import DecisionOut, RejectIn, RequestEditIn, RequestOut
from api.staff_route import StaffRoute
from desk.models import RequestStatus, utcnow

router = APIRouter(prefix="/api/v1/requests", tags=["requests"], route_class=StaffRoute)

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Wrong role, or a console session without its CSRF token."},
    404: {"model": ErrorOut, "description": "No such request."},
    409: {"model": ErrorOut, "description": "The request is no longer pending, or changed meanwhile."},
    422: {"model": ErrorOut, "description": "The request is not valid (e.g. a rejection without a reason)."},
}


@router.get("", response_model=list[RequestOut], responses=REFUSALS)
async def list_requests(
    caller: StaffDep,
    services: ServicesDep,
    status: Annotated[list[RequestStatus] | None, Query()] = None,
    conversation_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RequestOut]:
    """Requests of the statuses asked for (all without): pending ones first, oldest first, then the
    others, most recently changed first; or one conversation's requests."""
    if conversation_id is not None:
        found = await run_in_threadpool(services.requests.for_conversation, conversation_id)
        found = [r for r in found if not status or r.status in status][:limit]
    else:
        found = await run_in_threadpool(lambda: services.requests.listing(status, limit=limit))
    now = utcnow()
    return [RequestOut.of(r, now) for r in found]


@router.get("/{request_id}", response_model=RequestOut, responses=REFUSALS)
async def get_request(request_id: RowId, caller: StaffDep, services: ServicesDep) -> RequestOut:
    return RequestOut.of(await run_in_threadpool(services.requests.get, request_id), utcnow())


@router.post("/{request_id}/approve", response_model=DecisionOut, responses=REFUSALS)
async def approve(request_id: RowId, caller: StaffDep, desk: RequestDeskDep) -> DecisionOut:
    """Approve a pending request: the customer is told on their channel, with the RMA number of a
    repair and what happens next (SF pickup, or an engineer's call for on-site service)."""
    return DecisionOut.of(await desk.approve(request_id, caller.staff), utcnow())


@router.post("/{request_id}/reject", response_model=DecisionOut, responses=REFUSALS)
async def reject(request_id: RowId, body: RejectIn, caller: StaffDep, desk: RequestDeskDep) -> DecisionOut:
    """Reject a pending request; the reason is sent to the customer on their channel."""
    return DecisionOut.of(await desk.reject(request_id, caller.staff, body.reason), utcnow())


@router.patch("/{request_id}", response_model=RequestOut, responses=REFUSALS)
async def edit(request_id: RowId, body: RequestEditIn, caller: StaffDep, desk: RequestDeskDep) -> RequestOut:
    """Change a pending request's kind, item, service or reason (audited); nothing is sent."""
    return RequestOut.of(await desk.edit(request_id, caller.staff, body.changes()), utcnow())
