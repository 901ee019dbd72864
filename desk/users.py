"""Staff accounts: roles, hashed passwords (Argon2 through pwdlib), sign-in checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.models import Role, User, utcnow

ROLE_RANK = {Role.AGENT: 0, Role.LEAD: 1, Role.ADMIN: 2}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A request about users that cannot be carried out (taken name, weak password, unknown user)."""


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHash:
    # Argon2id with pwdlib's recommended parameters; bcrypt hashes would also verify if ever imported.
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """Verified against when the name is unknown, so a sign-in takes as long either way."""
    return password_hasher().hash("decoy password that matches nothing")


def allows(role: Role, needed: Role) -> bool:
    """Whether `role` may do what `needed` may: an admin can do what a lead can, a lead what an agent can."""
    return ROLE_RANK[role] >= ROLE_RANK[needed]


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: User) -> UserView:
        return cls(
            row.id, row.username, row.display_name, Role(row.role), row.active, row.created_at, row.last_login_at
        )


@dataclass(frozen=True)
class Staff:
    """Who is acting: a signed-in user, or an integration's API token acting with its own role.

    `id` is the user who answers for the action (a token's creator); `actor` is what the audit log shows.
    """

    id: int
    display_name: str
    role: Role
    actor: str

    @classmethod
    def of(cls, user: UserView) -> Staff:
        return cls(user.id, user.display_name, user.role, f"user:{user.username}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


class UserDirectory:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, username: str, password: str, role: Role, display_name: str = "") -> UserView:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise UserError("a username is 2–64 lower-case letters, digits, '.', '_' or '-'")
        check_password(password)
        with self._sessions() as session:
            user = User(
                username=username,
                display_name=display_name.strip() or username,
                role=role,
                password_hash=password_hasher().hash(password),
                active=True,
                created_at=self._clock(),
            )
            session.add(user)
            try:
                session.commit()
            except IntegrityError as error:
                raise UserError(f"the username {username!r} is taken") from error
            return UserView.of(user)

    def ensure(self, username: str, password: str, role: Role, display_name: str = "") -> tuple[UserView, bool]:
        """The user, created with this password when missing (demo and first-admin set-up)."""
        existing = self.by_username(username)
        if existing is not None:
            return existing, False
        return self.create(username, password, role, display_name), True

    def authenticate(self, username: str, password: str) -> UserView | None:
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            hasher = password_hasher()
            if user is None or not user.active:
                hasher.verify(password, _decoy_hash())
                return None
            valid, upgraded = hasher.verify_and_update(password, user.password_hash)
            if not valid:
                return None
            if upgraded is not None:
                user.password_hash = upgraded
            user.last_login_at = self._clock()
            session.commit()
            return UserView.of(user)

    def get(self, user_id: int) -> UserView | None:
        with self._sessions() as session:
            user = session.get(User, user_id)
            return UserView.of(user) if user else None

    def by_username(self, username: str) -> UserView | None:
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            return UserView.of(user) if user else None

    def list(self) -> list[UserView]:
        with self._sessions() as session:
            return [UserView.of(u) for u in session.scalars(select(User).order_by(User.username))]

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count(User.id))) or 0

    def update(
        self,
        user_id: int,
        *,
        role: Role | None = None,
        active: bool | None = None,
        password: str | None = None,
        display_name: str | None = None,
    ) -> UserView:
        with self._sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                raise UserError("no such user")
            if role is not None:
                user.role = role
            if active is not None:
                user.active = active
            if password is not None:
                check_password(password)
                user.password_hash = password_hasher().hash(password)
            if display_name is not None and display_name.strip():
                user.display_name = display_name.strip()
            session.commit()
            return UserView.of(user)
