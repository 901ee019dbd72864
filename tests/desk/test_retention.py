"""The retention purge (issue 11, L5): closed conversations idle longer than DESK_RETENTION_DAYS go,
with every row desk.personal_data lists and their events in Rasa's tracker store; open and recent
ones stay; a dry run deletes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.models import AuditEntry
from desk.rasa_tracker import RasaTrackerStore, TrackerStoreError
from desk.retention import Purged, Retention
from tests.desk.customer_data import chat, escalate, rasa_tracker, rows_of, tracker_events
from tests.desk.test_cli import desk as run_desk

LONG_AGO = datetime(2025, 1, 10, 2, 0, tzinfo=UTC)
NOW = LONG_AGO + timedelta(days=400)
RECENTLY = NOW - timedelta(days=3)
OLD = ["c-resolved", "c-bot"]
KEPT = ["c-queued", "c-recent"]


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    chat(sessions, "c-resolved", LONG_AGO, customer_id="int:crm:u-1")
    escalate(sessions, "c-resolved", LONG_AGO + timedelta(minutes=5), resolve=True)
    chat(sessions, "c-bot", LONG_AGO)
    # Old, but an agent still owes the customer an answer: never purged.
    chat(sessions, "c-queued", LONG_AGO)
    escalate(sessions, "c-queued", LONG_AGO + timedelta(minutes=5), resolve=False)
    # Started long ago, written to recently.
    chat(sessions, "c-recent", LONG_AGO)
    chat(sessions, "c-recent", RECENTLY)
    return sessions


def retention(sessions: sessionmaker[Session], days: int = 365) -> Retention:
    return Retention(sessions, AuditLog(sessions), days, clock=lambda: NOW)


def test_closed_conversations_idle_past_the_retention_go_with_all_their_rows(world: sessionmaker[Session]) -> None:
    before = rows_of(world, OLD)
    assert all(before[name] > 0 for name in before), before  # every table of customers' data is exercised
    kept = rows_of(world, KEPT)
    seen: list[int] = []

    purged = retention(world).purge(progress=lambda p: seen.append(p.done))

    assert (purged.found, purged.done, seen) == (2, 2, [2])
    assert purged.rows == before
    assert sum(rows_of(world, OLD).values()) == 0
    assert rows_of(world, KEPT) == kept
    with world() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
    assert entry.details["retention_days"] == 365 and entry.details["deleted"]["conversations"] == 2
    assert "c-resolved" not in str(entry.details) and "u-1" not in str(entry.details)


def test_a_dry_run_counts_and_deletes_nothing(world: sessionmaker[Session]) -> None:
    before = rows_of(world, OLD)
    purged = retention(world).purge(dry_run=True)
    assert purged.done == 2 and purged.rows == before
    assert rows_of(world, OLD) == before
    with world() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).first() is None


def test_retention_zero_keeps_everything_and_a_longer_one_keeps_more(world: sessionmaker[Session]) -> None:
    assert retention(world, days=0).purge() == Purged(cutoff=None)
    assert retention(world, days=401).purge().found == 0
    assert sum(rows_of(world, OLD).values()) > 0


def test_the_rasa_tracker_events_of_purged_conversations_go_too(world: sessionmaker[Session], tmp_path: Path) -> None:
    path = rasa_tracker(tmp_path / "rasa-tracker.db", {"c-resolved": 7, "c-bot": 3, "c-recent": 5, "c-queued": 2})
    tracker = RasaTrackerStore.at(str(path))
    try:
        dry = retention(world).purge(dry_run=True, elsewhere=[tracker])
        assert dry.rows["rasa tracker events"] == 10 and tracker_events(path)["c-bot"] == 3
        purged = retention(world).purge(elsewhere=[tracker])
    finally:
        tracker.close()
    assert purged.rows["rasa tracker events"] == 10
    assert tracker_events(path) == {"c-recent": 5, "c-queued": 2}


def test_only_a_rasa_tracker_store_is_taken_for_one(tmp_path: Path, database_url: str) -> None:
    missing = tmp_path / "no-such.db"
    with pytest.raises(TrackerStoreError, match="no Rasa tracker database"):
        RasaTrackerStore.at(str(missing))
    assert not missing.exists()  # SQLite would have created it
    # The desk's own database has no `events` table.
    with pytest.raises(TrackerStoreError, match="not a Rasa SQL tracker store"):
        RasaTrackerStore.at(database_url)


def test_the_purge_command_reports_progress_and_counts(database_url: str, sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    chat(sessions, "c-old", now - timedelta(days=40))
    chat(sessions, "c-new", now - timedelta(days=1))
    env = {"DESK_RETENTION_DAYS": "30"}

    dry = run_desk(database_url, "purge", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert "would delete 1 of 1 conversations" in dry.stderr and "(30 days)" in dry.stderr
    assert "conversations\t1" in dry.stdout and "messages\t2" in dry.stdout
    assert rows_of(sessions, ["c-old"])["conversations"] == 1

    done = run_desk(database_url, "purge", **env)
    assert done.returncode == 0, done.stderr
    assert "deleted 1 of 1 conversations" in done.stderr and "turns\t1" in done.stdout
    assert "--rasa-tracker-db" in done.stderr  # the tracker store was left alone, and it says so
    assert sum(rows_of(sessions, ["c-old"]).values()) == 0 and rows_of(sessions, ["c-new"])["messages"] == 2

    forever = run_desk(database_url, "purge", DESK_RETENTION_DAYS="0")
    assert forever.returncode == 0 and "kept for ever" in forever.stderr
    wrong = run_desk(database_url, "purge", "--rasa-tracker-db", database_url, **env)
    assert wrong.returncode == 2 and "not a Rasa SQL tracker store" in wrong.stderr
