"""Orders and repairs in the retention purge (desk/retention.py): an order whose last change, its own
or a repair's, is older than DESK_RETENTION_DAYS goes with its items and repairs; one an open
escalation names stays; a dry run deletes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.database import make_engine, upgrade_schema
from desk.models import AuditEntry, Conversation, Escalation, EscalationStatus, Priority
from desk.orders.records import Repair, RepairStage
from desk.orders.store import OrderStore, UnknownOrder
from desk.personal_data import ORDER_DATA
from desk.retention import Purged, Retention
from tests.desk.orders.test_store import ORDER, REPAIR
from tests.desk.test_cli import desk as run_desk
from tests.races import hold_first_write

LONG_AGO = datetime(2025, 1, 10, 2, 0, tzinfo=UTC)
NOW = LONG_AGO + timedelta(days=400)
RECENTLY = NOW - timedelta(days=3)


def number(n: int) -> str:
    return f"LM2026112600{n:02d}"


def rma(n: int) -> str:
    return f"RMA202600{n:02d}"


def put(sessions: sessionmaker[Session], at: datetime, n: int, *repairs: int) -> None:
    """Order n (with its two items) stored at `at`, with repairs of the given numbers."""
    store = OrderStore(sessions, clock=lambda: at)
    store.put_order(replace(ORDER, number=number(n)))
    for r in repairs:
        store.put_repair(repair(n, r))


def repair(n: int, r: int, stage: RepairStage = RepairStage.RECEIVED) -> Repair:
    return replace(REPAIR, rma_number=rma(r), order_number=number(n), stage=stage)


def escalation(
    sessions: sessionmaker[Session], conversation_id: str, status: str, identifiers: dict[str, list[str]]
) -> None:
    with sessions() as session:
        session.add(Conversation(id=conversation_id, channel="api", created_at=RECENTLY, updated_at=RECENTLY))
        session.add(
            Escalation(
                conversation_id=conversation_id,
                reason="customer_request",
                priority=Priority.NORMAL,
                status=status,
                channel="api",
                language="zh",
                identifiers=identifiers,
                created_at=RECENTLY,
                sla_due_at=RECENTLY + timedelta(minutes=30),
            )
        )
        session.commit()


OLD = [number(1), number(6)]
KEPT = [number(2), number(3), number(4), number(5)]


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    put(sessions, LONG_AGO, 1, 11, 12)  # untouched for 400 days, with two repairs
    put(sessions, LONG_AGO, 2, 21, 22)
    OrderStore(sessions, clock=lambda: RECENTLY).put_repair(repair(2, 22, RepairStage.REPAIRING))  # a repair moved
    put(sessions, LONG_AGO, 3)
    put(sessions, RECENTLY, 3)  # sent again, unchanged: still as old as it was
    OrderStore(sessions, clock=lambda: RECENTLY).put_order(replace(ORDER, number=number(3), carrier="EMS"))
    put(sessions, LONG_AGO, 4)
    put(sessions, LONG_AGO, 5, 51)
    put(sessions, LONG_AGO, 6)
    # An agent works on order 4 (as the customer typed it) and on order 5 by its repair.
    escalation(sessions, "c-open", EscalationStatus.CLAIMED, {"order_number": [number(4).lower()]})
    escalation(sessions, "c-queued", EscalationStatus.QUEUED, {"repair_number": [rma(51).lower()]})
    escalation(sessions, "c-closed", EscalationStatus.RESOLVED, {"order_number": [number(6)]})
    return sessions


def rows_of(sessions: sessionmaker[Session], numbers: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    with sessions() as session:
        for holding in ORDER_DATA:
            query = select(func.count()).select_from(holding.model).where(holding.rows(numbers))
            found[holding.name] = session.scalar(query) or 0
    return found


def retention(sessions: sessionmaker[Session], days: int = 365) -> Retention:
    return Retention(sessions, AuditLog(sessions), days, clock=lambda: NOW)


def test_orders_unchanged_past_the_retention_go_with_their_items_and_repairs(world: sessionmaker[Session]) -> None:
    before = rows_of(world, OLD)
    assert before == Counter({"orders": 2, "order_items": 4, "repairs": 2})
    kept = rows_of(world, KEPT)
    seen: list[int] = []

    purged = retention(world).purge(progress=lambda p: seen.append(p.orders_done))

    assert (purged.orders_found, purged.orders_done, seen) == (2, 2, [2])
    assert (purged.found, purged.done) == (0, 0)  # no conversation is old
    assert purged.rows == before
    assert sum(rows_of(world, OLD).values()) == 0
    assert rows_of(world, KEPT) == kept
    with world() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
    assert entry.details["deleted"] == {"orders": 2, "order_items": 4, "repairs": 2}
    assert number(1) not in str(entry.details) and ORDER.customer.phone not in str(entry.details)


def test_a_dry_run_counts_the_orders_and_deletes_nothing(world: sessionmaker[Session]) -> None:
    before = rows_of(world, OLD)
    purged = retention(world).purge(dry_run=True)
    assert purged.orders_done == 2 and purged.rows == before
    assert rows_of(world, OLD) == before


def test_retention_zero_keeps_every_order_and_a_longer_one_keeps_more(world: sessionmaker[Session]) -> None:
    assert retention(world, days=0).purge().orders_found == 0
    assert retention(world, days=401).purge().orders_found == 0
    assert sum(rows_of(world, OLD).values()) > 0


def test_a_repair_stored_while_the_purge_runs_never_leaves_half_an_order(world: sessionmaker[Session]) -> None:
    """The purge takes order 1 (untouched for 400 days) while its repair is being stored: either the
    repair gets in first and keeps its order (PostgreSQL: the purge waits for the order the write
    holds, then sees the change), or the purge does and the repair is refused as of an unknown order
    (SQLite: the write had not begun). Never a repair without its order, never another error."""
    store = OrderStore(world, clock=lambda: NOW)
    outcome: dict[str, object] = {}

    def write() -> None:
        try:
            outcome["put"] = store.put_repair(repair(1, 11, RepairStage.DIAGNOSING))
        except Exception as error:
            outcome["put"] = error

    def purge() -> None:
        outcome["purged"] = retention(world).purge()

    with hold_first_write(world.kw["bind"], "writer") as hold:
        writer = threading.Thread(target=write, name="writer")
        writer.start()
        assert hold.reached.wait(5)
        purging = threading.Thread(target=purge)
        purging.start()
        purging.join(1)
        hold.release.set()
        writer.join(10)
        purging.join(10)

    assert isinstance(outcome["purged"], Purged)
    assert store.order(number(6)) is None
    if store.order(number(1)) is not None:
        assert outcome == {"put": False, "purged": outcome["purged"]} and outcome["purged"].orders_done == 1
        stored = store.repair(rma(11))
        assert stored is not None and stored.stage is RepairStage.DIAGNOSING
    else:
        assert isinstance(outcome["put"], UnknownOrder), outcome
        assert rows_of(world, [number(1)]) == Counter({"orders": 0, "order_items": 0, "repairs": 0})


def test_the_purge_command_counts_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade_schema(url)
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    now = datetime.now(UTC)
    put(sessions, now - timedelta(days=40), 1, 11)
    put(sessions, now - timedelta(days=1), 2)
    env = {"DESK_RETENTION_DAYS": "30"}
    try:
        dry = run_desk(url, "purge", "--dry-run", **env)
        assert dry.returncode == 0, dry.stderr
        assert "would delete 0 of 0 conversations, 1 of 1 orders" in dry.stderr
        assert "orders\t1" in dry.stdout and "order_items\t2" in dry.stdout and "repairs\t1" in dry.stdout
        assert OrderStore(sessions).order(number(1)) is not None

        done = run_desk(url, "purge", **env)
        assert done.returncode == 0, done.stderr
        assert "deleted 0 of 0 conversations, 1 of 1 orders" in done.stderr
        assert OrderStore(sessions).order(number(1)) is None and OrderStore(sessions).order(number(2)) is not None
    finally:
        engine.dispose()
