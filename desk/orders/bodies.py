"""What a merchant sends about its orders and repairs: the bodies of `PUT /api/v1/orders/{number}` and
`PUT /api/v1/repairs/{rma}`, and the lines of `python -m desk orders import` (orders.importing), so
the API and the bulk import accept exactly the same things.

Strict, as every request body of the app: unknown fields, type coercion ("1" for 1) and timestamps
without an offset are refused, each with the field named. Identifiers are normalised as a customer's
are (upper case, spaces and hyphens dropped) and then must have the handbook's form (Identifiers
section); phone numbers become the 11 digits of a mainland mobile number; prices are yuan with two
decimal places at most, kept as `Decimal('1999.00')`. The bodies check each field, and a serial
number against its item's category; they do not judge the story the fields tell together (a
delivery time before the shipping time is stored as the order system says it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from desk.message_text import has_control_characters
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
    order_number,
    rma_number,
)

# The largest body (or import line) taken, in bytes. The bounds below fit in it all at once even
# when every character is Chinese written as a JSON escape ("\u4e2d", 6 bytes): 60 events of 200
# characters (~74 KiB), 30 items with names of 100 (~24 KiB) and the rest (~4 KiB).
MAX_BODY_BYTES = 128 * 1024
MAX_ITEMS = 30
MAX_EVENTS = 60
MAX_QUANTITY = 999
MAX_DESCRIPTION = 200

ORDER_NUMBER_HELP = "an order number is LM and 12 digits, e.g. LM202611260001"
RMA_NUMBER_HELP = "a repair ticket number is RMA and 8 digits, e.g. RMA20261234"
SERIAL_NUMBER_HELP = "a serial number is 2 capital letters (RV, AP, WP, AC, SP or EB) and 10 digits, e.g. RV2406123456"
PHONE_HELP = (
    "a phone number must be a mainland mobile number: 11 digits starting 13–19 (+86, spaces and hyphens "
    "allowed), e.g. 138 0013 8000"
)
# Each category's serial-number prefix (Identifiers section).
SERIAL_PREFIXES: dict[Category, str] = {
    Category.ROBOT_VACUUM: "RV",
    Category.AIR_PURIFIER: "AP",
    Category.WATER_PURIFIER: "WP",
    Category.AIR_CONDITIONER: "AC",
    Category.SMART_SPEAKER: "SP",
    Category.EARBUDS: "EB",
}
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s\-()]+")
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9\-]+")


# Field types ------------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if has_control_characters(value) or "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be one line without control characters")
    return value


def canonical(normalise: Callable[[str], str | None], help_text: str) -> AfterValidator:
    """Normalised by `normalise`, refused with `help_text` when it says None."""

    def check(value: str) -> str:
        found = normalise(value)
        if found is None or not found.isascii():  # `\d` also matches other scripts' digits
            raise ValueError(help_text)
        return found

    return AfterValidator(check)


def serial_number(value: str) -> str | None:
    """`RV2406123456` from `rv 2406 123456`; None when it is not a serial number."""
    candidate = re.sub(r"[\s\-]+", "", value).upper()
    return candidate if SERIAL_NUMBER.fullmatch(candidate) else None


def mobile_phone(value: str) -> str | None:
    """`13800138000` from `+86 138-0013-8000`; None when it is not a mainland mobile number."""
    found = _MOBILE.fullmatch(_PHONE_SEPARATORS.sub("", value))
    return found.group(1) if found else None


def _tracking_number(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if not _TRACKING_NUMBER.fullmatch(compact):
        raise ValueError("a tracking number is letters, digits and hyphens")
    return compact


def _yuan(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


OrderNumber = Annotated[
    str,
    Field(
        max_length=40,
        description=f"{ORDER_NUMBER_HELP}; case, spaces and hyphens are normalised.",
        examples=["LM202611260001"],
    ),
    canonical(order_number, ORDER_NUMBER_HELP),
]
RmaNumber = Annotated[
    str,
    Field(
        max_length=40,
        description=f"{RMA_NUMBER_HELP}; case, spaces and hyphens are normalised.",
        examples=["RMA20261234"],
    ),
    canonical(rma_number, RMA_NUMBER_HELP),
]
SerialNumber = Annotated[
    str,
    Field(max_length=40, description=f"{SERIAL_NUMBER_HELP}; stored in upper case without spaces."),
    canonical(serial_number, SERIAL_NUMBER_HELP),
]
Phone = Annotated[
    str,
    Field(max_length=32, description=f"{PHONE_HELP}; stored as its 11 digits.", examples=["13800138000"]),
    canonical(mobile_phone, PHONE_HELP),
]


def _text(value: object) -> object:
    """A time is written as text: a number would be read as seconds since 1970, never meant."""
    if not isinstance(value, str | datetime):
        raise ValueError("a time is text in ISO 8601 with an offset, e.g. 2026-11-26T10:15:00+08:00")
    return value


def _number_or_text(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError('a price is a number or a string of one, e.g. 1999.00 or "1999.00"')
    return value


# Request bodies are strict (no "1" for 1), but a JSON body reaches FastAPI's validation already
# parsed, where strict mode would take only `datetime`, `Decimal` and enum members: these fields are
# lax, their `BeforeValidator` keeping out what lax mode would coerce (numbers for times, booleans
# for prices). Parsed from JSON text (the import, the connector) they behave the same.
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_text),
    Field(
        strict=False, description="ISO 8601 with an offset, e.g. 2026-11-26T10:15:00+08:00; without one it is refused."
    ),
]
Price = Annotated[
    Decimal,
    BeforeValidator(_number_or_text),
    Field(
        strict=False,
        ge=0,
        max_digits=10,
        decimal_places=2,
        description='Yuan, at most two decimal places (a number or a string: 1999 or "1999.00").',
        examples=["1999.00"],
    ),
    AfterValidator(_yuan),
]
TrackingNumber = Annotated[
    str,
    Field(min_length=1, max_length=40, description="The carrier's tracking number (letters, digits, hyphens)."),
    AfterValidator(_tracking_number),
]


Name = Annotated[str, Field(min_length=1, max_length=64, description="The customer's name."), AfterValidator(_one_line)]
Sku = Annotated[str, Field(min_length=1, max_length=64, description="The merchant's SKU."), AfterValidator(_one_line)]
ItemName = Annotated[
    str, Field(min_length=1, max_length=100, description="The product's name."), AfterValidator(_one_line)
]
Region = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_one_line)]
Street = Annotated[
    str,
    Field(min_length=1, max_length=200, description="Street and house: never shown to a customer in chat (P19)."),
    AfterValidator(_one_line),
]
Carrier = Annotated[
    str, Field(min_length=1, max_length=32, description="The courier, e.g. SF Express."), AfterValidator(_one_line)
]
Description = Annotated[str, Field(min_length=1, max_length=MAX_DESCRIPTION), AfterValidator(_one_line)]


# Bodies -----------------------------------------------------------------------------------------


class Body(BaseModel):
    """A body from outside: unknown fields and type coercion are refused (as api/schemas/strict.py)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class CustomerBody(Body):
    name: Name
    phone: Phone


class AddressBody(Body):
    province: Region
    city: Region
    district: Region
    line: Street

    def to_record(self) -> Address:
        return Address(self.province, self.city, self.district, self.line)


class EventBody(Body):
    at: Timestamp
    description: Description

    def to_record(self) -> TrackingEvent:
        return TrackingEvent(self.at, self.description)


class ItemBody(Body):
    sku: Sku
    name: ItemName
    category: Category = Field(strict=False)
    serial_number: SerialNumber | None = Field(
        default=None, description=f"The unit's, when it has one: {SERIAL_NUMBER_HELP}, its prefix the category's."
    )
    price: Price
    quantity: int = Field(ge=1, le=MAX_QUANTITY)

    @field_validator("serial_number")
    @classmethod
    def _of_its_category(cls, value: str | None, info: ValidationInfo) -> str | None:
        category = info.data.get("category")
        if value is not None and isinstance(category, Category) and value[:2] != SERIAL_PREFIXES[category]:
            raise ValueError(
                f"the serial number of an item of category {category.value} starts with {SERIAL_PREFIXES[category]}"
            )
        return value

    def to_record(self) -> OrderItem:
        return OrderItem(self.sku, self.name, self.category, self.serial_number, self.price, self.quantity)


class FlagsBody(Body):
    """How the order was priced: P12's price protection excludes all three."""

    flash_sale: bool = False
    coupon_price: bool = False
    trade_in: bool = False


def _events(events: list[EventBody]) -> tuple[TrackingEvent, ...]:
    """Oldest first, whatever order they came in."""
    return tuple(sorted((event.to_record() for event in events), key=lambda event: event.at))


class OrderBody(Body):
    """An order as the merchant's order system has it; each time unknown until it happens."""

    customer: CustomerBody
    status: OrderStatus = Field(strict=False)
    paid_at: Timestamp | None = None
    shipped_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    invoice_date: Timestamp | None = Field(default=None, description="The invoice's date: warranties run from it (P8).")
    carrier: Carrier | None = None
    tracking_number: TrackingNumber | None = None
    tracking_events: list[EventBody] = Field(default_factory=list, max_length=MAX_EVENTS)
    address: AddressBody
    items: list[ItemBody] = Field(min_length=1, max_length=MAX_ITEMS)
    flags: FlagsBody = Field(default_factory=FlagsBody)

    def to_order(self, number: str) -> Order:
        canonical = order_number(number)
        if canonical is None:
            raise ValueError(ORDER_NUMBER_HELP)
        return Order(
            number=canonical,
            customer=Customer(self.customer.name, self.customer.phone),
            status=self.status,
            address=self.address.to_record(),
            items=tuple(item.to_record() for item in self.items),
            paid_at=self.paid_at,
            shipped_at=self.shipped_at,
            delivered_at=self.delivered_at,
            invoice_date=self.invoice_date,
            carrier=self.carrier,
            tracking_number=self.tracking_number,
            tracking_events=_events(self.tracking_events),
            flags=OrderFlags(self.flags.flash_sale, self.flags.coupon_price, self.flags.trade_in),
        )


class RepairBody(Body):
    """A repair ticket; its order must be stored first."""

    order_number: OrderNumber = Field(description=f"The repaired unit's order, already stored: {ORDER_NUMBER_HELP}.")
    serial_number: SerialNumber
    stage: RepairStage = Field(strict=False)
    received_at: Timestamp | None = Field(
        default=None, description="When the service centre received the unit: P9's 5–7 working days start here."
    )
    events: list[EventBody] = Field(default_factory=list, max_length=MAX_EVENTS)

    def to_repair(self, rma: str) -> Repair:
        canonical = rma_number(rma)
        if canonical is None:
            raise ValueError(RMA_NUMBER_HELP)
        return Repair(
            rma_number=canonical,
            order_number=self.order_number,
            serial_number=self.serial_number,
            stage=self.stage,
            received_at=self.received_at,
            events=_events(self.events),
        )


# The import's lines: a body and its identifier ----------------------------------------------------


class OrderLine(OrderBody):
    order_number: OrderNumber

    def to_record(self) -> Order:
        return self.to_order(self.order_number)


class RepairLine(RepairBody):
    rma_number: RmaNumber

    def to_record(self) -> Repair:
        return self.to_repair(self.rma_number)
