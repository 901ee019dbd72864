"""The admin API's bodies: staff accounts, integration tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.strict import Strict
from desk.access import TokenView
from desk.models import Role
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
    name: str = Field(min_length=1, max_length=128)
    role: Role = Field(default=Role.AGENT, strict=False)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role = Field(strict=False)
    created_at: datetime
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
