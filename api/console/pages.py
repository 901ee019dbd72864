"""Console pages of the agent's work: sign-in, the live queue, the conversation view and its forms."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    clear_session_cookie,
    set_session_cookie,
    sign,
    unsign,
)
from api.client_address import client_of
from api.console.templating import AgentPage, render, see_other
from api.deps import AgentDeskDep, RuntimeDep, ServicesDep
from api.row_ids import RowId, row_id_of
from api.staff_route import StaffRoute
from desk.casework import RESOLUTION_CODES, CaseworkError, InvalidText
from desk.models import EscalationStatus, Priority, utcnow
from desk.users import Staff

router = APIRouter(prefix="/console", include_in_schema=False, route_class=StaffRoute)

QueueView = Literal["open", "mine", "queued", "resolved"]
VIEW_STATUSES: dict[str, tuple[EscalationStatus, ...]] = {
    "open": (EscalationStatus.QUEUED, EscalationStatus.CLAIMED),
    "mine": (EscalationStatus.CLAIMED,),
    "queued": (EscalationStatus.QUEUED,),
    "resolved": (EscalationStatus.RESOLVED,),
}


def in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def safe_next(path: str) -> str:
    """Only console paths: a sign-in link must not send the browser to another site."""
    return path if path.startswith("/console") and not path.startswith("//") and "\\" not in path else "/console"


# Sign-in ------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, runtime: RuntimeDep, caller: CallerDep, next: str = "/console") -> Response:
    if caller is not None:
        return see_other(safe_next(next))
    return login_form(request, runtime, next_path=safe_next(next))


def login_form(
    request: Request, runtime: RuntimeDep, *, next_path: str, username: str = "", error: str = "", status: int = 200
) -> Response:
    # Double-submit token for the sign-in form itself (there is no session yet to hold one).
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", None, status, login_csrf=token, next_path=next_path, username=username, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        sign(runtime.settings, "login", token),
        max_age=1800,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.cookies_secure,
        path="/console",
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    services = runtime.services
    next_path = safe_next(next)
    expected = unsign(runtime.settings, "login", request.cookies.get(LOGIN_CSRF_COOKIE))
    if expected is None or not secrets.compare_digest(expected, csrf_token):
        return login_form(
            request, runtime, next_path=next_path, error="The form expired; please sign in again.", status=403
        )
    client = client_of(request)
    # Attempts per client (any outcome), then failures per (username, client) and per client.
    wait = await runtime.limits.limiter.hit(runtime.limits.sign_ins, "sign-ins", client)
    if not wait:
        wait = await run_in_threadpool(services.access.sign_in_blocked, username, client)
    if wait:
        response = login_form(
            request,
            runtime,
            next_path=next_path,
            username=username,
            error=f"Too many sign-in attempts. Try again in {in_words(wait)}.",
            status=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    # Argon2 takes 64 MiB and a core: a few at a time, the rest wait without holding a thread.
    user = await to_thread.run_sync(services.users.authenticate, username, password, limiter=runtime.limits.hashing)
    await run_in_threadpool(services.access.record_attempt, username, client, user is not None)
    if user is None:
        await run_in_threadpool(
            lambda: services.audit.record(f"anonymous:{client}", "session.sign_in_failed", f"user:{username[:64]}")
        )
        return login_form(
            request, runtime, next_path=next_path, username=username, error="Wrong username or password.", status=401
        )
    secret, _ = await run_in_threadpool(services.access.start_session, user.id)
    await run_in_threadpool(lambda: services.audit.record(f"user:{user.username}", "session.sign_in"))
    response = see_other(next_path)
    set_session_cookie(response, runtime.settings, secret)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request, caller: AgentPage, runtime: RuntimeDep) -> Response:
    secret = unsign(runtime.settings, "session", request.cookies.get(SESSION_COOKIE))
    if secret:
        await run_in_threadpool(runtime.services.access.end_session, secret)
    await run_in_threadpool(lambda: runtime.services.audit.record(caller.staff.actor, "session.sign_out"))
    response = see_other("/console/login")
    clear_session_cookie(response, runtime.settings)
    return response


# Queue --------------------------------------------------------------------------------------------


def queue_context(
    services: ServicesDep, staff: Staff, view: str, priority: str, channel: str, language: str
) -> dict[str, Any]:
    statuses = VIEW_STATUSES.get(view, VIEW_STATUSES["open"])
    items = services.casework.queue(
        statuses=statuses,
        priority=Priority(priority) if priority in Priority.__members__.values() else None,
        channel=channel or None,
        language=language if language in ("zh", "en") else None,
        assignee_id=staff.id if view == "mine" else None,
    )
    return {
        "items": items,
        "now": utcnow(),
        "filters": {"view": view, "priority": priority, "channel": channel, "language": language},
    }


@router.get("", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    caller: AgentPage,
    services: ServicesDep,
    view: str = "open",
    priority: str = "",
    channel: str = "",
    language: str = "",
) -> Response:
    context = await run_in_threadpool(queue_context, services, caller.staff, view, priority, channel, language)
    return render(request, "queue.html", caller, query=request.url.query, **context)


@router.get("/queue/rows", response_class=HTMLResponse)
async def queue_rows(
    request: Request,
    caller: AgentPage,
    services: ServicesDep,
    view: str = "open",
    priority: str = "",
    channel: str = "",
    language: str = "",
) -> Response:
    context = await run_in_threadpool(queue_context, services, caller.staff, view, priority, channel, language)
    return render(request, "_queue_rows.html", caller, **context)


# Conversation view ----------------------------------------------------------------------------------


async def case_context(services: ServicesDep, escalation_id: int) -> dict[str, Any]:
    case = await run_in_threadpool(services.casework.case_file, escalation_id)
    agents = [u for u in await run_in_threadpool(services.users.list) if u.active]
    lookups = await run_in_threadpool(services.lookups.cases, case.item.conversation_id)
    requests = await run_in_threadpool(services.requests.for_conversation, case.item.conversation_id)
    return {
        "case": case,
        "now": utcnow(),
        "agents": agents,
        "codes": RESOLUTION_CODES,
        "lookups": lookups,
        "requests": requests,
    }


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
async def case_page(request: Request, escalation_id: RowId, caller: AgentPage, services: ServicesDep) -> Response:
    try:
        context = await case_context(services, escalation_id)
    except CaseworkError as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    return render(request, "case.html", caller, **context)


@router.get("/escalations/{escalation_id}/live", response_class=HTMLResponse)
async def case_live(request: Request, escalation_id: RowId, caller: AgentPage, services: ServicesDep) -> Response:
    context = await case_context(services, escalation_id)
    return render(request, "_case_live.html", caller, **context)


async def act(
    request: Request,
    caller: AgentPage,
    services: ServicesDep,
    escalation_id: int,
    done: str,
    action: Callable[[], Awaitable[object]],
) -> Response:
    """Run one agent action; on refusal show the conversation again with the reason (never lose the text)."""
    try:
        await action()
    except (CaseworkError, ValueError) as error:
        status = 422 if isinstance(error, InvalidText) or not isinstance(error, CaseworkError) else 409
        context = await case_context(services, escalation_id)
        form = await request.form()
        draft = form.get("text")
        return render(
            request,
            "case.html",
            caller,
            status_code=status,
            error=str(error),
            draft=draft if isinstance(draft, str) else "",
            **context,
        )
    return see_other(f"/console/escalations/{escalation_id}?done={done}")


@router.post("/escalations/{escalation_id}/claim")
async def claim(
    request: Request, escalation_id: RowId, caller: AgentPage, services: ServicesDep, desk: AgentDeskDep
) -> Response:
    return await act(
        request, caller, services, escalation_id, "claimed", lambda: desk.claim(escalation_id, caller.staff)
    )


@router.post("/escalations/{escalation_id}/reply")
async def reply(
    request: Request,
    escalation_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: AgentDeskDep,
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    return await act(
        request, caller, services, escalation_id, "replied", lambda: desk.reply(escalation_id, caller.staff, text)
    )


@router.post("/escalations/{escalation_id}/note")
async def note(
    request: Request,
    escalation_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: AgentDeskDep,
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    return await act(
        request, caller, services, escalation_id, "noted", lambda: desk.note(escalation_id, caller.staff, text)
    )


@router.post("/escalations/{escalation_id}/transfer")
async def transfer(
    request: Request,
    escalation_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: AgentDeskDep,
    to: Annotated[str, Form(max_length=20)],
) -> Response:
    target = None if to == "queue" else row_id_of(to) or -1  # -1: no such agent
    return await act(
        request,
        caller,
        services,
        escalation_id,
        "transferred",
        lambda: desk.transfer(escalation_id, caller.staff, target),
    )


@router.post("/escalations/{escalation_id}/resolve")
async def resolve(
    request: Request,
    escalation_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: AgentDeskDep,
    code: Annotated[str, Form(max_length=32)],
    resolution_note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return await act(
        request,
        caller,
        services,
        escalation_id,
        "resolved",
        lambda: desk.resolve(escalation_id, caller.staff, code, resolution_note),
    )


@router.post("/escalations/{escalation_id}/hand-back")
async def hand_back(
    request: Request, escalation_id: RowId, caller: AgentPage, services: ServicesDep, desk: AgentDeskDep
) -> Response:
    return await act(
        request, caller, services, escalation_id, "handed_back", lambda: desk.hand_back(escalation_id, caller.staff)
    )


@router.post("/escalations/{escalation_id}/messages/{message_id}/retry")
async def retry(
    request: Request,
    escalation_id: RowId,
    message_id: RowId,
    caller: AgentPage,
    services: ServicesDep,
    desk: AgentDeskDep,
) -> Response:
    async def run() -> None:
        case = await run_in_threadpool(services.casework.case_file, escalation_id)
        if not any(m.id == message_id and m.delivery for m in case.messages):
            raise ValueError("no reply with that id awaits delivery here")
        await desk.retry_delivery(message_id)

    return await act(request, caller, services, escalation_id, "retrying", run)
