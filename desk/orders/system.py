"""The one interface to the merchant's order system, which the assistant reads orders and repairs
through: the built-in store (`desk.orders.store`) or the merchant's own system over HTTP
(`desk.orders.http_system`), chosen by `DESK_ORDER_SYSTEM`. Both pass the same contract tests
(tests/desk/orders/test_order_system_contract.py)."""

from __future__ import annotations

from typing import Protocol

from desk.orders.records import Order, Repair


class OrderSystemUnavailable(Exception):
    """The order system did not answer in time or answered with an error: the customer is told the
    lookup is unavailable and offered a human, never shown a guessed status."""


class OrderSystem(Protocol):
    """Reads by identifier; None when the system has no such order or repair. Blocking: callers on an
    event loop run it in a worker thread."""

    def order(self, number: str) -> Order | None: ...

    def repair(self, rma_number: str) -> Repair | None: ...
