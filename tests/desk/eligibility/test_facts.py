"""Facts from an order: Beijing dates (a delivery at 23:59 and at 00:01 are different days), the
item's category, P12's flags; and the engine on those facts across Beijing midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from desk.eligibility.engine import Remedy, Verdict, decide
from desk.eligibility.facts import CaseFacts, from_order
from desk.eligibility.rules import load_policy
from desk.orders.records import Address, Category, Customer, Order, OrderFlags, OrderItem, OrderStatus

BEIJING = ZoneInfo("Asia/Shanghai")
VACUUM = OrderItem("RV-100", "扫地机器人", Category.ROBOT_VACUUM, "RV2406123456", Decimal("1999.00"), 1)
AIRCON = OrderItem("AC-200", "空调", Category.AIR_CONDITIONER, "AC2406123456", Decimal("3999.00"), 1)


def order(
    *items: OrderItem,
    delivered_at: datetime | None = None,
    paid_at: datetime | None = None,
    invoice_date: datetime | None = None,
    flags: OrderFlags | None = None,
) -> Order:
    return Order(
        number="LM202603010001",
        customer=Customer("王小明", "13800138000"),
        status=OrderStatus.DELIVERED if delivered_at else OrderStatus.SHIPPED,
        address=Address("广东省", "深圳市", "南山区", "某路 1 号"),
        items=items or (VACUUM,),
        paid_at=paid_at,
        delivered_at=delivered_at,
        invoice_date=invoice_date,
        flags=flags or OrderFlags(),
    )


def test_dates_flags_and_category_from_an_order() -> None:
    facts = from_order(
        order(
            paid_at=datetime(2026, 2, 27, 10, 0, tzinfo=BEIJING),
            delivered_at=datetime(2026, 3, 1, 15, 0, tzinfo=BEIJING),
            invoice_date=datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING),
            flags=OrderFlags(coupon_price=True),
        ),
        today=date(2026, 3, 5),
    )
    assert facts == CaseFacts(
        today=date(2026, 3, 5),
        paid_on=date(2026, 2, 27),
        delivered_on=date(2026, 3, 1),
        invoice_on=date(2026, 3, 2),
        category=Category.ROBOT_VACUUM,
        flash_sale=False,
        coupon_price=True,
        trade_in=False,
    )


@pytest.mark.parametrize(
    ("delivered_at", "delivered_on"),
    [
        (datetime(2026, 3, 1, 23, 59, tzinfo=BEIJING), date(2026, 3, 1)),
        (datetime(2026, 3, 2, 0, 1, tzinfo=BEIJING), date(2026, 3, 2)),
        (datetime(2026, 3, 1, 15, 59, tzinfo=UTC), date(2026, 3, 1)),  # 23:59 in Beijing
        (datetime(2026, 3, 1, 16, 1, tzinfo=UTC), date(2026, 3, 2)),  # 00:01 the next day in Beijing
    ],
)
def test_the_delivery_date_is_the_beijing_date(delivered_at: datetime, delivered_on: date) -> None:
    assert from_order(order(delivered_at=delivered_at), today=date(2026, 3, 9)).delivered_on == delivered_on


@pytest.mark.parametrize(
    ("delivered_at", "day", "verdict"),
    [
        # On 9 March a delivery at 23:59 on 1 March is day 8 (too late), one at 00:01 on 2 March day 7.
        (datetime(2026, 3, 1, 23, 59, tzinfo=BEIJING), 8, Verdict.NOT_ALLOWED),
        (datetime(2026, 3, 2, 0, 1, tzinfo=BEIJING), 7, Verdict.ALLOWED),
    ],
)
def test_beijing_midnight_decides_the_last_day(delivered_at: datetime, day: int, verdict: Verdict) -> None:
    facts = from_order(order(delivered_at=delivered_at), today=date(2026, 3, 9))
    result = decide(facts, load_policy())[Remedy.NO_REASON_RETURN]
    assert (result.verdict, result.reason.day) == (verdict, day)


def test_the_category_of_the_item_asked_about() -> None:
    two = order(VACUUM, AIRCON)
    assert from_order(two, today=date(2026, 3, 9)).category is None  # which one is not known
    assert from_order(two, today=date(2026, 3, 9), serial_number="AC2406123456").category is Category.AIR_CONDITIONER
    assert from_order(two, today=date(2026, 3, 9), sku="RV-100").category is Category.ROBOT_VACUUM
    assert from_order(two, today=date(2026, 3, 9), sku="XX-1").category is None


def test_an_order_not_delivered_has_no_delivery_date() -> None:
    facts = from_order(order(paid_at=datetime(2026, 3, 1, 10, 0, tzinfo=BEIJING)), today=date(2026, 3, 2))
    assert (facts.delivered_on, facts.invoice_on, facts.paid_on) == (None, None, date(2026, 3, 1))
    assert decide(facts, load_policy())[Remedy.NO_REASON_RETURN].reason.missing == "delivered_on"
