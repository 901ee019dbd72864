"""Staff accounts, sign-in sessions, API tokens and sign-in throttling (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.access import AccessKeys, Throttle
from desk.models import ApiToken, Role, StaffSession, User
from desk.users import UserDirectory, UserError, allows

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_passwords_are_stored_as_argon2_hashes_and_checked(sessions: sessionmaker[Session]) -> None:
    users = UserDirectory(sessions)
    created = users.create("Lena", PASSWORD, Role.LEAD, "Lena Li")
    assert created.username == "lena"
    with sessions() as session:
        stored = session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert users.authenticate("LENA", PASSWORD) is not None
    assert users.authenticate("lena", "wrong password!") is None
    assert users.authenticate("nobody", PASSWORD) is None
    users.update(created.id, active=False)
    assert users.authenticate("lena", PASSWORD) is None


def test_bad_accounts_are_refused(sessions: sessionmaker[Session]) -> None:
    users = UserDirectory(sessions)
    users.create("agent1", PASSWORD, Role.AGENT)
    with pytest.raises(UserError, match="taken"):
        users.create("agent1", PASSWORD, Role.AGENT)
    with pytest.raises(UserError, match="at least"):
        users.create("agent2", "short", Role.AGENT)
    with pytest.raises(UserError, match="username"):
        users.create("<script>", PASSWORD, Role.AGENT)


def test_roles_include_the_ones_below() -> None:
    assert allows(Role.ADMIN, Role.LEAD) and allows(Role.LEAD, Role.AGENT) and allows(Role.AGENT, Role.AGENT)
    assert not allows(Role.AGENT, Role.LEAD) and not allows(Role.LEAD, Role.ADMIN)


def test_sessions_are_stored_hashed_expire_and_end(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    users = UserDirectory(sessions)
    access = AccessKeys(sessions, session_lifetime=timedelta(hours=1), clock=clock)
    user = users.create("alice", PASSWORD, Role.AGENT)
    secret, signed_in = access.start_session(user.id)
    assert signed_in.user.username == "alice" and len(signed_in.csrf_token) >= 32
    with sessions() as session:
        assert session.scalar(select(StaffSession.token_hash)) != secret
    assert access.session_user(secret) is not None
    assert access.session_user(secret + "x") is None
    clock.now += timedelta(hours=2)
    assert access.session_user(secret) is None  # expired
    clock.now -= timedelta(hours=2)
    access.end_session(secret)
    assert access.session_user(secret) is None  # signed out
    second, _ = access.start_session(user.id)
    users.update(user.id, active=False)
    assert access.session_user(second) is None  # deactivated users lose their sessions


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(sessions: sessionmaker[Session]) -> None:
    users = UserDirectory(sessions)
    access = AccessKeys(sessions)
    admin = users.create("root", PASSWORD, Role.ADMIN)
    secret, token = access.create_token("crm-sync", Role.LEAD, admin.id)
    assert secret.startswith("lmk_") and token.prefix == secret[:10]
    with sessions() as session:
        assert session.scalar(select(ApiToken.token_hash)) != secret
    caller = access.token_caller(secret)
    assert caller is not None and caller.token.role == Role.LEAD and caller.creator.username == "root"
    access.revoke_token(token.id)
    assert access.token_caller(secret) is None
    assert access.token_caller("lmk_made-up") is None


def test_sign_in_is_throttled_per_username_and_per_client(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    access = AccessKeys(
        sessions, throttle=Throttle(window=timedelta(minutes=15), per_username=3, per_client=5), clock=clock
    )
    for _ in range(3):
        assert access.sign_in_blocked("alice", "10.0.0.1") == 0
        access.record_attempt("alice", "10.0.0.1", succeeded=False)
    wait = access.sign_in_blocked("alice", "10.0.0.2")
    assert 0 < wait <= 15 * 60 + 1
    assert access.sign_in_blocked("bob", "10.0.0.3") == 0
    for name in ("carol", "dave"):
        access.record_attempt(name, "10.0.0.1", succeeded=False)
    assert access.sign_in_blocked("erin", "10.0.0.1") > 0  # five failures from one client
    clock.now += timedelta(minutes=16)
    assert access.sign_in_blocked("alice", "10.0.0.1") == 0  # the window has passed
