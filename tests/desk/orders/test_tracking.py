"""P3: tracking that has not moved for 72 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from desk.orders.records import Address, Category, Customer, Order, OrderItem, OrderStatus, TrackingEvent
from desk.orders.tracking import last_movement, tracking_stalled

SHIPPED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def order(
    status: OrderStatus = OrderStatus.SHIPPED,
    shipped_at: datetime | None = SHIPPED,
    events: tuple[datetime, ...] = (),
) -> Order:
    return Order(
        number="LM202611260001",
        customer=Customer("Li Lei", "13800138000"),
        status=status,
        address=Address("广东省", "深圳市", "南山区", "科技园 1 号"),
        items=(OrderItem("EB-1", "Earbuds", Category.EARBUDS, "EB2406123456", Decimal("299"), 1),),
        shipped_at=shipped_at,
        tracking_events=tuple(TrackingEvent(at, "在途") for at in events),
    )


def test_exactly_72_hours_without_an_update_is_stalled() -> None:
    last = SHIPPED + timedelta(hours=5)
    parcel = order(events=(SHIPPED + timedelta(hours=1), last))
    assert not tracking_stalled(parcel, last + timedelta(hours=72) - timedelta(seconds=1))
    assert tracking_stalled(parcel, last + timedelta(hours=72))
    assert tracking_stalled(parcel, last + timedelta(days=5))


def test_the_latest_event_counts_whatever_the_order_it_came_in() -> None:
    parcel = order(events=(SHIPPED + timedelta(hours=50), SHIPPED + timedelta(hours=3)))
    assert last_movement(parcel) == SHIPPED + timedelta(hours=50)
    assert not tracking_stalled(parcel, SHIPPED + timedelta(hours=100))


def test_without_events_the_ship_time_counts() -> None:
    assert last_movement(order()) == SHIPPED
    assert not tracking_stalled(order(), SHIPPED + timedelta(hours=71))
    assert tracking_stalled(order(), SHIPPED + timedelta(hours=72))


def test_an_event_before_shipping_does_not_hide_the_shipping() -> None:
    # A "label created" event the day before the courier picked the parcel up.
    parcel = order(events=(SHIPPED - timedelta(days=1),))
    assert last_movement(parcel) == SHIPPED
    assert not tracking_stalled(parcel, SHIPPED + timedelta(hours=48))


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED]
)
def test_only_a_parcel_on_its_way_can_stall(status: OrderStatus) -> None:
    assert not tracking_stalled(order(status), SHIPPED + timedelta(days=30))


def test_no_stall_without_a_time_to_measure_from() -> None:
    assert last_movement(order(shipped_at=None)) is None
    assert not tracking_stalled(order(shipped_at=None), SHIPPED + timedelta(days=30))
