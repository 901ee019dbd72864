"""The admin API's bodies: staff accounts, integration tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.strict import Strict
from desk.access import MAX_TOKEN_DAYS, TokenView
from desk.models import Role, Scope, TokenRole
from desk.users import UserView


class UserCreate(Strict):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=10, max_length=256)
    role: Role = Field(strict=False)
    display_name: str = Field(default="", max_length=128)


class UserUpdate(Strict):
    role: Role | None = Field(default=None, strict=False)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)
    display_name: str | None = Field(default=None, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role = Field(strict=False)
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls.model_validate(user, from_attributes=True)


class TokenCreate(Strict):
    name: str = Field(
        min_length=1,
        max_length=128,
        description="An integration token's name namespaces the conversation ids it chooses: 1–32 lower-case "
        "letters, digits, '_' or '-'.",
    )
    role: TokenRole = Field(default=TokenRole.AGENT, strict=False)
    scopes: list[Annotated[Scope, Field(strict=False)]] = Field(
        default_factory=list,
        max_length=len(Scope),
        description="An integration token's scopes (default: every scope); staff tokens take none.",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_DAYS, description="Default: never.")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: TokenRole = Field(strict=False)
    scopes: list[Scope]
    owner_id: int = Field(description="The user who answers for the token: it never does more than they may.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: TokenView) -> TokenOut:
        return cls.model_validate(token, from_attributes=True)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown only now: store it in the integration.")


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
