"""Admin API: staff accounts, integration tokens and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from api.auth import AdminDep
from api.deps import ServicesDep
from api.row_ids import RowId
from api.schemas.admin import AuditOut, TokenCreate, TokenCreatedOut, TokenOut, UserCreate, UserOut, UserUpdate
from api.schemas.errors import ErrorOut
from api.staff_route import StaffRoute
from desk.access import TokenError
from desk.models import Role

router = APIRouter(prefix="/api/v1", tags=["admin"], route_class=StaffRoute)
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


@router.get("/users", response_model=list[UserOut], responses=REFUSALS)
async def list_users(caller: AdminDep, services: ServicesDep) -> list[UserOut]:
    return [UserOut.of(u) for u in await run_in_threadpool(services.users.list)]


@router.post("/users", response_model=UserOut, status_code=201, responses=REFUSALS)
async def create_user(body: UserCreate, caller: AdminDep, services: ServicesDep) -> UserOut:
    user = await run_in_threadpool(services.users.create, body.username, body.password, body.role, body.display_name)
    await run_in_threadpool(
        lambda: services.audit.record(caller.staff.actor, "user.create", f"user:{user.username}", role=user.role)
    )
    return UserOut.of(user)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses={**REFUSALS, 409: {"model": ErrorOut, "description": "An admin cannot deactivate or demote themself."}},
)
async def update_user(user_id: RowId, body: UserUpdate, caller: AdminDep, services: ServicesDep) -> UserOut:
    if user_id == caller.staff.id and (body.active is False or (body.role and body.role != Role.ADMIN)):
        raise HTTPException(409, "you cannot deactivate or demote yourself; ask another admin")
    user = await run_in_threadpool(
        lambda: services.users.update(
            user_id, role=body.role, active=body.active, password=body.password, display_name=body.display_name
        )
    )
    if body.active is False or body.password is not None:
        await run_in_threadpool(services.access.end_sessions_of, user_id)
    changed = sorted(k for k, v in body.model_dump().items() if v is not None and k != "password")
    if body.password is not None:
        changed.append("password")
    await run_in_threadpool(
        lambda: services.audit.record(caller.staff.actor, "user.update", f"user:{user.username}", changed=changed)
    )
    return UserOut.of(user)


@router.get("/tokens", response_model=list[TokenOut], responses=REFUSALS)
async def list_tokens(caller: AdminDep, services: ServicesDep) -> list[TokenOut]:
    return [TokenOut.of(t) for t in await run_in_threadpool(services.access.tokens)]


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201, responses=REFUSALS)
async def create_token(body: TokenCreate, caller: AdminDep, services: ServicesDep) -> TokenCreatedOut:
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    try:
        secret, token = await run_in_threadpool(
            lambda: services.access.create_token(body.name, body.role, caller.staff.id, body.scopes, lifetime)
        )
    except TokenError as error:
        raise HTTPException(422, str(error)) from error
    await run_in_threadpool(
        lambda: services.audit.record(
            caller.staff.actor, "token.create", f"token:{token.name}", role=token.role, scopes=list(token.scopes)
        )
    )
    return TokenCreatedOut(**TokenOut.of(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut, responses=REFUSALS)
async def revoke_token(token_id: RowId, caller: AdminDep, services: ServicesDep) -> TokenOut:
    token = await run_in_threadpool(services.access.revoke_token, token_id)
    if token is None:
        raise HTTPException(404, "no such token")
    await run_in_threadpool(lambda: services.audit.record(caller.staff.actor, "token.revoke", f"token:{token.name}"))
    return TokenOut.of(token)


@router.get("/audit", response_model=list[AuditOut], responses=REFUSALS)
async def audit_log(
    caller: AdminDep,
    services: ServicesDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    entries = await run_in_threadpool(lambda: services.audit.recent(limit, action))
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries]
