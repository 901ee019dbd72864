"""The built-in order store (desk/orders/store.py) on SQLite and PostgreSQL: upserts that say whether
they created, items replaced as a whole, a repair refused when its order is not stored, `updated_at`
moved only by a change, and two writes of one new number at once (tests/desk/orders/
test_order_system_contract.py checks what comes back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.models import StoredOrder, StoredOrderItem, StoredRepair
from desk.orders.records import (
    Address,
    Category,
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Repair,
    RepairStage,
    TrackingEvent,
)
from desk.orders.store import OrderStore, UnknownOrder
from tests.races import race, writes_meet

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=BEIJING)

ORDER = Order(
    number="LM202611260001",
    customer=Customer("张三", "13800138000"),
    status=OrderStatus.SHIPPED,
    address=Address("上海市", "上海市", "浦东新区", "世纪大道 100 号"),
    items=(
        OrderItem("RV-S7", "扫地机器人 S7", Category.ROBOT_VACUUM, "RV2406123456", Decimal("2999.90"), 1),
        OrderItem("EB-A2", "耳机 A2", Category.EARBUDS, "EB2406000001", Decimal("0.10"), 2),
    ),
    paid_at=T0,
    shipped_at=T0 + timedelta(hours=6),
    carrier="SF Express",
    tracking_number="SF1234567890123",
    tracking_events=(TrackingEvent(T0 + timedelta(hours=6), "已揽收 Picked up"),),
)
REPAIR = Repair(
    rma_number="RMA20261234",
    order_number=ORDER.number,
    serial_number="RV2406123456",
    stage=RepairStage.RECEIVED,
    received_at=T0 + timedelta(days=20),
    events=(TrackingEvent(T0 + timedelta(days=20), "已收货 Received"),),
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(sessions: sessionmaker[Session], clock: Clock) -> OrderStore:
    return OrderStore(sessions, clock)


def stored(sessions: sessionmaker[Session], number: str) -> StoredOrder:
    with sessions() as session:
        row = session.get(StoredOrder, number)
        assert row is not None
        return row


def item_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(StoredOrderItem)) or 0


def test_an_order_comes_back_as_it_went_in_with_decimal_prices_and_aware_times(store: OrderStore) -> None:
    assert store.put_order(ORDER) is True
    back = store.order(ORDER.number)
    assert back == ORDER
    assert back is not None
    assert [i.price for i in back.items] == [Decimal("2999.90"), Decimal("0.10")]
    assert all(type(i.price) is Decimal and str(i.price) in ("2999.90", "0.10") for i in back.items)
    assert back.paid_at is not None and back.paid_at.utcoffset() == timedelta(0)  # the same instant, in UTC
    assert back.tracking_events[0].at.utcoffset() == timedelta(0)


def test_identifiers_are_read_as_a_customer_types_them(store: OrderStore) -> None:
    store.put_order(ORDER)
    store.put_repair(REPAIR)
    assert store.order("lm 2026 1126 0001") == ORDER
    assert store.repair("rma20261234") == REPAIR
    assert store.order("LM202611260002") is None and store.repair("RMA20269999") is None
    assert store.order("not a number") is None and store.repair("") is None


def test_an_upsert_says_whether_it_created_and_replaces_the_items_as_a_whole(
    store: OrderStore, sessions: sessionmaker[Session]
) -> None:
    assert store.put_order(ORDER) is True
    delivered = replace(
        ORDER,
        status=OrderStatus.DELIVERED,
        delivered_at=T0 + timedelta(days=2),
        items=(OrderItem("AP-P3", "净化器 P3", Category.AIR_PURIFIER, "AP2406000009", Decimal("1299"), 1),),
    )
    assert store.put_order(delivered) is False
    assert store.order(ORDER.number) == delivered
    assert item_rows(sessions) == 1
    assert store.put_order(replace(ORDER, items=())) is False
    back = store.order(ORDER.number)
    assert back is not None and back.items == () and item_rows(sessions) == 0


def test_updated_at_moves_only_when_something_changed(
    store: OrderStore, sessions: sessionmaker[Session], clock: Clock
) -> None:
    store.put_order(ORDER)
    store.put_repair(REPAIR)
    first = clock.now
    clock.now += timedelta(days=1)
    # The same order sent again (times in another zone, a price written differently): no change.
    same = replace(
        ORDER,
        paid_at=ORDER.paid_at.astimezone(UTC) if ORDER.paid_at else None,
        items=(replace(ORDER.items[0], price=Decimal("2999.9")), ORDER.items[1]),
    )
    assert store.put_order(same) is False and store.put_repair(REPAIR) is False
    assert stored(sessions, ORDER.number).updated_at == first
    clock.now += timedelta(days=1)
    store.put_order(
        replace(ORDER, tracking_events=(*ORDER.tracking_events, TrackingEvent(T0 + timedelta(days=1), "运输中")))
    )
    row = stored(sessions, ORDER.number)
    assert (row.created_at, row.updated_at) == (first, clock.now)
    store.put_repair(replace(REPAIR, stage=RepairStage.DIAGNOSING))
    with sessions() as session:
        repair = session.get(StoredRepair, REPAIR.rma_number)
        assert repair is not None and (repair.created_at, repair.updated_at) == (first, clock.now)


def test_a_repair_of_an_order_not_stored_is_refused_and_nothing_is_written(
    store: OrderStore, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(UnknownOrder, match="LM202611260001") as refused:
        store.put_repair(REPAIR)
    assert (refused.value.rma_number, refused.value.order_number) == (REPAIR.rma_number, ORDER.number)
    assert isinstance(refused.value, ValueError)
    assert store.repair(REPAIR.rma_number) is None
    store.put_order(ORDER)
    assert store.put_repair(REPAIR) is True and store.repair(REPAIR.rma_number) == REPAIR
    # Moved to an order that is not stored: refused, the stored repair unchanged.
    with pytest.raises(UnknownOrder):
        store.put_repair(replace(REPAIR, order_number="LM202611269999", stage=RepairStage.REPAIRING))
    assert store.repair(REPAIR.rma_number) == REPAIR


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "LM123"}, "order number"),
        ({"paid_at": datetime(2026, 11, 26, 10, 0)}, "paid_at"),
        ({"tracking_events": (TrackingEvent(datetime(2026, 11, 26, 10, 0), "naive"),)}, "tracking_events.at"),
        ({"items": (replace(ORDER.items[0], price=Decimal("1.005")),)}, r"items\[0\].price"),
        ({"items": (replace(ORDER.items[0], price=Decimal("-1")),)}, r"items\[0\].price"),
        ({"items": (replace(ORDER.items[0], price=Decimal("10000000000")),)}, r"items\[0\].price"),
        ({"items": (replace(ORDER.items[0], serial_number="rv123"),)}, r"items\[0\].serial_number"),
        ({"items": (replace(ORDER.items[0], quantity=0),)}, r"items\[0\].quantity"),
    ],
)
def test_what_the_tables_cannot_hold_is_refused_by_field(
    store: OrderStore, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        store.put_order(replace(ORDER, **change))  # type: ignore[arg-type]
    assert store.order(ORDER.number) is None


def test_a_repair_with_a_bad_identifier_or_a_naive_time_is_refused(store: OrderStore) -> None:
    store.put_order(ORDER)
    for change, field in (
        ({"rma_number": "RMA1"}, "RMA number"),
        ({"serial_number": "XX1"}, "serial_number"),
        ({"received_at": datetime(2026, 12, 1, 9, 0)}, "received_at"),
    ):
        with pytest.raises(ValueError, match=field):
            store.put_repair(replace(REPAIR, **change))  # type: ignore[arg-type]


def test_two_puts_of_one_new_order_at_once_both_succeed_and_one_created_it(
    store: OrderStore, sessions: sessionmaker[Session]
) -> None:
    other = replace(ORDER, status=OrderStatus.DELIVERED, delivered_at=T0 + timedelta(days=1), items=ORDER.items[:1])
    # Both have found no order before either inserts: the primary key decides.
    with writes_meet(sessions.kw["bind"], "orders", 2, verb="INSERT INTO"):
        outcomes = race(lambda: store.put_order(ORDER), lambda: store.put_order(other))
    assert sorted(outcomes, key=str) == [False, True], outcomes
    back = store.order(ORDER.number)
    assert back in (ORDER, other)  # whichever came last, whole: never a mix of both orders' items
    assert back is not None and item_rows(sessions) == len(back.items)


def test_two_puts_of_one_new_repair_at_once_both_succeed(store: OrderStore, sessions: sessionmaker[Session]) -> None:
    store.put_order(ORDER)
    diagnosing = replace(REPAIR, stage=RepairStage.DIAGNOSING)
    with writes_meet(sessions.kw["bind"], "repairs", 2, verb="INSERT INTO"):
        outcomes = race(lambda: store.put_repair(REPAIR), lambda: store.put_repair(diagnosing))
    assert sorted(outcomes, key=str) == [False, True], outcomes
    assert store.repair(REPAIR.rma_number) in (REPAIR, diagnosing)
