"""The contract every `OrderSystem` keeps (desk/orders/system.py), run against each implementation:
the built-in store (desk/orders/store.py, on SQLite and, where one is reachable, PostgreSQL) and the
HTTP connector (desk/orders/http_system.py) against a fake merchant server that follows
docs/order-system.openapi.yaml (bench/fakes/order_system.py).

What goes in comes back whole: every field, prices as `Decimal`, times aware and the same instant,
sequences as tuples, states as enums; unknown numbers are None; identifiers are read as a customer
types them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker

from bench.fakes.order_system import FakeOrderSystem, running_fake_order_system
from desk.database import make_engine
from desk.orders.http_system import HttpOrderSystem, Limits
from desk.orders.records import (
    Address,
    Category,
    Customer,
    Order,
    OrderFlags,
    OrderItem,
    OrderStatus,
    Repair,
    RepairStage,
    TrackingEvent,
)
from desk.orders.store import OrderStore
from desk.orders.system import OrderSystem
from tests.conftest import migrated_database

TOKEN = "merchant-issued-token-for-tests"
BEIJING = timezone(timedelta(hours=8))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
AT = datetime(2026, 11, 26, 10, 15, 0, tzinfo=BEIJING)

FULL_ORDER = Order(
    number="LM202611260001",
    customer=Customer("张三", "13800138000"),
    status=OrderStatus.SHIPPED,
    address=Address("广东省", "深圳市", "南山区", "科技园路 1 号 2 栋 301"),
    items=(
        OrderItem("RV-X1", "扫地机器人 X1", Category.ROBOT_VACUUM, "RV2406123456", Decimal("2999.00"), 1),
        OrderItem("FILTER-3", "Filter pack", Category.AIR_PURIFIER, None, Decimal("0.05"), 3),
        OrderItem("EB-2", "Earbuds 2", Category.EARBUDS, "EB2405000001", Decimal("12345678.99"), 999),
    ),
    paid_at=AT,
    shipped_at=AT + timedelta(hours=7, minutes=25),
    delivered_at=datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC),
    invoice_date=datetime(2026, 11, 25, 21, 15, tzinfo=NEW_YORK_WINTER),  # the same day in Beijing
    carrier="SF Express",
    tracking_number="SF1234567890123",
    tracking_events=(
        TrackingEvent(AT + timedelta(hours=7, minutes=25), "已揽收 Picked up, Shenzhen"),
        TrackingEvent(AT + timedelta(days=1), "运输中 In transit, Guangzhou hub"),
        TrackingEvent(AT + timedelta(days=1, hours=15), "已签收 Delivered"),
    ),
    flags=OrderFlags(flash_sale=True, coupon_price=True, trade_in=True),
)
# Only what every order has: each time and the tracking still unknown.
BARE_ORDER = Order(
    number="LM202612010002",
    customer=Customer("Li Lei", "13900139000"),
    status=OrderStatus.PAID,
    address=Address("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路 9 号"),
    items=(OrderItem("AC-1", "Air conditioner", Category.AIR_CONDITIONER, None, Decimal("3999"), 1),),
)
FULL_REPAIR = Repair(
    rma_number="RMA20261234",
    order_number=FULL_ORDER.number,
    serial_number="RV2406123456",
    stage=RepairStage.QUOTED,
    received_at=datetime(2026, 12, 2, 9, 30, tzinfo=BEIJING),
    events=(
        TrackingEvent(datetime(2026, 12, 1, 18, 0, tzinfo=BEIJING), "已预约取件 Pickup booked"),
        TrackingEvent(datetime(2026, 12, 2, 9, 30, tzinfo=BEIJING), "已收货 Received"),
        TrackingEvent(datetime(2026, 12, 3, 11, 0, tzinfo=UTC), "已报价 Quoted: out of warranty"),
    ),
)
BARE_REPAIR = Repair(
    rma_number="RMA20260001",
    order_number=BARE_ORDER.number,
    serial_number="AC2411000001",
    stage=RepairStage.CREATED,
)


@dataclass
class Subject:
    """An order system and the way to put records into it."""

    system: OrderSystem
    put_order: Callable[[Order], object]
    put_repair: Callable[[Repair], object]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOrderSystem]:
    with running_fake_order_system(TOKEN) as served:
        yield served


def _builtin(database: str, tmp_path: Path) -> Iterator[Subject]:
    engine = make_engine(migrated_database(database, tmp_path))
    store = OrderStore(sessionmaker(engine, expire_on_commit=False))
    try:
        yield Subject(store, store.put_order, store.put_repair)
    finally:
        engine.dispose()


def _http(served: FakeOrderSystem) -> Iterator[Subject]:
    served.reset()
    system = HttpOrderSystem(served.base_url, SecretStr(TOKEN), Limits(total_seconds=5.0, read_seconds=3.0))

    def put_order(order: Order) -> None:
        served.orders[order.number] = order

    def put_repair(repair: Repair) -> None:
        served.repairs[repair.rma_number] = repair

    try:
        yield Subject(system, put_order, put_repair)
    finally:
        system.close()


@pytest.fixture(params=["builtin-sqlite", "builtin-postgresql", "http"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    """Each implementation, empty (the fake merchant server is shared by the module's tests)."""
    if request.param == "http":
        yield from _http(request.getfixturevalue("fake"))
    else:
        yield from _builtin(request.param.removeprefix("builtin-"), tmp_path)


def test_an_order_comes_back_with_every_field(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)

    read = subject.system.order(FULL_ORDER.number)

    assert read == FULL_ORDER
    assert read is not None
    assert read.latest_event == FULL_ORDER.tracking_events[-1]


def test_an_order_without_its_optional_fields_comes_back_as_it_was(subject: Subject) -> None:
    subject.put_order(BARE_ORDER)

    read = subject.system.order(BARE_ORDER.number)

    assert read == BARE_ORDER
    assert read is not None
    assert (read.paid_at, read.carrier, read.tracking_number, read.tracking_events) == (None, None, None, ())
    assert read.flags == OrderFlags()
    assert read.latest_event is None


def test_values_keep_their_types(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)

    read = subject.system.order(FULL_ORDER.number)

    assert read is not None
    assert isinstance(read.status, OrderStatus)
    assert isinstance(read.items, tuple) and isinstance(read.tracking_events, tuple)
    for item in read.items:
        assert isinstance(item.price, Decimal) and isinstance(item.category, Category)
        assert isinstance(item.quantity, int)
    assert [item.price for item in read.items] == [Decimal("2999.00"), Decimal("0.05"), Decimal("12345678.99")]
    times = [read.paid_at, read.shipped_at, read.delivered_at, read.invoice_date]
    times += [event.at for event in read.tracking_events]
    for at in times:
        assert at is not None and at.utcoffset() is not None, "every time is aware"
    # The same instant, whichever offset the system writes it with.
    assert read.invoice_date is not None
    assert read.invoice_date.astimezone(BEIJING) == datetime(2026, 11, 26, 10, 15, tzinfo=BEIJING)


def test_a_repair_comes_back_with_every_field(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)
    subject.put_order(BARE_ORDER)
    subject.put_repair(FULL_REPAIR)
    subject.put_repair(BARE_REPAIR)

    full = subject.system.repair(FULL_REPAIR.rma_number)
    bare = subject.system.repair(BARE_REPAIR.rma_number)

    assert full == FULL_REPAIR
    assert bare == BARE_REPAIR
    assert full is not None and isinstance(full.stage, RepairStage) and isinstance(full.events, tuple)
    assert full.received_at is not None and full.received_at.utcoffset() is not None


def test_unknown_numbers_are_none(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)
    subject.put_repair(FULL_REPAIR)

    assert subject.system.order("LM209912319999") is None
    assert subject.system.repair("RMA99999999") is None


def test_numbers_are_read_as_customers_type_them(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)
    subject.put_repair(FULL_REPAIR)

    assert subject.system.order("lm 2026 1126 0001") == FULL_ORDER
    assert subject.system.order(" LM-202611260001 ") == FULL_ORDER
    assert subject.system.repair("rma20261234") == FULL_REPAIR


def test_what_is_not_a_number_is_none(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)

    for text in ("", "LM2026", "RMA20261234", "LM202611260001/../x", "../orders/LM202611260001"):
        assert subject.system.order(text) is None
    assert subject.system.repair(FULL_ORDER.number) is None


def test_a_read_sees_the_latest_write(subject: Subject) -> None:
    subject.put_order(FULL_ORDER)
    delivered = replace(FULL_ORDER, status=OrderStatus.RETURNED, tracking_events=FULL_ORDER.tracking_events[:1])

    subject.put_order(delivered)

    assert subject.system.order(FULL_ORDER.number) == delivered
