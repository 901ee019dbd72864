"""P3: a parcel whose tracking has not moved for 72 hours can have a parcel investigation (result
within 48 hours).

"Not moved" is measured from the last sign of movement: the latest tracking event, or the shipping
time when it is later (the courier's pickup is movement too) or when there are no events yet.
Exactly 72 hours without an update counts: P3's "has not updated for 72 hours" is then true. Only
an order still on its way (status shipped) can stall; a delivered, cancelled or returned one cannot,
and a shipped order without any time to measure from is not called stalled (no guess).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from desk.orders.records import Order, OrderStatus

STALL_AFTER = timedelta(hours=72)  # P3
INVESTIGATION_WITHIN = timedelta(hours=48)  # P3: the investigation's result comes within 48 hours


def last_movement(order: Order) -> datetime | None:
    """The latest tracking event or the shipping time, whichever is later; None when neither is known."""
    latest = order.latest_event
    times = [t for t in (latest.at if latest else None, order.shipped_at) if t is not None]
    return max(times, default=None)


def tracking_stalled(order: Order, now: datetime) -> bool:
    """Whether a shipped order's tracking has not moved for 72 hours or more at `now` (P3)."""
    if order.status is not OrderStatus.SHIPPED:
        return False
    moved = last_movement(order)
    return moved is not None and now - moved >= STALL_AFTER
