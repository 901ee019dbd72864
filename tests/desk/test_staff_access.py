"""Staff accounts, sign-in sessions, API tokens and sign-in throttling (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.access import AccessKeys, Throttle, TokenError
from desk.models import ApiToken, Role, Scope, StaffSession, TokenRole, User
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
    secret, token = access.create_token("crm-sync", TokenRole.LEAD, admin.id)
    assert secret.startswith("lmk_") and token.prefix == secret[:10]
    with sessions() as session:
        assert session.scalar(select(ApiToken.token_hash)) != secret
    caller = access.token_caller(secret)
    assert caller is not None and caller.staff_role == Role.LEAD and caller.owner.username == "root"
    access.revoke_token(token.id)
    assert access.token_caller(secret) is None
    assert access.token_caller("lmk_made-up") is None


def test_a_token_never_does_more_than_its_owner_currently_may(sessions: sessionmaker[Session]) -> None:
    users = UserDirectory(sessions)
    access = AccessKeys(sessions)
    admin = users.create("root", PASSWORD, Role.ADMIN)
    lead = users.create("lena", PASSWORD, Role.LEAD)
    with pytest.raises(TokenError, match="outrank"):
        access.create_token("report", TokenRole.ADMIN, lead.id)
    staff_secret, _ = access.create_token("report", TokenRole.ADMIN, admin.id)
    crm_secret, crm = access.create_token("crm", TokenRole.INTEGRATION, admin.id)
    assert crm.scopes == (Scope.CONVERSATIONS, Scope.ORDERS)  # made without --scope: every scope
    staff, integration = access.token_caller(staff_secret), access.token_caller(crm_secret)
    assert staff is not None and staff.staff_role == Role.ADMIN and not staff.may(Scope.CONVERSATIONS)
    assert integration is not None and integration.staff_role is None and integration.may(Scope.ORDERS)

    users.update(admin.id, role=Role.AGENT)  # demoted: both tokens shrink with their owner
    staff, integration = access.token_caller(staff_secret), access.token_caller(crm_secret)
    assert staff is not None and staff.staff_role == Role.AGENT
    assert integration is not None and not integration.may(Scope.CONVERSATIONS)

    users.update(admin.id, role=Role.ADMIN, active=False)  # deactivated: the tokens die with the owner
    assert access.token_caller(staff_secret) is None and access.token_caller(crm_secret) is None


def test_integration_tokens_are_named_for_their_namespace_and_scoped(sessions: sessionmaker[Session]) -> None:
    users = UserDirectory(sessions)
    access = AccessKeys(sessions)
    admin = users.create("root", PASSWORD, Role.ADMIN)
    lead = users.create("lena", PASSWORD, Role.LEAD)
    with pytest.raises(TokenError, match="lower-case"):
        access.create_token("CRM Sync", TokenRole.INTEGRATION, admin.id)
    with pytest.raises(TokenError, match="owned by an admin"):
        access.create_token("crm", TokenRole.INTEGRATION, lead.id)
    with pytest.raises(TokenError, match="scopes are for integration"):
        access.create_token("report", TokenRole.LEAD, admin.id, [Scope.ORDERS])
    secret, token = access.create_token("shop", TokenRole.INTEGRATION, admin.id, [Scope.ORDERS])
    caller = access.token_caller(secret)
    assert token.scopes == (Scope.ORDERS,) and caller is not None
    assert caller.may(Scope.ORDERS) and not caller.may(Scope.CONVERSATIONS)


def test_tokens_expire_when_asked_to(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    users = UserDirectory(sessions)
    access = AccessKeys(sessions, clock=clock)
    admin = users.create("root", PASSWORD, Role.ADMIN)
    secret, token = access.create_token("crm", TokenRole.INTEGRATION, admin.id, expires_in=timedelta(days=30))
    assert token.expires_at == clock.now + timedelta(days=30)
    clock.now += timedelta(days=29)
    assert access.token_caller(secret) is not None
    clock.now += timedelta(days=1)
    assert access.token_caller(secret) is None
    with pytest.raises(TokenError, match="positive"):
        access.create_token("crm", TokenRole.INTEGRATION, admin.id, expires_in=timedelta(0))


def fail(access: AccessKeys, username: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        access.record_attempt(username, client, succeeded=False)


def test_a_pair_waits_longer_after_each_failure_past_the_free_ones(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    throttle = Throttle(free_failures=3, first_delay=timedelta(seconds=5), max_delay=timedelta(minutes=1))
    access = AccessKeys(sessions, throttle=throttle, clock=clock)
    for _ in range(2):
        fail(access, "alice", "10.0.0.1")
        assert access.sign_in_blocked("alice", "10.0.0.1") == 0  # typing a password wrong happens
    waits = []
    for _ in range(6):
        fail(access, "Alice", "10.0.0.1")  # the username as typed: the pair is case-blind
        waits.append(access.sign_in_blocked("alice", "10.0.0.1"))
        clock.now += timedelta(seconds=waits[-1])
        assert access.sign_in_blocked("alice", "10.0.0.1") == 0
    assert waits == [5, 10, 20, 40, 60, 60]  # doubling, capped
    # A success starts the pair over.
    access.record_attempt("alice", "10.0.0.1", succeeded=True)
    clock.now += timedelta(seconds=1)
    fail(access, "alice", "10.0.0.1", times=2)
    assert access.sign_in_blocked("alice", "10.0.0.1") == 0
    # Failures older than the pair's window are forgotten.
    fail(access, "alice", "10.0.0.1")
    assert access.sign_in_blocked("alice", "10.0.0.1") > 0
    clock.now += throttle.pair_window
    assert access.sign_in_blocked("alice", "10.0.0.1") == 0


def test_failures_from_elsewhere_never_lock_a_user_out(sessions: sessionmaker[Session]) -> None:
    """Anyone could keep `admin` locked out when failures counted per username (issue 11, L2)."""
    clock = Clock()
    access = AccessKeys(sessions, clock=clock)
    for attacker in range(20):
        fail(access, "admin", f"203.0.113.{attacker}", times=10)
    assert access.sign_in_blocked("admin", "203.0.113.1") > 0
    assert access.sign_in_blocked("admin", "10.0.0.1") == 0  # the admin, at their own desk


def test_a_client_failing_for_many_usernames_waits_for_the_window(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    access = AccessKeys(sessions, throttle=Throttle(window=timedelta(minutes=15), per_client=5), clock=clock)
    for name in ("alice", "bob", "carol", "dave", "erin"):
        assert access.sign_in_blocked(name, "10.0.0.1") == 0
        fail(access, name, "10.0.0.1")
    wait = access.sign_in_blocked("frank", "10.0.0.1")
    assert 0 < wait <= 15 * 60
    assert access.sign_in_blocked("frank", "10.0.0.2") == 0  # another client
    clock.now += timedelta(minutes=15, seconds=1)
    assert access.sign_in_blocked("frank", "10.0.0.1") == 0  # the window has passed
