"""The facts of a case, as the eligibility engine needs them (docs/eligibility.md, "The facts").

Every fact but `today` may be None: **not known**. The engine never fills a gap with a guess: a fact a
rule needs and does not have makes the decision `needs_fact`, naming that one fact (`Fact`). A
condition, damage cause, price flag or "already used" limit that is not known does not stop a
decision: a known one refuses it, and an unknown one is stated as a condition of the answer
(`Reason.provisos`), to be checked when the request is handled.

All dates are Beijing dates (the handbook's Counting days): `from_order` turns the order system's
instants into them with `desk.working_days.beijing_date`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from desk.orders.records import Category, Order, OrderItem
from desk.working_days import beijing_date


class Part(StrEnum):
    """What the fault is in, as P8 splits the warranty."""

    WHOLE_UNIT = "whole_unit"
    MOTOR = "motor"
    COMPRESSOR = "compressor"
    BATTERY = "battery"
    ACCESSORY = "accessory"  # charging dock, remote control, charging case
    CONSUMABLE = "consumable"  # filters, brush heads, ear tips, dust bags


class Condition(StrEnum):
    """The product's state, as P6 lists it (each one refuses a no-reason return)."""

    OPENED_CONSUMABLE = "opened_consumable"  # an opened filter, brush head, ear tips
    USED_BEYOND_INSPECTION = "used_beyond_inspection"  # activated, or used beyond normal inspection
    INCOMPLETE = "incomplete"  # product, accessories, manuals or gifts missing, or packaging not intact
    CUSTOMISED = "customised"
    GIFT_CARD = "gift_card"


class DamageCause(StrEnum):
    """P8's causes that no warranty (and no quality-problem remedy) covers."""

    USER_DAMAGE = "user_damage"
    DROP = "drop"
    LIQUID_DAMAGE = "liquid_damage"  # beyond the product's rated water resistance
    UNAUTHORISED_REPAIR = "unauthorised_repair"  # disassembled or repaired outside Lumio
    NON_ORIGINAL_CHARGER = "non_original_charger"


class PriceFlag(StrEnum):
    """How the order was priced: P12 does not protect these prices."""

    FLASH_SALE = "flash_sale"
    COUPON_PRICE = "coupon_price"
    TRADE_IN = "trade_in"


class Fact(StrEnum):
    """The facts a decision can wait for (`needs_fact`): the names of `CaseFacts`' fields."""

    DELIVERED_ON = "delivered_on"
    INVOICE_ON = "invoice_on"
    PAID_ON = "paid_on"
    CATEGORY = "category"
    PART = "part"
    QUALITY_PROBLEM = "quality_problem"
    IS_COMPANY = "is_company"


@dataclass(frozen=True)
class CaseFacts:
    """What is known of one item's case on `today` (a Beijing date). None: not known.

    `damage_causes`: None when nobody said; an empty set when the customer said none of P8's causes
    applies; else the causes that apply. The conditions, flags and limits are None (not known),
    False (said or recorded not to apply) or True.
    """

    today: date
    delivered_on: date | None = None
    invoice_on: date | None = None
    paid_on: date | None = None
    category: Category | None = None
    part: Part | None = None
    quality_problem: bool | None = None
    # P6's conditions
    opened_consumable: bool | None = None
    used_beyond_inspection: bool | None = None
    incomplete: bool | None = None
    customised: bool | None = None
    gift_card: bool | None = None
    # P8's excluded causes
    damage_causes: frozenset[DamageCause] | None = None
    # P12's price flags and its once-per-order limit
    flash_sale: bool | None = None
    coupon_price: bool | None = None
    trade_in: bool | None = None
    price_protection_used: bool | None = None
    # P13
    invoice_title_changed: bool | None = None
    is_company: bool | None = None
    # P6: return-shipping insurance (运费险) bought with the order
    return_insurance: bool | None = None

    def __post_init__(self) -> None:
        for name in ("delivered_on", "invoice_on", "paid_on"):
            value: date | None = getattr(self, name)
            if value is not None and value > self.today:
                raise ValueError(f"{name} {value} is after today ({self.today}): a date to come is not a fact")

    def condition(self, name: Condition) -> bool | None:
        value: bool | None = getattr(self, name.value)
        return value

    def flag(self, name: PriceFlag) -> bool | None:
        value: bool | None = getattr(self, name.value)
        return value


def from_order(order: Order, *, today: date, serial_number: str | None = None, sku: str | None = None) -> CaseFacts:
    """What an order knows of a case: the Beijing dates of payment, delivery and invoice, the item's
    category (the item with that serial number or SKU; with neither, the order's one category when
    all its items share it, else not known) and P12's price flags (recorded, so known).

    An order not delivered yet has no delivery date: the return windows have not started, and
    `delivered_on` stays not known. Nothing else (part, condition, quality problem) is in an order.
    """
    category: Category | None
    if serial_number is not None or sku is not None:
        item = _item(order.items, serial_number, sku)
        category = item.category if item is not None else None  # not an item of this order: not known
    else:
        categories = {entry.category for entry in order.items}
        category = next(iter(categories)) if len(categories) == 1 else None
    return CaseFacts(
        today=today,
        delivered_on=beijing_date(order.delivered_at) if order.delivered_at is not None else None,
        invoice_on=beijing_date(order.invoice_date) if order.invoice_date is not None else None,
        paid_on=beijing_date(order.paid_at) if order.paid_at is not None else None,
        category=category,
        flash_sale=order.flags.flash_sale,
        coupon_price=order.flags.coupon_price,
        trade_in=order.flags.trade_in,
    )


def _item(items: tuple[OrderItem, ...], serial_number: str | None, sku: str | None) -> OrderItem | None:
    for item in items:
        if serial_number is not None and item.serial_number == serial_number:
            return item
        if serial_number is None and sku is not None and item.sku == sku:
            return item
    return None
