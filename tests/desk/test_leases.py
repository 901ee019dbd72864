"""Leases in the desk database (desk/leases.py), on SQLite and on a real PostgreSQL (a fresh schema
per test; skipped with the reason when none answers): one holder at a time, renewed by its holder,
taken over once expired, given up by its holder only; replicas asking at once get it once."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.database import make_engine, upgrade_schema
from desk.leases import LeaseStore
from tests.conftest import _postgres_reason, postgres_schema
from tests.races import race

MINUTE = timedelta(minutes=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def fresh_database(kind: str, tmp_path: Path, *, migrated: bool = True) -> Iterator[str]:
    """A database of its own (migrated, or empty): a SQLite file, or a new PostgreSQL schema dropped
    afterwards (skipped, saying why, when no PostgreSQL answers)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        if migrated:
            upgrade_schema(url)
        yield url
        return
    if reason := _postgres_reason():
        pytest.skip(reason)
    with postgres_schema("leases") as url:
        if migrated:
            upgrade_schema(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def lease_sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    databases = fresh_database(request.param, tmp_path)
    engine = make_engine(next(databases))
    try:
        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        engine.dispose()
        databases.close()


def test_one_holder_until_it_expires_then_another(lease_sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    leases = LeaseStore(lease_sessions, clock)
    assert leases.acquire("wecom-sync:wk1", "a", MINUTE)
    assert not leases.acquire("wecom-sync:wk1", "b", MINUTE)
    assert leases.acquire("wecom-sync:wk2", "b", MINUTE)  # another lease is another matter
    held = leases.get("wecom-sync:wk1")
    assert held is not None and held.holder == "a" and held.expires_at == clock.now + MINUTE
    # Its holder renews it: it lasts from the renewal, and was acquired when first taken.
    clock.now += timedelta(seconds=40)
    assert leases.acquire("wecom-sync:wk1", "a", MINUTE)
    clock.now += timedelta(seconds=40)
    assert not leases.acquire("wecom-sync:wk1", "b", MINUTE)
    renewed = leases.get("wecom-sync:wk1")
    assert renewed is not None and renewed.acquired_at == held.acquired_at
    # The holder stops renewing (it died): once expired, another takes it over.
    clock.now += timedelta(seconds=21)
    assert leases.acquire("wecom-sync:wk1", "b", MINUTE)
    taken = leases.get("wecom-sync:wk1")
    assert taken is not None and taken.holder == "b" and taken.acquired_at == clock.now
    assert not leases.acquire("wecom-sync:wk1", "a", MINUTE)  # the old holder, back, waits


def test_only_its_holder_gives_it_up(lease_sessions: sessionmaker[Session]) -> None:
    leases = LeaseStore(lease_sessions, Clock())
    assert leases.acquire("job", "a", MINUTE)
    assert not leases.release("job", "b")
    assert leases.get("job") is not None
    assert leases.release("job", "a")
    assert leases.get("job") is None
    assert leases.acquire("job", "b", MINUTE)


def test_replicas_asking_at_once_get_it_once(lease_sessions: sessionmaker[Session]) -> None:
    for round_ in range(5):  # first an INSERT race, then (expired rows) UPDATE races
        clock = Clock()
        clock.now += timedelta(hours=round_)  # every earlier round's lease has expired
        assert len(acquired_at_once(lease_sessions, clock, [f"r{round_}-{n}" for n in range(4)])) == 1


def acquired_at_once(sessions: sessionmaker[Session], clock: Clock, holders: list[str]) -> list[str]:
    """Replicas (threads with their own connections) asking for one lease at the same moment: who got it."""
    barrier = threading.Barrier(len(holders), timeout=10)

    def replica(holder: str) -> bool:
        leases = LeaseStore(sessions, clock)
        barrier.wait()
        return leases.acquire("job", holder, MINUTE)

    outcomes = race(*(functools.partial(replica, holder) for holder in holders))
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    won = [holder for holder, got in zip(holders, outcomes, strict=True) if got is True]
    held = LeaseStore(sessions, clock).get("job")
    assert held is not None and [held.holder] == won
    return won
