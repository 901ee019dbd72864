"""A merchant's order system as docs/order-system.openapi.yaml describes it, on a loopback port: for
the HTTP connector's tests (desk/orders/http_system.py) and the fault bench.

`GET {base}/orders/{order_number}` and `GET {base}/repairs/{rma_number}` answer from the dicts it is
given (`orders`, `repairs`: number → record; change them at any time), serialised the way our own
API serialises them (`api.schemas.orders`), as a merchant reusing one serializer would. A request
without the bearer token gets 401, an unknown number 404, both with the contract's error body.

It can be told to misbehave: `delay_seconds` before every answer, `trickle_seconds` between the
bytes of every body, and for the next requests `fail_next` (an HTTP status, 500 by default),
`drop_next` (the connection closed without an answer) and `answer_next` (any body: garbage, another
order, extra fields). `requests` records every request (path, whether its token was right).

Run it alone: `python -m bench.fakes.order_system --port 8900 --token demo` serves two example
orders and a repair, for trying `DESK_ORDER_SYSTEM=http` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import uvicorn

from api.schemas.orders import OrderOut, RepairOut
from bench.serving import serving
from bench.system import free_port
from desk.orders.records import (
    Address,
    Category,
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Repair,
    RepairStage,
    TrackingEvent,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Where the fake's API lives under its host: a merchant's base URL usually has a path.
BASE_PATH = "/lumio/v1"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorized: bool


@dataclass(frozen=True)
class Scripted:
    """What the next request gets instead of its answer."""

    kind: str  # "status" | "drop" | "body"
    status: int = 200
    body: bytes = b""


@dataclass
class FakeOrderSystem:
    token: str
    orders: dict[str, Order] = field(default_factory=dict)
    repairs: dict[str, Repair] = field(default_factory=dict)
    delay_seconds: float = 0.0
    trickle_seconds: float = 0.0
    requests: list[Seen] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _scripted: list[Scripted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """The next `count` requests get `status` with the contract's error body."""
        code = {429: "too_many_requests", 503: "unavailable"}.get(status, "internal_error")
        body = _error_body(code, f"scripted failure {status}")
        self._script(count, Scripted("status", status, body))

    def drop_next(self, count: int = 1) -> None:
        """The next `count` requests' connections are closed without an answer."""
        self._script(count, Scripted("drop"))

    def answer_next(self, body: bytes | str, status: int = 200, count: int = 1) -> None:
        """The next `count` requests get `body` (as it is) with `status`."""
        raw = body.encode() if isinstance(body, str) else body
        self._script(count, Scripted("body", status, raw))

    def reset(self) -> None:
        """Empty, well-behaved and with no requests seen: for a fake shared by several tests."""
        with self._lock:
            self.orders.clear()
            self.repairs.clear()
            self.requests.clear()
            self._scripted.clear()
        self.delay_seconds = self.trickle_seconds = 0.0

    def seen(self, path_part: str = "") -> list[Seen]:
        with self._lock:
            return [s for s in self.requests if path_part in s.path]

    def _script(self, count: int, scripted: Scripted) -> None:
        with self._lock:
            self._scripted.extend([scripted] * count)

    # -- the ASGI app -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        authorized = headers.get("authorization") == f"Bearer {self.token}"
        with self._lock:
            self.requests.append(Seen(scope["method"], path, authorized))
            scripted = self._scripted.pop(0) if self._scripted else None
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if scripted is not None and scripted.kind == "drop":
            # The head is sent, the body never: the connection closes without a complete answer.
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
            return
        if scripted is not None:
            await self._answer(send, scripted.status, scripted.body)
            return
        status, body, extra = self._lookup(scope["method"], path, authorized)
        await self._answer(send, status, body, extra)

    def _lookup(self, method: str, path: str, authorized: bool) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        if not path.startswith(BASE_PATH + "/"):
            return 404, b"Not Found", [(b"content-type", b"text/plain")]
        if method != "GET":
            return 405, _error_body("method_not_allowed", "Only GET."), []
        if not authorized:
            body = _error_body("unauthorized", "A valid bearer token is required.")
            return 401, body, [(b"www-authenticate", b'Bearer realm="orders"')]
        kind, _, number = path.removeprefix(BASE_PATH + "/").partition("/")
        if kind == "orders" and number in self.orders:
            return 200, OrderOut.of(self.orders[number]).model_dump_json().encode(), []
        if kind == "repairs" and number in self.repairs:
            return 200, RepairOut.of(self.repairs[number]).model_dump_json().encode(), []
        if kind in ("orders", "repairs") and number and "/" not in number:
            what = "order" if kind == "orders" else "repair"
            return 404, _error_body("not_found", f"No {what} {number}."), []
        return 404, b"Not Found", [(b"content-type", b"text/plain")]

    async def _answer(
        self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        headers = [(b"content-length", str(len(body)).encode())]
        if not any(name == b"content-type" for name, _ in extra or []):
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
        if self.trickle_seconds and body:
            for index in range(len(body)):
                await send({"type": "http.response.body", "body": body[index : index + 1], "more_body": True})
                await asyncio.sleep(self.trickle_seconds)
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.body", "body": body})


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


@contextmanager
def running_fake_order_system(
    token: str, orders: dict[str, Order] | None = None, repairs: dict[str, Repair] | None = None
) -> Iterator[FakeOrderSystem]:
    fake = FakeOrderSystem(token, dict(orders or {}), dict(repairs or {}))
    config = uvicorn.Config(
        fake,
        host="127.0.0.1",
        port=fake.port,
        log_level="warning",
        lifespan="off",
        ws="none",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    with serving(config, "fake-order-system"):
        yield fake


# -- by hand -------------------------------------------------------------------------------------------


def example_orders() -> tuple[dict[str, Order], dict[str, Repair]]:
    """Two orders and a repair, dated relative to now (Beijing time)."""
    beijing = timezone(timedelta(hours=8))
    now = datetime.now(beijing).replace(microsecond=0)
    shipped = Order(
        number="LM202611260001",
        customer=Customer("张三", "13800138000"),
        status=OrderStatus.SHIPPED,
        address=Address("广东省", "深圳市", "南山区", "科技园路 1 号"),
        items=(OrderItem("RV-X1", "扫地机器人 X1", Category.ROBOT_VACUUM, "RV2406123456", Decimal("2999.00"), 1),),
        paid_at=now - timedelta(days=2),
        shipped_at=now - timedelta(days=1, hours=20),
        invoice_date=now - timedelta(days=2),
        carrier="SF Express",
        tracking_number="SF1234567890123",
        tracking_events=(
            TrackingEvent(now - timedelta(days=1, hours=20), "已揽收 Picked up, Shenzhen"),
            TrackingEvent(now - timedelta(hours=6), "运输中 In transit, Guangzhou hub"),
        ),
    )
    delivered = Order(
        number="LM202611200002",
        customer=Customer("Li Lei", "13900139000"),
        status=OrderStatus.DELIVERED,
        address=Address("上海市", "上海市", "浦东新区", "世纪大道 100 号"),
        items=(OrderItem("EB-2", "Earbuds 2", Category.EARBUDS, "EB2405000001", Decimal("499.00"), 1),),
        paid_at=now - timedelta(days=20),
        shipped_at=now - timedelta(days=19),
        delivered_at=now - timedelta(days=17),
        invoice_date=now - timedelta(days=20),
        carrier="SF Express",
        tracking_number="SF9876543210987",
        tracking_events=(TrackingEvent(now - timedelta(days=17), "已签收 Delivered"),),
    )
    repair = Repair(
        rma_number="RMA20261234",
        order_number=delivered.number,
        serial_number="EB2405000001",
        stage=RepairStage.DIAGNOSING,
        received_at=now - timedelta(days=2),
        events=(TrackingEvent(now - timedelta(days=2), "已收货 Received at the service centre"),),
    )
    return {o.number: o for o in (shipped, delivered)}, {repair.rma_number: repair}


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake merchant order system (docs/order-system.openapi.yaml).")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--token", required=True)
    arguments = parser.parse_args()
    orders, repairs = example_orders()
    fake = FakeOrderSystem(arguments.token, orders, repairs, port=arguments.port)
    print(f"DESK_ORDER_SYSTEM_URL={fake.base_url}")
    print("orders: " + ", ".join(orders) + "; repairs: " + ", ".join(repairs))
    uvicorn.run(fake, host="127.0.0.1", port=arguments.port, log_level="info", lifespan="off", ws="none")


if __name__ == "__main__":
    main()
