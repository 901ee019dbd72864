"""The demo data set (desk/orders/demo.py, docs/demo-orders.md): every order status and repair stage,
what the handbook's rules need to be tried (P2's windows, a stalled parcel for P3, P12's flags, P9's
turnaround still running), all of it marked as demo and dated before today; `python -m desk orders
demo` loads it again and again, re-dated, and prints the numbers with their phones' last 4 digits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.orders.delivery_window import DeliveryRule, delivery_window
from desk.orders.demo import BEIJING, PREFIX, demo_set, load_demo
from desk.orders.records import (
    ORDER_NUMBER,
    RMA_NUMBER,
    SERIAL_NUMBER,
    OrderStatus,
    RepairStage,
)
from desk.orders.repair_eta import EtaKind, repair_eta
from desk.orders.store import OrderStore
from desk.orders.tracking import tracking_stalled
from tests.desk.test_cli import desk as run_desk

TODAY = date(2026, 12, 7)  # a Monday
DEMO = demo_set(TODAY)
ORDERS = [d.order for d in DEMO.orders]
REPAIRS = [d.repair for d in DEMO.repairs]
START = datetime.combine(TODAY, time(0, 0), BEIJING)
END = datetime.combine(TODAY, time(23, 59, 59), BEIJING)


def test_every_order_status_and_repair_stage_is_there() -> None:
    assert {o.status for o in ORDERS} == set(OrderStatus)
    assert {r.stage for r in REPAIRS} == set(RepairStage)
    assert 10 <= len(ORDERS) <= 16 and len(REPAIRS) == len(RepairStage)


def test_it_is_marked_as_demo_data_and_every_identifier_is_well_formed() -> None:
    assert all(ORDER_NUMBER.fullmatch(o.number) and o.number.startswith("LM99") for o in ORDERS)
    assert all(RMA_NUMBER.fullmatch(r.rma_number) and r.rma_number.startswith("RMA99") for r in REPAIRS)
    assert all("演示" in o.customer.name and "demo" in o.address.line.lower() for o in ORDERS)
    assert len({o.number for o in ORDERS}) == len(ORDERS) and len({r.rma_number for r in REPAIRS}) == len(REPAIRS)
    for order in ORDERS:
        for item in order.items:
            if item.serial_number is not None:
                assert SERIAL_NUMBER.fullmatch(item.serial_number) and item.serial_number[:2] == PREFIX[item.category]
    serials = {i.serial_number for o in ORDERS for i in o.items if i.serial_number}
    assert len(serials) == sum(1 for o in ORDERS for i in o.items if i.serial_number)  # each device its own


def test_each_order_has_its_own_test_phone_number() -> None:
    phones = [o.customer.phone for o in ORDERS]
    assert all(p.startswith("1380013") and len(p) == 11 and p.isdigit() for p in phones)
    assert len({p[-4:] for p in phones}) == len(phones)


def test_every_repair_is_of_a_device_on_its_order() -> None:
    by_number = {o.number: o for o in ORDERS}
    for repair in REPAIRS:
        order = by_number[repair.order_number]
        assert order.status is OrderStatus.DELIVERED
        assert repair.serial_number in {i.serial_number for i in order.items}
    assert len({r.serial_number for r in REPAIRS}) == len(REPAIRS)


def test_nothing_lies_in_the_future_and_every_time_is_beijing_time() -> None:
    times = [
        t
        for o in ORDERS
        for t in (o.paid_at, o.shipped_at, o.delivered_at, o.invoice_date, *(e.at for e in o.tracking_events))
        if t is not None
    ] + [t for r in REPAIRS for t in (r.received_at, *(e.at for e in r.events)) if t is not None]
    assert all(t < START and t.utcoffset() == timedelta(hours=8) for t in times)
    for order in ORDERS:
        shipped = order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURNED)
        assert (order.shipped_at is not None) is shipped and (order.tracking_number is not None) is shipped
        assert (order.delivered_at is not None) is (order.status in (OrderStatus.DELIVERED, OrderStatus.RETURNED))
        assert list(order.tracking_events) == sorted(order.tracking_events, key=lambda e: e.at)


def test_one_parcel_has_not_moved_for_72_hours_all_day_and_the_others_move() -> None:
    for now in (START, END):
        stalled = [o.number for o in ORDERS if tracking_stalled(o, now)]
        assert stalled == ["LM990000000003"], now


def test_p2s_three_delivery_windows_are_there() -> None:
    rules = set()
    for order in ORDERS:
        window = delivery_window(order.address.province)
        assert window is not None, order.address.province
        if order.status is OrderStatus.SHIPPED:
            rules.add(window.rule)
    assert rules == set(DeliveryRule)


def test_p12s_three_pricing_flags_are_there() -> None:
    flagged = {name for o in ORDERS for name in ("flash_sale", "coupon_price", "trade_in") if getattr(o.flags, name)}
    assert flagged == {"flash_sale", "coupon_price", "trade_in"}


def test_repairs_at_the_service_centre_are_within_p9s_turnaround_today() -> None:
    etas = {r.stage: repair_eta(r, today=TODAY) for r in REPAIRS}
    for stage in (RepairStage.RECEIVED, RepairStage.DIAGNOSING, RepairStage.REPAIRING):
        assert etas[stage].kind is EtaKind.EXPECTED and not etas[stage].overdue, stage
    assert etas[RepairStage.QUOTED].kind is EtaKind.AWAITING_APPROVAL
    assert etas[RepairStage.CREATED].kind is EtaKind.NOT_ARRIVED
    assert etas[RepairStage.COMPLETED].kind is EtaKind.FINISHED


def test_loading_it_again_creates_nothing_and_re_dates_it(sessions: sessionmaker[Session]) -> None:
    store = OrderStore(sessions)
    first = load_demo(store, TODAY)
    assert (first.created, first.updated) == (len(ORDERS) + len(REPAIRS), 0)
    again = load_demo(store, TODAY)
    assert (again.created, again.updated) == (0, len(ORDERS) + len(REPAIRS))
    assert store.order("LM990000000002") == ORDERS[1]
    load_demo(store, TODAY + timedelta(days=3))
    later = demo_set(TODAY + timedelta(days=3))
    for entry in later.orders:
        assert store.order(entry.order.number) == entry.order
    for item in later.repairs:
        assert store.repair(item.repair.rma_number) == item.repair


def test_the_command_loads_it_and_prints_the_numbers_with_the_phones_last_digits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    made = run_desk(url, "orders", "demo", "--today", TODAY.isoformat())
    assert made.returncode == 0, made.stderr
    assert f"{len(ORDERS)} orders and {len(REPAIRS)} repairs" in made.stderr and "DEMO DATA" in made.stdout
    lines = made.stdout.splitlines()
    for order in ORDERS:
        assert any(line.split()[:3] == [order.number, order.status, order.customer.phone[-4:]] for line in lines)
    for repair in REPAIRS:
        phone = DEMO.phone_of(repair.order_number)[-4:]
        assert any(line.split()[:4] == [repair.rma_number, repair.stage, repair.order_number, phone] for line in lines)
    assert all(o.customer.phone not in made.stdout for o in ORDERS)  # only the last 4 digits
    again = run_desk(url, "orders", "demo")
    assert again.returncode == 0 and f"0 new, {len(ORDERS) + len(REPAIRS)} there already" in again.stderr


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 10, 8), date(2027, 2, 10)])
def test_any_day_gives_a_valid_set(today: date) -> None:
    demo = demo_set(today)
    assert {d.order.status for d in demo.orders} == set(OrderStatus)
    start = datetime.combine(today, time(0, 0), BEIJING)
    assert [d.order.number for d in demo.orders if tracking_stalled(d.order, start)] == ["LM990000000003"]
