"""The built-in order store: orders and repair tickets in the desk database, as the merchant's order
system sends them (`PUT /api/v1/orders/…`, `python -m desk orders import`), read through the
`OrderSystem` interface like any other order system.

A write is an upsert that says whether it created the row. An order is sent whole: its items are
replaced as a whole. A repair needs its order stored first (`UnknownOrder` otherwise). Two writes of
the same new number at once both succeed (the database's key decides which one created it; the
other one updates it). `updated_at` moves only when what was sent differs from what is stored, so an
integration that sends everything again every night does not keep old orders from the retention
purge (`desk.retention`). Times come back as aware UTC datetimes, prices as `Decimal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from desk.models import StoredOrder, StoredOrderItem, StoredRepair, utcnow
from desk.orders.records import (
    SERIAL_NUMBER,
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
from desk.orders.records import order_number as normal_order_number
from desk.orders.records import rma_number as normal_rma_number

ATTEMPTS = 3  # a write that lost a race for a new number is retried as an update
MAX_PRICE = Decimal("9999999999.99")  # Numeric(12, 2)
CENT = Decimal("0.01")


class UnknownOrder(ValueError):
    """A repair names an order the store does not hold: send the order first."""

    def __init__(self, rma_number: str, order_number: str) -> None:
        super().__init__(f"repair {rma_number}: order {order_number} is not stored; send the order first")
        self.rma_number = rma_number
        self.order_number = order_number


class OrderStore:
    """The `OrderSystem` over the desk database, and the writes that fill it."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    # Reads (the OrderSystem protocol) ---------------------------------------------------------------

    def order(self, number: str) -> Order | None:
        key = normal_order_number(number)
        if key is None:
            return None
        with self._sessions() as session:
            row = session.get(StoredOrder, key)
            return _order_of(row) if row is not None else None

    def repair(self, rma_number: str) -> Repair | None:
        key = normal_rma_number(rma_number)
        if key is None:
            return None
        with self._sessions() as session:
            row = session.get(StoredRepair, key)
            return _repair_of(row) if row is not None else None

    # Writes -----------------------------------------------------------------------------------------

    def put_order(self, order: Order) -> bool:
        """Store the order as sent, its items replacing the stored ones; True when it was new."""
        number = _valid_order(order)
        values = _order_values(order)
        items = [_item_values(item) for item in order.items]
        for _ in range(ATTEMPTS):
            try:
                with self._sessions() as session:
                    created = self._write_order(session, number, values, items)
                    session.commit()
                    return created
            except (IntegrityError, StaleDataError):  # a race for a new number, or the purge took it
                continue  # taken again: an update now, or a new order
        raise RuntimeError(f"could not store order {number}")

    def put_repair(self, repair: Repair) -> bool:
        """Store the repair ticket as sent; True when it was new. `UnknownOrder` when its order is not
        stored (nothing is written)."""
        rma, order_key = _valid_repair(repair)
        values = _repair_values(repair, order_key)
        for _ in range(ATTEMPTS):
            try:
                with self._sessions() as session:
                    # Held (where the database can) so the purge cannot take the order meanwhile.
                    if session.get(StoredOrder, order_key, with_for_update={"read": True}) is None:
                        raise UnknownOrder(rma, order_key)
                    created = self._write_repair(session, rma, values)
                    session.commit()
                    return created
            except (IntegrityError, StaleDataError):  # a race for a new ticket, or its order just purged
                continue  # taken again: an update now, a new ticket, or UnknownOrder
        raise RuntimeError(f"could not store repair {rma}")

    def _write_order(self, session: Session, number: str, values: dict[str, Any], items: list[dict[str, Any]]) -> bool:
        now = self._clock()
        row = session.get(StoredOrder, number, with_for_update=True)
        if row is None:
            row = StoredOrder(number=number, created_at=now, updated_at=now, **values)
            row.items = [StoredOrderItem(position=i, **item) for i, item in enumerate(items)]
            session.add(row)
            session.flush()
            return True
        changed = any(getattr(row, name) != value for name, value in values.items())
        if [_stored_item_values(item) for item in row.items] != items:
            changed = True
            row.items.clear()
            session.flush()  # the old lines go before the new ones take their positions
            row.items.extend(StoredOrderItem(position=i, **item) for i, item in enumerate(items))
        if changed:
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
        session.flush()
        return False

    def _write_repair(self, session: Session, rma: str, values: dict[str, Any]) -> bool:
        now = self._clock()
        row = session.get(StoredRepair, rma, with_for_update=True)
        if row is None:
            session.add(StoredRepair(rma_number=rma, created_at=now, updated_at=now, **values))
            session.flush()
            return True
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            session.flush()
        return False


# Records to rows -------------------------------------------------------------------------------------


def _valid_order(order: Order) -> str:
    number = normal_order_number(order.number)
    if number is None:
        raise ValueError(f"order number {order.number!r}: LM + 12 digits")
    for field, value in (
        ("paid_at", order.paid_at),
        ("shipped_at", order.shipped_at),
        ("delivered_at", order.delivered_at),
        ("invoice_date", order.invoice_date),
    ):
        _aware(field, value)
    for event in order.tracking_events:
        _aware("tracking_events.at", event.at)
    for position, item in enumerate(order.items):
        where = f"items[{position}]"
        if item.serial_number is not None and not SERIAL_NUMBER.fullmatch(item.serial_number):
            raise ValueError(f"{where}.serial_number {item.serial_number!r}: 2 capital letters + 10 digits")
        if (
            not item.price.is_finite()
            or item.price < 0
            or item.price > MAX_PRICE
            or item.price != item.price.quantize(CENT)
        ):
            raise ValueError(f"{where}.price {item.price}: yuan, at least 0, at most two decimal places")
        if item.quantity < 1:
            raise ValueError(f"{where}.quantity {item.quantity}: at least 1")
    return number


def _valid_repair(repair: Repair) -> tuple[str, str]:
    rma = normal_rma_number(repair.rma_number)
    if rma is None:
        raise ValueError(f"RMA number {repair.rma_number!r}: RMA + 8 digits")
    order_key = normal_order_number(repair.order_number)
    if order_key is None:
        raise ValueError(f"order number {repair.order_number!r}: LM + 12 digits")
    if not SERIAL_NUMBER.fullmatch(repair.serial_number):
        raise ValueError(f"serial_number {repair.serial_number!r}: 2 capital letters + 10 digits")
    _aware("received_at", repair.received_at)
    for event in repair.events:
        _aware("events.at", event.at)
    return rma, order_key


def _aware(field: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{field}: a time with its offset (aware datetime)")


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "customer_name": order.customer.name,
        "customer_phone": order.customer.phone,
        "status": OrderStatus(order.status).value,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "invoice_date": order.invoice_date,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_events": _events_json(order.tracking_events),
        "province": order.address.province,
        "city": order.address.city,
        "district": order.address.district,
        "address_line": order.address.line,
        "flash_sale": order.flags.flash_sale,
        "coupon_price": order.flags.coupon_price,
        "trade_in": order.flags.trade_in,
    }


def _item_values(item: OrderItem) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "category": Category(item.category).value,
        "serial_number": item.serial_number,
        "price": item.price.quantize(CENT),
        "quantity": item.quantity,
    }


def _stored_item_values(row: StoredOrderItem) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("sku", "name", "category", "serial_number", "price", "quantity")}


def _repair_values(repair: Repair, order_key: str) -> dict[str, Any]:
    return {
        "order_number": order_key,
        "serial_number": repair.serial_number,
        "stage": RepairStage(repair.stage).value,
        "received_at": repair.received_at,
        "events": _events_json(repair.events),
    }


def _events_json(events: Iterable[TrackingEvent]) -> list[dict[str, str]]:
    return [{"at": utc_iso(event.at), "description": event.description} for event in events]


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


# Rows to records -------------------------------------------------------------------------------------


def _events_of(stored: list[Any] | None) -> tuple[TrackingEvent, ...]:
    return tuple(TrackingEvent(datetime.fromisoformat(e["at"]), str(e["description"])) for e in stored or ())


def _order_of(row: StoredOrder) -> Order:
    return Order(
        number=row.number,
        customer=Customer(row.customer_name, row.customer_phone),
        status=OrderStatus(row.status),
        address=Address(row.province, row.city, row.district, row.address_line),
        items=tuple(
            OrderItem(
                sku=item.sku,
                name=item.name,
                category=Category(item.category),
                serial_number=item.serial_number,
                price=Decimal(item.price).quantize(CENT),
                quantity=item.quantity,
            )
            for item in row.items
        ),
        paid_at=row.paid_at,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        invoice_date=row.invoice_date,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        tracking_events=_events_of(row.tracking_events),
        flags=OrderFlags(flash_sale=row.flash_sale, coupon_price=row.coupon_price, trade_in=row.trade_in),
    )


def _repair_of(row: StoredRepair) -> Repair:
    return Repair(
        rma_number=row.rma_number,
        order_number=row.order_number,
        serial_number=row.serial_number,
        stage=RepairStage(row.stage),
        received_at=row.received_at,
        events=_events_of(row.events),
    )
