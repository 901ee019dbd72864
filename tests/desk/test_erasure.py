"""Forgetting a customer (issue 11, L5; handbook P18): their conversations on every identity the
asserted links reach, with all their rows and links, and an audit entry without personal data;
someone else's conversations stay (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import desk.erasure
from desk.audit import AuditLog
from desk.customers import Customer, CustomerLinks
from desk.erasure import Erasure, ErasureRefused
from desk.models import AuditEntry
from desk.rasa_tracker import RasaTrackerStore
from tests.desk.customer_data import chat, escalate, rasa_tracker, rows_of, tracker_events
from tests.desk.test_cli import desk as run_desk

AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CRM = "int:crm:u-42"
WECHAT = "wechat:wx5f6e7d8c9b0a1234:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
STRANGER = "wechat:wx5f6e7d8c9b0a1234:o6_someoneelse000000000000"
THEIRS = ["int:crm:order-1", "wechat:mine"]


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    chat(sessions, "int:crm:order-1", AT, customer_id=CRM)
    escalate(sessions, "int:crm:order-1", AT, resolve=True)
    chat(sessions, "wechat:mine", AT, customer_id=WECHAT)
    chat(sessions, "wechat:theirs", AT, customer_id=STRANGER)
    chat(sessions, "anonymous", AT)
    links = CustomerLinks(sessions, AuditLog(sessions))
    links.link(CRM, WECHAT, "token:crm")
    return sessions


def erasure(sessions: sessionmaker[Session]) -> Erasure:
    return Erasure(sessions, AuditLog(sessions))


def test_the_customer_is_forgotten_on_every_linked_identity(world: sessionmaker[Session], tmp_path: Path) -> None:
    before, others = rows_of(world, THEIRS), rows_of(world, ["wechat:theirs", "anonymous"])
    path = rasa_tracker(tmp_path / "tracker.db", {"int:crm:order-1": 4, "wechat:mine": 2, "wechat:theirs": 3})
    tracker = RasaTrackerStore.at(str(path))
    try:
        forgotten = erasure(world).forget_customer(
            WECHAT, actor="system:cli", reference="P18-2026-0042", elsewhere=[tracker]
        )
    finally:
        tracker.close()

    assert (forgotten.identities, forgotten.conversations) == (2, 2)
    assert forgotten.rows == {**before, "customer_links": 1, "rasa tracker events": 6}
    assert sum(rows_of(world, THEIRS).values()) == 0
    assert rows_of(world, ["wechat:theirs", "anonymous"]) == others
    assert tracker_events(path) == {"wechat:theirs": 3}
    assert CustomerLinks(world, AuditLog(world)).links_of(CRM) == []
    with world() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.forget")).one()
        audit = " ".join(f"{e.target} {e.details}" for e in session.scalars(select(AuditEntry)))
    assert entry.actor == "system:cli" and entry.target is None
    assert entry.details["reference"] == "P18-2026-0042" and entry.details["identities"] == 2
    assert entry.details["deleted"]["conversations"] == 2
    # The whole audit log names no identity of the customer, nor their conversations.
    for personal in ("u-42", "o6_bmjr", "order-1", "wechat:mine"):
        assert personal not in audit


def test_a_dry_run_counts_and_deletes_nothing(world: sessionmaker[Session]) -> None:
    before = rows_of(world, THEIRS)
    forgotten = erasure(world).forget_customer(CRM, actor="system:cli", dry_run=True)
    assert forgotten.rows == {**before, "customer_links": 1}
    assert rows_of(world, THEIRS) == before
    assert len(CustomerLinks(world, AuditLog(world)).links_of(CRM)) == 1


def test_a_conversation_with_the_agents_is_not_deleted_under_them(world: sessionmaker[Session]) -> None:
    escalate(world, "wechat:mine", AT, resolve=False)
    before = rows_of(world, THEIRS)
    with pytest.raises(ErasureRefused, match="with the agents"):
        erasure(world).forget_customer(CRM, actor="system:cli")
    assert rows_of(world, THEIRS) == before


def test_links_reaching_too_far_stop_the_deletion(
    world: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk.erasure, "same_customer", lambda _s, c: Customer(frozenset({c}), complete=False))
    with pytest.raises(ErasureRefused, match="withdraw the wrong links"):
        erasure(world).forget_customer(CRM, actor="system:cli")
    assert sum(rows_of(world, THEIRS).values()) > 0


def test_an_unknown_customer_is_recorded_as_forgotten_with_nothing_deleted(world: sessionmaker[Session]) -> None:
    forgotten = erasure(world).forget_customer("int:crm:nobody", actor="system:cli")
    assert (forgotten.identities, forgotten.conversations, sum(forgotten.rows.values())) == (1, 0, 0)


def test_the_forget_command_follows_links_and_takes_the_tracker_too(
    world: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    path = rasa_tracker(tmp_path / "tracker.db", {"int:crm:order-1": 4, "wechat:theirs": 3})
    dry = run_desk(database_url, "forget-customer", CRM, "--dry-run", "--rasa-tracker-db", str(path))
    assert dry.returncode == 0, dry.stderr
    assert "2 identities, 2 conversations" in dry.stderr and "would delete" in dry.stderr
    assert "conversations\t2" in dry.stdout and "rasa tracker events\t4" in dry.stdout
    assert rows_of(world, THEIRS)["conversations"] == 2

    done = run_desk(database_url, "forget-customer", CRM, "--reference", "P18-7", "--rasa-tracker-db", str(path))
    assert done.returncode == 0, done.stderr
    assert "customer_links\t1" in done.stdout and "escalation_notes\t1" in done.stdout
    assert sum(rows_of(world, THEIRS).values()) == 0 and tracker_events(path) == {"wechat:theirs": 3}
    assert CRM not in done.stdout + done.stderr  # the output names no identity either

    escalate(world, "wechat:theirs", AT, resolve=False)
    refused = run_desk(database_url, "forget-customer", STRANGER)
    assert refused.returncode == 2 and "with the agents" in refused.stderr
