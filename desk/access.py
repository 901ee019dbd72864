"""Bearer secrets of staff and integrations: console sign-in sessions, API tokens, sign-in throttling.

Secrets are random, shown once and stored only as SHA-256 hashes: a stolen database opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from desk.models import ApiToken, LoginAttempt, Role, StaffSession, User, utcnow
from desk.users import UserView

TOKEN_PREFIX = "lmk_"


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
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenView:
        return cls(row.id, row.name, row.prefix, Role(row.role), row.created_at, row.last_used_at, row.revoked_at)


@dataclass(frozen=True)
class TokenCaller:
    """A valid token and the admin who created it (who answers for what the token does)."""

    token: TokenView
    creator: UserView


@dataclass(frozen=True)
class Throttle:
    """Sign-in limits: failures per username and per client within a sliding window."""

    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_client: int = 20


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
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = self._clock()
        since = now - self._throttle.window
        with self._sessions() as session:
            for column, value, limit in (
                (LoginAttempt.username, username.strip().lower(), self._throttle.per_username),
                (LoginAttempt.client, client, self._throttle.per_client),
            ):
                failures = session.scalars(
                    select(LoginAttempt.at)
                    .where(column == value, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))
                    .order_by(LoginAttempt.at.desc())
                    .limit(limit)
                ).all()
                if len(failures) >= limit:
                    return max(1, int((failures[-1] + self._throttle.window - now).total_seconds()) + 1)
        return 0

    def record_attempt(self, username: str, client: str, succeeded: bool) -> None:
        with self._sessions() as session:
            session.add(
                LoginAttempt(
                    username=username.strip().lower()[:64], client=client[:64], succeeded=succeeded, at=self._clock()
                )
            )
            session.commit()

    # API tokens ---------------------------------------------------------------------------------

    def create_token(self, name: str, role: Role, created_by: int) -> tuple[str, TokenView]:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions() as session:
            row = ApiToken(
                name=name.strip()[:128],
                token_hash=digest(secret),
                prefix=secret[:10],
                role=role,
                created_by=created_by,
                created_at=self._clock(),
            )
            session.add(row)
            session.commit()
            return secret, TokenView.of(row)

    def token_caller(self, secret: str) -> TokenCaller | None:
        with self._sessions() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
            if row is None or row.revoked_at is not None:
                return None
            creator = session.get(User, row.created_by)
            if creator is None or not creator.active:
                return None
            row.last_used_at = self._clock()
            session.commit()
            return TokenCaller(TokenView.of(row), UserView.of(creator))

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

    def active_token_count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))) or 0
