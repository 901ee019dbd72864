"""A lookup as the assistant makes it: the order system, the phone check and the case, together."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.orders.lookup import LookupOutcome, Lookups, masked_phone
from desk.orders.lookup_numbers import LookupKind, LookupNumber
from desk.orders.phone_check import CONVERSATION_FAILURES, PhoneCheck
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
from desk.orders.store import OrderStore
from desk.orders.system import OrderSystemUnavailable

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 on Monday 7 December in Beijing
ORDER = LookupNumber(LookupKind.ORDER, "LM202612010001")
REPAIR = LookupNumber(LookupKind.REPAIR, "RMA20261201")


def shipped_order(number: str = ORDER.number, last_event: datetime = NOW - timedelta(hours=20)) -> Order:
    return Order(
        number=number,
        customer=Customer("李四", "13900139123"),
        status=OrderStatus.SHIPPED,
        address=Address("广东省", "深圳市", "南山区", "科技园路 1 号 2 栋 301"),
        items=(
            OrderItem("AP-A5", "Lumio 空气净化器 A5", Category.AIR_PURIFIER, "AP2411000001", Decimal("1299.00"), 1),
        ),
        paid_at=NOW - timedelta(days=2),
        shipped_at=NOW - timedelta(days=1, hours=20),
        carrier="SF Express",
        tracking_number="SF9988776655",
        tracking_events=(TrackingEvent(last_event, "快件到达深圳南山营业点"),),
    )


class Clock:
    now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> OrderStore:
    orders = OrderStore(sessions)
    orders.put_order(shipped_order())
    orders.put_repair(
        Repair(REPAIR.number, ORDER.number, "AP2411000001", RepairStage.DIAGNOSING, NOW - timedelta(days=1))
    )
    return orders


@pytest.fixture
def lookups(sessions: sessionmaker[Session], store: OrderStore) -> Lookups:
    return Lookups(store, PhoneCheck(sessions, Clock()), Clock())


def test_the_right_digits_show_the_order_without_phone_or_street(lookups: Lookups) -> None:
    assert lookups.check("c1", ORDER, "9123").outcome is LookupOutcome.PASSED
    case = lookups.case("c1", ORDER.number)
    assert case is not None and not case.stalled
    zh, en = case.answer["zh"], case.answer["en"]
    assert "已发货" in zh and "SF9988776655" in zh and "快件到达深圳南山营业点" in zh
    assert "shipped" in en and "SF Express" in en
    # P2: Guangdong is 1–3 days; shipped on 5 December (Beijing): 6–8 December.
    assert "12月6日–12月8日" in zh and "6 Dec–8 Dec" in en
    for answer in (zh, en):
        assert "13900139123" not in answer and "9123" not in answer and "科技园路" not in answer
        assert "南山区" in answer
    assert case.facts["order"]["customer"]["phone"] == "139****9123"
    assert lookups.verified("c1", ORDER.number)


def test_a_wrong_phone_and_an_unknown_number_get_the_same_result(lookups: Lookups) -> None:
    wrong = lookups.check("c1", ORDER, "0000")
    unknown = lookups.check("c2", LookupNumber(LookupKind.ORDER, "LM209912310000"), "9123")
    assert (wrong.outcome, wrong.tries_left) == (unknown.outcome, unknown.tries_left) == (LookupOutcome.FAILED, 2)
    assert lookups.case("c1", ORDER.number) is None


def test_after_three_failures_no_lookup_is_made_even_with_the_right_digits(lookups: Lookups) -> None:
    results = [lookups.check("c1", ORDER, "0000").outcome for _ in range(CONVERSATION_FAILURES)]
    assert results[-1] is LookupOutcome.LOCKED
    assert lookups.check("c1", ORDER, "9123").outcome is LookupOutcome.LOCKED
    assert not lookups.verified("c1", ORDER.number)


def test_a_repair_is_checked_against_its_order_phone(lookups: Lookups) -> None:
    assert lookups.check("c1", REPAIR, "9123").outcome is LookupOutcome.PASSED
    case = lookups.case("c1", REPAIR.number)
    assert case is not None and case.facts["repair"]["stage"] == "diagnosing"
    assert "检测中" in case.answer["zh"] and "AP2411000001" in case.answer["zh"]
    # P9: received Sunday 6 December (Beijing); working days 5–7 after it: 11–15 December.
    assert "12月11日–12月15日" in case.answer["zh"]


def test_stalled_tracking_is_flagged_for_a_parcel_investigation(sessions: sessionmaker[Session]) -> None:
    store = OrderStore(sessions)
    # Shipped four days ago, last scanned 73 hours ago (P3: 72).
    stalled = replace(shipped_order(last_event=NOW - timedelta(hours=73)), shipped_at=NOW - timedelta(days=4))
    store.put_order(stalled)
    lookups = Lookups(store, PhoneCheck(sessions, Clock()), Clock())
    assert lookups.check("c1", ORDER, "9123").outcome is LookupOutcome.PASSED
    case = lookups.case("c1", ORDER.number)
    assert case is not None and case.stalled


class DownSystem:
    def order(self, number: str) -> Order | None:
        raise OrderSystemUnavailable("down")

    def repair(self, rma_number: str) -> Repair | None:
        raise OrderSystemUnavailable("down")


def test_an_unreachable_order_system_is_unavailable_and_counts_nothing(sessions: sessionmaker[Session]) -> None:
    lookups = Lookups(DownSystem(), PhoneCheck(sessions, Clock()), Clock())
    for _ in range(CONVERSATION_FAILURES + 1):
        assert lookups.check("c1", ORDER, "9123").outcome is LookupOutcome.UNAVAILABLE
    assert not PhoneCheck(sessions).locked("c1", ORDER.number)


def test_a_verified_number_is_refreshed_without_a_second_check(lookups: Lookups, store: OrderStore) -> None:
    lookups.check("c1", ORDER, "9123")
    delivered = replace(shipped_order(), status=OrderStatus.DELIVERED, delivered_at=NOW - timedelta(hours=1))
    store.put_order(delivered)
    assert lookups.refresh("c1", ORDER).outcome is LookupOutcome.PASSED
    case = lookups.case("c1", ORDER.number)
    assert case is not None and "已签收" in case.answer["zh"]
    assert [c.number for c in lookups.cases("c1")] == [ORDER.number]


def test_masked_phone() -> None:
    assert masked_phone("+86 138-0013-8000") == "138****8000"
