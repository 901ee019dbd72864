"""A lookup as the assistant makes it: find the order (or the repair and its order) in the order
system, check the phone against it (`desk.orders.phone_check`), and keep the case a passed check
shows: the answer in both languages, and the facts agents see in the console's case view.

The phone check and the order system are asked in one place, so the rules hold for every channel.
A lookup that cannot reach the order system is UNAVAILABLE: nothing is counted or guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from desk.models import utcnow
from desk.orders.answer_text import order_answer, repair_answer
from desk.orders.lookup_numbers import LookupKind, LookupNumber
from desk.orders.phone_check import PhoneCheck, Standing, phone_matches
from desk.orders.records import Order, Repair
from desk.orders.system import OrderSystem, OrderSystemUnavailable
from desk.orders.tracking import tracking_stalled

log = logging.getLogger(__name__)


class LookupOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class LookupResult:
    outcome: LookupOutcome
    tries_left: int = 0


@dataclass(frozen=True)
class Found:
    order: Order
    repair: Repair | None = None


@dataclass(frozen=True)
class Case:
    """What a passed check shows: kept as JSON (`order_lookups.case`) for the answer and for agents."""

    kind: LookupKind
    number: str
    answer: dict[str, str]  # by language
    stalled: bool  # P3: a parcel investigation is due
    facts: dict[str, Any]  # the order (and repair) for the console, personal data masked

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "number": self.number,
            "answer": self.answer,
            "stalled": self.stalled,
            "facts": self.facts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        return cls(LookupKind(data["kind"]), data["number"], data["answer"], bool(data["stalled"]), data["facts"])


def masked_phone(phone: str) -> str:
    """P19: `138****8000`."""
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def facts_of(found: Found) -> dict[str, Any]:
    """The order and repair for agents: everything but the phone (masked) and the street address."""
    order, repair = found.order, found.repair
    latest = order.latest_event
    facts: dict[str, Any] = {
        "order": {
            "number": order.number,
            "status": str(order.status),
            "customer": {"name": order.customer.name, "phone": masked_phone(order.customer.phone)},
            "paid_at": _iso(order.paid_at),
            "shipped_at": _iso(order.shipped_at),
            "delivered_at": _iso(order.delivered_at),
            "invoice_date": _iso(order.invoice_date),
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "latest_event": {"at": latest.at.isoformat(), "description": latest.description} if latest else None,
            "area": " ".join(p for p in (order.address.province, order.address.city, order.address.district) if p),
            "items": [
                {
                    "sku": item.sku,
                    "name": item.name,
                    "category": str(item.category),
                    "serial_number": item.serial_number,
                    "price": str(item.price),
                    "quantity": item.quantity,
                }
                for item in order.items
            ],
            "flags": [name for name in ("flash_sale", "coupon_price", "trade_in") if getattr(order.flags, name)],
        }
    }
    if repair is not None:
        event = max(repair.events, key=lambda e: e.at, default=None)
        facts["repair"] = {
            "rma_number": repair.rma_number,
            "serial_number": repair.serial_number,
            "stage": str(repair.stage),
            "received_at": _iso(repair.received_at),
            "latest_event": {"at": event.at.isoformat(), "description": event.description} if event else None,
        }
    return facts


def case_of(lookup: LookupNumber, found: Found, now: datetime) -> Case:
    if found.repair is not None:
        answer = {lang: repair_answer(found.repair, found.order, now, lang) for lang in ("zh", "en")}
        stalled = False
    else:
        answer = {lang: order_answer(found.order, now, lang) for lang in ("zh", "en")}
        stalled = tracking_stalled(found.order, now)
    return Case(lookup.kind, lookup.number, answer, stalled, facts_of(found))


class Lookups:
    def __init__(self, system: OrderSystem, checks: PhoneCheck, clock: Callable[[], datetime] = utcnow) -> None:
        self._system = system
        self._checks = checks
        self._clock = clock

    def standing(self, conversation_id: str, number: str) -> Standing:
        """Checked already in this conversation, or past P19's limits (whether or not it exists)."""
        return self._checks.standing(conversation_id, number)

    def verified(self, conversation_id: str, number: str) -> bool:
        return self._checks.verified(conversation_id, number)

    def check(self, conversation_id: str, lookup: LookupNumber, digits: str) -> LookupResult:
        """The phone check for `lookup` with the digits the customer gave."""
        if self._checks.locked(conversation_id, lookup.number):
            return LookupResult(LookupOutcome.LOCKED)
        try:
            found = self._find(lookup)
        except OrderSystemUnavailable:
            log.warning("order lookup unavailable", exc_info=True)
            return LookupResult(LookupOutcome.UNAVAILABLE)
        passed = found is not None and phone_matches(found.order.customer.phone, digits)
        case = case_of(lookup, found, self._clock()).to_json() if passed and found is not None else None
        result = self._checks.record(conversation_id, lookup.number, passed=passed, case=case)
        return LookupResult(LookupOutcome(str(result.outcome)), result.tries_left)

    def refresh(self, conversation_id: str, lookup: LookupNumber) -> LookupResult:
        """A number this conversation already passed the check for, looked up again."""
        try:
            found = self._find(lookup)
        except OrderSystemUnavailable:
            log.warning("order lookup unavailable", exc_info=True)
            return LookupResult(LookupOutcome.UNAVAILABLE)
        if found is None:  # gone from the order system since: nothing to show, nothing guessed
            return LookupResult(LookupOutcome.UNAVAILABLE)
        case = case_of(lookup, found, self._clock()).to_json()
        result = self._checks.record(conversation_id, lookup.number, passed=True, case=case)
        return LookupResult(LookupOutcome.PASSED, result.tries_left)

    def case(self, conversation_id: str, number: str) -> Case | None:
        """The latest case this conversation's check of `number` showed."""
        data = self._checks.case(conversation_id, number)
        return Case.from_json(data) if data else None

    def cases(self, conversation_id: str) -> list[Case]:
        """Everything the conversation's customer proved theirs, for the agents' case view."""
        return [Case.from_json(data) for data in self._checks.case_of(conversation_id)]

    def _find(self, lookup: LookupNumber) -> Found | None:
        if lookup.kind is LookupKind.ORDER:
            order = self._system.order(lookup.number)
            return Found(order) if order is not None else None
        repair = self._system.repair(lookup.number)
        if repair is None:
            return None
        order = self._system.order(repair.order_number)
        return Found(order, repair) if order is not None else None
