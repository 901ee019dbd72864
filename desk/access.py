"""Bearer secrets of staff and integrations: console sign-in sessions, API tokens, sign-in throttling.
(Customers' conversation keys are the conversation store's: `ConversationStore.start_keyed`.)

Secrets are random, shown once and stored only as SHA-256 hashes: a stolen database opens nothing.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from desk.models import ApiToken, LoginAttempt, Role, Scope, StaffSession, TokenRole, User, utcnow
from desk.users import UserView, allows

TOKEN_PREFIX = "lmk_"
# An integration's name is the namespace of the conversation ids it chooses (`int:<name>:<id>`).
INTEGRATION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Ten years: a longer lifetime is "never", which is said by giving none.
MAX_TOKEN_DAYS = 3650


class TokenError(ValueError):
    """A token that cannot be made as asked (bad name, scopes on a staff token, outranking its owner)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A live console session: the user and the CSRF token its forms must carry."""

    user: UserView
    csrf_token: str
    session_id: int


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    prefix: str
    role: TokenRole
    scopes: tuple[Scope, ...]
    owner_id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenView:
        return cls(
            row.id,
            row.name,
            row.prefix,
            TokenRole(row.role),
            tuple(Scope(s) for s in row.scopes or ()),
            row.owner_id,
            row.created_at,
            row.expires_at,
            row.last_used_at,
            row.revoked_at,
        )


@dataclass(frozen=True)
class TokenCaller:
    """A live token and its owner, whose current rights bound what the token may do."""

    token: TokenView
    owner: UserView

    @property
    def staff_role(self) -> Role | None:
        """The role the token acts with on staff routes, the lower of its own and its owner's
        current one; None for an integration token, which is no staff role at all."""
        if self.token.role == TokenRole.INTEGRATION:
            return None
        own = Role(self.token.role)
        return own if allows(self.owner.role, own) else self.owner.role

    def may(self, scope: Scope) -> bool:
        """Connecting systems is an admin's right: an integration's scopes hold while its owner is one."""
        return self.token.role == TokenRole.INTEGRATION and scope in self.token.scopes and self.owner.role == Role.ADMIN


@dataclass(frozen=True)
class Throttle:
    """Sign-in limits, per (username, client) pair and per client, never per username alone: failures
    from elsewhere cost a user nothing, so nobody can lock `admin` out by guessing from afar.

    A pair's first `free_failures` failures (since its last success, within `pair_window`) cost
    nothing: typing a password wrong happens. Each further one makes the pair wait `first_delay`
    after it, doubling per failure up to `max_delay`. A client with `per_client` failures within
    `window`, whatever the usernames, waits until the oldest of them leaves the window."""

    free_failures: int = 3
    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=15)
    pair_window: timedelta = timedelta(hours=24)
    window: timedelta = timedelta(minutes=15)
    per_client: int = 30

    def delay(self, failures: int) -> timedelta:
        """How long a pair waits after its latest failure, having failed `failures` times."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 32)  # past the cap long before: no huge numbers
        return min(self.max_delay, self.first_delay * (1 << doublings))


class AccessKeys:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        session_lifetime: timedelta = timedelta(hours=12),
        throttle: Throttle = Throttle(),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._lifetime = session_lifetime
        self._throttle = throttle
        self._clock = clock

    # Console sessions ---------------------------------------------------------------------------

    def start_session(self, user_id: int) -> tuple[str, SignedIn]:
        """A new session for the user: the secret for the cookie and what it stands for."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions() as session:
            row = StaffSession(
                token_hash=digest(secret),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + self._lifetime,
            )
            session.add(row)
            session.commit()
            user = session.get_one(User, user_id)
            return secret, SignedIn(UserView.of(user), row.csrf_token, row.id)

    def session_user(self, secret: str) -> SignedIn | None:
        now = self._clock()
        with self._sessions() as session:
            row = session.scalar(select(StaffSession).where(StaffSession.token_hash == digest(secret)))
            if row is None or row.ended_at is not None or row.expires_at <= now:
                return None
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                return None
            return SignedIn(UserView.of(user), row.csrf_token, row.id)

    def end_session(self, secret: str) -> None:
        with self._sessions() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == digest(secret), StaffSession.ended_at.is_(None))
                .values(ended_at=self._clock())
            )
            session.commit()

    def end_sessions_of(self, user_id: int) -> None:
        with self._sessions() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
                .values(ended_at=self._clock())
            )
            session.commit()

    # Sign-in throttling -------------------------------------------------------------------------

    def sign_in_blocked(self, username: str, client: str) -> int:
        """Seconds until `client` may try `username` again (0: now). Checked before the password."""
        now = self._clock()
        throttle = self._throttle
        name = username.strip().lower()[:64]
        client = client[:64]
        with self._sessions() as session:
            pair = (LoginAttempt.username == name, LoginAttempt.client == client)
            last_success = session.scalar(
                select(LoginAttempt.at).where(*pair, LoginAttempt.succeeded.is_(True)).order_by(LoginAttempt.at.desc())
            )
            since = now - throttle.pair_window
            if last_success is not None and last_success > since:
                since = last_success
            pair_failures = session.scalars(
                select(LoginAttempt.at)
                .where(*pair, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
                .order_by(LoginAttempt.at.desc())
            ).all()
            client_failures = session.scalars(
                select(LoginAttempt.at)
                .where(
                    LoginAttempt.client == client,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.at > now - throttle.window,
                )
                .order_by(LoginAttempt.at.desc())
                .limit(throttle.per_client)
            ).all()
        allowed_at = now
        if pair_failures:
            allowed_at = max(allowed_at, pair_failures[0] + throttle.delay(len(pair_failures)))
        if len(client_failures) >= throttle.per_client:
            allowed_at = max(allowed_at, client_failures[-1] + throttle.window)
        return math.ceil((allowed_at - now).total_seconds())

    def record_attempt(self, username: str, client: str, succeeded: bool) -> None:
        with self._sessions() as session:
            session.add(
                LoginAttempt(
                    username=username.strip().lower()[:64], client=client[:64], succeeded=succeeded, at=self._clock()
                )
            )
            session.commit()

    # API tokens ---------------------------------------------------------------------------------

    def create_token(
        self,
        name: str,
        role: TokenRole,
        owner_id: int,
        scopes: Collection[Scope] = (),
        expires_in: timedelta | None = None,
    ) -> tuple[str, TokenView]:
        """A new token and its secret (shown once). An integration token made without scopes gets
        every integration scope; a staff token takes none and may not outrank its owner."""
        name = name.strip()
        with self._sessions() as session:
            owner = session.get(User, owner_id)
            if owner is None or not owner.active:
                raise TokenError("a token needs an active owner")
            if role == TokenRole.INTEGRATION:
                if not INTEGRATION_NAME.match(name):
                    raise TokenError(
                        "an integration token's name names its conversations: 1–32 lower-case letters, "
                        "digits, '_' or '-', starting with a letter or digit"
                    )
                if owner.role != Role.ADMIN:
                    raise TokenError("integration tokens are owned by an admin")
                scopes = sorted(set(scopes) or set(Scope))
            else:
                if scopes:
                    raise TokenError("scopes are for integration tokens; a staff token acts with its role")
                if not allows(Role(owner.role), Role(role)):
                    raise TokenError(f"a token cannot outrank its owner, who is {owner.role}")
                if not name:
                    raise TokenError("a token needs a name")
            if expires_in is not None and expires_in <= timedelta(0):
                raise TokenError("a token's lifetime must be positive")
            now = self._clock()
            secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
            row = ApiToken(
                name=name[:128],
                token_hash=digest(secret),
                prefix=secret[:10],
                role=role,
                scopes=[str(s) for s in scopes],
                owner_id=owner_id,
                created_at=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
            session.add(row)
            session.commit()
            return secret, TokenView.of(row)

    def token_caller(self, secret: str) -> TokenCaller | None:
        """The token's caller, if the token is live: not revoked, not expired, its owner active."""
        now = self._clock()
        with self._sessions() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
            if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
                return None
            owner = session.get(User, row.owner_id)
            if owner is None or not owner.active:
                return None
            row.last_used_at = now
            session.commit()
            return TokenCaller(TokenView.of(row), UserView.of(owner))

    def revoke_token(self, token_id: int) -> TokenView | None:
        with self._sessions() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                session.commit()
            return TokenView.of(row)

    def tokens(self) -> list[TokenView]:
        with self._sessions() as session:
            return [TokenView.of(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id.desc()))]
