"""Admin API: staff accounts, integration tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import AdminDep
from api.deps import ServicesDep
from api.schemas import ErrorOut
from desk.access import TokenView
from desk.models import Role
from desk.users import UserView

router = APIRouter(prefix="/api/v1", tags=["admin"])
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=10, max_length=256)
    role: Role = Field(strict=False)
    display_name: str = Field(default="", max_length=128)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Role | None = Field(default=None, strict=False)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)
    display_name: str | None = Field(default=None, max_length=128)


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role = Field(strict=False)
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: UserView) -> UserPublic:
        return cls.model_validate(user, from_attributes=True)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=128)
    role: Role = Field(default=Role.AGENT, strict=False)


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role = Field(strict=False)
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: TokenView) -> TokenPublic:
        return cls.model_validate(token, from_attributes=True)


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret. Shown only now: store it in the integration.")


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]


@router.get("/users", response_model=list[UserPublic], responses=REFUSALS)
async def list_users(caller: AdminDep, services: ServicesDep) -> list[UserPublic]:
    return [UserPublic.of(u) for u in await run_in_threadpool(services.users.list)]


@router.post("/users", response_model=UserPublic, status_code=201, responses=REFUSALS)
async def create_user(body: UserCreate, caller: AdminDep, services: ServicesDep) -> UserPublic:
    user = await run_in_threadpool(services.users.create, body.username, body.password, body.role, body.display_name)
    await run_in_threadpool(
        lambda: services.audit.record(caller.staff.actor, "user.create", f"user:{user.username}", role=user.role)
    )
    return UserPublic.of(user)


@router.patch("/users/{user_id}", response_model=UserPublic, responses=REFUSALS)
async def update_user(user_id: int, body: UserUpdate, caller: AdminDep, services: ServicesDep) -> UserPublic:
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
    return UserPublic.of(user)


@router.get("/tokens", response_model=list[TokenPublic], responses=REFUSALS)
async def list_tokens(caller: AdminDep, services: ServicesDep) -> list[TokenPublic]:
    return [TokenPublic.of(t) for t in await run_in_threadpool(services.access.tokens)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=REFUSALS)
async def create_token(body: TokenCreate, caller: AdminDep, services: ServicesDep) -> TokenCreated:
    secret, token = await run_in_threadpool(services.access.create_token, body.name, body.role, caller.staff.id)
    await run_in_threadpool(
        lambda: services.audit.record(caller.staff.actor, "token.create", f"token:{token.name}", role=token.role)
    )
    return TokenCreated(**TokenPublic.of(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenPublic, responses=REFUSALS)
async def revoke_token(token_id: int, caller: AdminDep, services: ServicesDep) -> TokenPublic:
    token = await run_in_threadpool(services.access.revoke_token, token_id)
    if token is None:
        raise HTTPException(404, "no such token")
    await run_in_threadpool(lambda: services.audit.record(caller.staff.actor, "token.revoke", f"token:{token.name}"))
    return TokenPublic.of(token)


@router.get("/audit", response_model=list[AuditPublic], responses=REFUSALS)
async def audit_log(
    caller: AdminDep,
    services: ServicesDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditPublic]:
    entries = await run_in_threadpool(lambda: services.audit.recent(limit, action))
    return [AuditPublic.model_validate(e, from_attributes=True) for e in entries]
