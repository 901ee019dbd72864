"""The order-system API's answers: an order or a repair as the built-in store holds it. (The bodies
it takes are desk/orders/bodies.py's, shared with `python -m desk orders import`.)

The shape is the body's, with the identifier added, so what an integration PUTs it GETs back:
normalised (identifiers and serial numbers in upper case, the phone's 11 digits, prices as strings
with two decimal places, tracking events oldest first)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from desk.orders.records import Category, Order, OrderStatus, Repair, RepairStage, TrackingEvent


class CustomerOut(BaseModel):
    name: str
    phone: str = Field(description="In full: this API is the merchant's, not the customer's (P19 masks it in chat).")


class AddressOut(BaseModel):
    province: str
    city: str
    district: str
    line: str


class EventOut(BaseModel):
    at: datetime
    description: str

    @classmethod
    def of(cls, event: TrackingEvent) -> EventOut:
        return cls(at=event.at, description=event.description)


class ItemOut(BaseModel):
    sku: str
    name: str
    category: Category
    serial_number: str | None
    price: Decimal = Field(description="Yuan, as a string with two decimal places.")
    quantity: int


class FlagsOut(BaseModel):
    flash_sale: bool
    coupon_price: bool
    trade_in: bool


class OrderOut(BaseModel):
    order_number: str
    customer: CustomerOut
    status: OrderStatus
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    invoice_date: datetime | None
    carrier: str | None
    tracking_number: str | None
    tracking_events: list[EventOut] = Field(description="Oldest first.")
    address: AddressOut
    items: list[ItemOut]
    flags: FlagsOut

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            order_number=order.number,
            customer=CustomerOut(name=order.customer.name, phone=order.customer.phone),
            status=order.status,
            paid_at=order.paid_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            invoice_date=order.invoice_date,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            tracking_events=[EventOut.of(event) for event in order.tracking_events],
            address=AddressOut(
                province=order.address.province,
                city=order.address.city,
                district=order.address.district,
                line=order.address.line,
            ),
            items=[
                ItemOut(
                    sku=item.sku,
                    name=item.name,
                    category=item.category,
                    serial_number=item.serial_number,
                    price=item.price.quantize(Decimal("0.01")),
                    quantity=item.quantity,
                )
                for item in order.items
            ],
            flags=FlagsOut(
                flash_sale=order.flags.flash_sale, coupon_price=order.flags.coupon_price, trade_in=order.flags.trade_in
            ),
        )


class RepairOut(BaseModel):
    rma_number: str
    order_number: str
    serial_number: str
    stage: RepairStage
    received_at: datetime | None
    events: list[EventOut] = Field(description="Oldest first.")

    @classmethod
    def of(cls, repair: Repair) -> RepairOut:
        return cls(
            rma_number=repair.rma_number,
            order_number=repair.order_number,
            serial_number=repair.serial_number,
            stage=repair.stage,
            received_at=repair.received_at,
            events=[EventOut.of(event) for event in repair.events],
        )
