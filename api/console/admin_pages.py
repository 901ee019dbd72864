"""Console pages for admins: staff accounts, integration tokens, the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.templating import AdminPage, render, see_other
from api.deps import ServicesDep
from api.row_ids import RowId
from api.staff_route import StaffRoute
from desk.access import MAX_TOKEN_DAYS, TokenError
from desk.models import Role, Scope, TokenRole, utcnow
from desk.users import UserError

router = APIRouter(prefix="/console/admin", include_in_schema=False, route_class=StaffRoute)


async def admin_page(
    request: Request, caller: AdminPage, services: ServicesDep, status: int = 200, **context: object
) -> Response:
    users = await run_in_threadpool(services.users.list)
    tokens = await run_in_threadpool(services.access.tokens)
    audit = await run_in_threadpool(lambda: services.audit.recent(100))
    return render(
        request,
        "admin.html",
        caller,
        status_code=status,
        users=users,
        tokens=tokens,
        owners={u.id: u.username for u in users},
        now=utcnow(),
        audit=audit,
        roles=list(Role),
        token_roles=list(TokenRole),
        scopes=list(Scope),
        **context,
    )


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, caller: AdminPage, services: ServicesDep) -> Response:
    return await admin_page(request, caller, services)


@router.post("/users")
async def create_user(
    request: Request,
    caller: AdminPage,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    try:
        user = await run_in_threadpool(services.users.create, username, password, role, display_name)
    except UserError as error:
        return await admin_page(request, caller, services, 422, error=str(error))
    await run_in_threadpool(
        lambda: services.audit.record(caller.staff.actor, "user.create", f"user:{user.username}", role=role)
    )
    return see_other("/console/admin")


@router.post("/users/{user_id}")
async def update_user(
    request: Request,
    user_id: RowId,
    caller: AdminPage,
    services: ServicesDep,
    role: Annotated[Role, Form()],
    active: Annotated[bool, Form()] = False,
) -> Response:
    if user_id == caller.staff.id and (not active or role != Role.ADMIN):
        return await admin_page(
            request, caller, services, 409, error="You cannot deactivate or demote yourself; ask another admin."
        )
    try:
        user = await run_in_threadpool(lambda: services.users.update(user_id, role=role, active=active))
    except UserError as error:
        return await admin_page(request, caller, services, 404, error=str(error))
    if not active:
        await run_in_threadpool(services.access.end_sessions_of, user_id)
    await run_in_threadpool(
        lambda: services.audit.record(
            caller.staff.actor, "user.update", f"user:{user.username}", role=role, active=active
        )
    )
    return see_other("/console/admin")


@router.post("/tokens")
async def create_token(
    request: Request,
    caller: AdminPage,
    services: ServicesDep,
    name: Annotated[str, Form(min_length=1, max_length=128)],
    role: Annotated[TokenRole, Form()],
    scopes: Annotated[list[Scope], Form()] = [],  # noqa: B006 (FastAPI copies defaults per request)
    expires_in_days: Annotated[int | None, Form(ge=1, le=MAX_TOKEN_DAYS)] = None,
) -> Response:
    try:
        secret, token = await run_in_threadpool(
            lambda: services.access.create_token(
                name, role, caller.staff.id, scopes, timedelta(days=expires_in_days) if expires_in_days else None
            )
        )
    except TokenError as error:
        return await admin_page(request, caller, services, 422, error=str(error))
    await run_in_threadpool(
        lambda: services.audit.record(
            caller.staff.actor, "token.create", f"token:{token.name}", role=role, scopes=list(token.scopes)
        )
    )
    # Shown once, in this response only; it is stored as a hash.
    return await admin_page(request, caller, services, 201, new_token=secret, notice=f"Token “{token.name}” created.")


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: RowId, caller: AdminPage, services: ServicesDep) -> Response:
    token = await run_in_threadpool(services.access.revoke_token, token_id)
    if token is None:
        return await admin_page(request, caller, services, 404, error="No such token.")
    await run_in_threadpool(lambda: services.audit.record(caller.staff.actor, "token.revoke", f"token:{token.name}"))
    return see_other("/console/admin")
