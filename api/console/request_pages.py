"""Console pages of self-service requests (agents and up): the list, pending first, and one request
with its approve, reject (a reason the customer receives) and edit forms. A refused form shows the
request again with the reason and what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.templating import AgentPage, render, see_other
from api.deps import RequestDeskDep, ServicesDep
from api.row_ids import RowId
from api.staff_route import StaffRoute
from desk.casework import CaseworkError, Conflict, NotFound
from desk.models import RequestKind, RequestService, RequestStatus, utcnow
from desk.service_requests import MAX_DECISION_REASON, MAX_REASON, RequestChanges

router = APIRouter(prefix="/console", include_in_schema=False, route_class=StaffRoute)

VIEWS: dict[str, tuple[RequestStatus, ...] | None] = {
    "pending": (RequestStatus.PENDING,),
    "all": None,
    "approved": (RequestStatus.APPROVED,),
    "rejected": (RequestStatus.REJECTED,),
    "cancelled": (RequestStatus.CANCELLED,),
}
DONE = {
    "approved": "Approved: the customer is being told on their channel.",
    "rejected": "Rejected: the customer is being told the reason on their channel.",
    "edited": "Saved.",
}
# Form fields are taken longer than the desk stores, so that the desk's refusal (the page again, with
# the text) answers a reason too long, not a bare validation error.
FORM_TEXT = 4 * max(MAX_REASON, MAX_DECISION_REASON)


@router.get("/requests", response_class=HTMLResponse)
async def requests_page(request: Request, caller: AgentPage, services: ServicesDep, view: str = "pending") -> Response:
    statuses = VIEWS.get(view, VIEWS["pending"])
    items = await run_in_threadpool(lambda: services.requests.listing(statuses, limit=300))
    return render(
        request,
        "requests.html",
        caller,
        items=items,
        now=utcnow(),
        view=view if view in VIEWS else "pending",
        views=list(VIEWS),
    )


async def request_context(services: ServicesDep, request_id: int) -> dict[str, Any]:
    item = await run_in_threadpool(services.requests.get, request_id)
    conversation = await run_in_threadpool(services.conversations.get, item.conversation_id)
    messages = await run_in_threadpool(services.conversations.transcript, item.conversation_id)
    told = next((m for m in messages if m.id == item.decision_message_id), None)
    return {
        "item": item,
        "now": utcnow(),
        "kinds": [k.value for k in RequestKind],
        "services": [s.value for s in RequestService],
        "conversation": conversation,
        "recent": messages[-12:],
        "told": told,
        "max_reason": MAX_REASON,
        "max_decision_reason": MAX_DECISION_REASON,
    }


@router.get("/requests/{request_id}", response_class=HTMLResponse)
async def request_page(request: Request, request_id: RowId, caller: AgentPage, services: ServicesDep) -> Response:
    try:
        context = await request_context(services, request_id)
    except CaseworkError as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    done = request.query_params.get("done")
    notice = DONE.get(done or "")
    return render(request, "request.html", caller, draft={}, notice=notice, **context)


async def act(
    request: Request,
    caller: AgentPage,
    services: ServicesDep,
    request_id: int,
    done: str,
    action: Callable[[], Awaitable[object]],
) -> Response:
    """Run one decision; on refusal show the request again with the reason and the typed text."""
    try:
        await action()
    except (CaseworkError, ValueError) as error:
        status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
        form = await request.form()
        draft = {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}
        try:
            context = await request_context(services, request_id)
        except CaseworkError as missing:
            return render(request, "refused.html", caller, status_code=404, message=str(missing))
        return render(request, "request.html", caller, status_code=status, error=str(error), draft=draft, **context)
    return see_other(f"/console/requests/{request_id}?done={done}")


@router.post("/requests/{request_id}/approve")
async def approve(
    request: Request, request_id: RowId, caller: AgentPage, services: ServicesDep, desk: RequestDeskDep
) -> Response:
    return await act(request, caller, services, request_id, "approved", lambda: desk.approve(request_id, caller.staff))


@router.post("/requests/{request_id}/reject")
async def reject(
    request: Request,
    request_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: RequestDeskDep,
    reason: Annotated[str, Form(max_length=FORM_TEXT)] = "",
) -> Response:
    return await act(
        request, caller, services, request_id, "rejected", lambda: desk.reject(request_id, caller.staff, reason)
    )


def changes_of(form: Mapping[str, str]) -> RequestChanges:
    """The edit form as changes: every field is sent, the desk keeps what did not change."""
    return RequestChanges(
        kind=RequestKind(form.get("kind", "")),
        order_number=form.get("order_number", "").strip(),
        sku=form.get("sku", "").strip(),
        serial_number=form.get("serial_number", "").strip(),
        service=RequestService(form.get("service", "")),
        reason=form.get("reason", ""),
        quality_problem=form.get("quality_problem") == "on",
    )


@router.post("/requests/{request_id}/edit")
async def edit(
    request: Request,
    request_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: RequestDeskDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    service: Annotated[str, Form(max_length=16)] = "",
    order_number: Annotated[str, Form(max_length=40)] = "",
    sku: Annotated[str, Form(max_length=64)] = "",
    serial_number: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=FORM_TEXT)] = "",
    quality_problem: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    fields = {
        "kind": kind,
        "service": service,
        "order_number": order_number,
        "sku": sku,
        "serial_number": serial_number,
        "reason": reason,
        "quality_problem": quality_problem,
    }

    async def run() -> None:
        await desk.edit(request_id, caller.staff, changes_of(fields))

    return await act(request, caller, services, request_id, "edited", run)
