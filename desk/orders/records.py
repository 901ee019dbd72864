"""Orders and repair tickets as the assistant knows them, whichever system holds them.

Identifiers follow the handbook (Identifiers section); `order_number`/`rma_number` normalise what a
customer types (lower case, spaces) and say None for anything else. Times are aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

ORDER_NUMBER = re.compile(r"LM\d{12}", re.ASCII)
RMA_NUMBER = re.compile(r"RMA\d{8}", re.ASCII)
SERIAL_NUMBER = re.compile(r"(RV|AP|WP|AC|SP|EB)\d{10}", re.ASCII)


def _normalised(value: str, pattern: re.Pattern[str]) -> str | None:
    candidate = re.sub(r"[\s\-]+", "", value).upper()
    return candidate if pattern.fullmatch(candidate) else None


def order_number(value: str) -> str | None:
    """`LM202611260001` from `lm 2026 1126 0001`; None when it is not an order number."""
    return _normalised(value, ORDER_NUMBER)


def rma_number(value: str) -> str | None:
    """`RMA20261234` from `rma20261234`; None when it is not a repair ticket number."""
    return _normalised(value, RMA_NUMBER)


class OrderStatus(StrEnum):
    """P19's order states."""

    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class RepairStage(StrEnum):
    """P19's repair stages, in the order a repair goes through them (`quoted` only out of warranty)."""

    CREATED = "created"
    PICKUP_BOOKED = "pickup_booked"
    RECEIVED = "received"
    DIAGNOSING = "diagnosing"
    QUOTED = "quoted"
    REPAIRING = "repairing"
    SHIPPED_BACK = "shipped_back"
    COMPLETED = "completed"


class Category(StrEnum):
    """Product categories, each with its serial-number prefix (Identifiers section)."""

    ROBOT_VACUUM = "robot_vacuum"
    AIR_PURIFIER = "air_purifier"
    WATER_PURIFIER = "water_purifier"
    AIR_CONDITIONER = "air_conditioner"
    SMART_SPEAKER = "smart_speaker"
    EARBUDS = "earbuds"


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str  # as the order system has it; shown masked (P19), checked by its last 4 digits


@dataclass(frozen=True)
class Address:
    province: str
    city: str
    district: str
    line: str  # street and house: never shown to a customer in chat (P19: district level)


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    description: str


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    category: Category
    serial_number: str | None
    price: Decimal  # yuan, two decimal places at most
    quantity: int


@dataclass(frozen=True)
class OrderFlags:
    """How the order was priced: P12 (price protection) excludes all three."""

    flash_sale: bool = False
    coupon_price: bool = False
    trade_in: bool = False


@dataclass(frozen=True)
class Order:
    number: str
    customer: Customer
    status: OrderStatus
    address: Address
    items: tuple[OrderItem, ...]
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    invoice_date: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_events: tuple[TrackingEvent, ...] = ()  # oldest first
    flags: OrderFlags = field(default_factory=OrderFlags)

    @property
    def latest_event(self) -> TrackingEvent | None:
        return max(self.tracking_events, key=lambda event: event.at, default=None)


@dataclass(frozen=True)
class Repair:
    rma_number: str
    order_number: str
    serial_number: str
    stage: RepairStage
    received_at: datetime | None = None  # at the service centre: P9's 5–7 working days start here
    events: tuple[TrackingEvent, ...] = ()  # oldest first
