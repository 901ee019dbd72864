"""The order-system API (issue 12): `PUT`/`GET /api/v1/orders/{order_number}` and
`/api/v1/repairs/{rma_number}`, for integration tokens with the `orders` scope and admins; strict
bodies whose refusals name the field; upserts that say whether they created."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.order_access import OrdersRoute
from api.routes import orders
from desk.models import Role, Scope
from desk.orders.bodies import MAX_BODY_BYTES, MAX_DESCRIPTION, MAX_EVENTS, MAX_ITEMS
from tests.api.staff import create_user, integration_token, services_of, sign_in, token_for
from tests.app_factory import build_app
from tests.desk.orders.order_bodies import item, order_body, repair_body

ORDER = "/api/v1/orders/LM202611260001"
REPAIR = "/api/v1/repairs/RMA20261234"
JSON_TYPE = {"content-type": "application/json"}
Headers = dict[str, str]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, channels=[]), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def shop(client: TestClient) -> Headers:
    return integration_token(client, "shop", [Scope.ORDERS])


def problems(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(d["location"], d["problem"]) for d in response.json()["error"]["details"]]


def locations(response: Any) -> list[list[Any]]:
    return [location for location, _ in problems(response)]


# Who may call it ----------------------------------------------------------------------------------


def test_without_a_credential_nothing_is_read_or_written(client: TestClient) -> None:
    for method, path, body in (("PUT", ORDER, order_body()), ("GET", ORDER, None), ("PUT", REPAIR, repair_body())):
        response = client.request(method, path, json=body)
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_signed_in"
        assert response.headers["www-authenticate"] == "Bearer"
        unknown = client.request(method, path, json=body, headers={"Authorization": "Bearer lmk_nope"})
        assert unknown.status_code == 401


def test_tokens_without_the_orders_scope_and_staff_below_admin_are_403(client: TestClient) -> None:
    conversations_only = integration_token(client, "crm", [Scope.CONVERSATIONS])
    for headers in (conversations_only, token_for(client, Role.AGENT), token_for(client, Role.LEAD)):
        assert client.put(ORDER, json=order_body(), headers=headers).status_code == 403
        assert client.get(ORDER, headers=headers).status_code == 403
    assert "orders" in client.get(ORDER, headers=conversations_only).json()["error"]["message"]
    create_user(client, "lead", Role.LEAD)
    csrf = sign_in(client, "lead")
    refused = client.put(ORDER, json=order_body(), headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and "admin" in refused.json()["error"]["message"]
    assert services_of(client).order_book.order("LM202611260001") is None


def test_orders_tokens_admin_tokens_and_admin_sessions_may(client: TestClient, shop: Headers) -> None:
    assert client.put(ORDER, json=order_body(), headers=shop).status_code == 201
    admin = token_for(client, Role.ADMIN)
    assert client.put(ORDER, json=order_body(status="delivered"), headers=admin).status_code == 200
    assert client.get(ORDER, headers=admin).json()["status"] == "delivered"
    create_user(client, "root", Role.ADMIN)
    csrf = sign_in(client, "root")
    assert client.get(ORDER).status_code == 200  # a read needs no CSRF token
    no_csrf = client.put(ORDER, json=order_body(), headers=JSON_TYPE)
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["error"]["message"]
    assert client.put(ORDER, json=order_body(status="returned"), headers={"X-CSRF-Token": csrf}).status_code == 200
    actors = [(e.actor, e.action) for e in services_of(client).audit.recent() if e.action.startswith("order.")]
    assert actors == [
        ("user:root", "order.update"),
        ("token:admin-integration", "order.update"),
        ("token:shop", "order.create"),
    ]


def test_an_integration_whose_owner_is_no_longer_admin_is_403(client: TestClient, shop: Headers) -> None:
    services = services_of(client)
    owner = services.users.by_username("integrations-owner")
    assert owner is not None
    services.users.update(owner.id, role=Role.LEAD)
    assert client.get(ORDER, headers=shop).status_code == 403


def test_the_caller_is_admitted_before_the_body_is_read(client: TestClient, shop: Headers) -> None:
    malformed = b'{"customer": '
    for path in (ORDER, REPAIR):
        assert client.put(path, content=malformed, headers=JSON_TYPE).status_code == 401
        crm = integration_token(client, f"crm{len(path)}", [Scope.CONVERSATIONS])
        assert client.put(path, content=malformed, headers={**JSON_TYPE, **crm}).status_code == 403
        # Admitted, and only then is the body read (and found malformed).
        parsed = client.put(path, content=malformed, headers={**JSON_TYPE, **shop})
        assert parsed.status_code == 400 and parsed.json()["error"]["code"] == "invalid_json"


# Writing and reading ------------------------------------------------------------------------------


def test_an_order_is_created_then_replaced_and_read_back(client: TestClient, shop: Headers) -> None:
    created = client.put(ORDER, json=order_body(), headers=shop)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == ORDER
    stored = created.json()
    assert stored["order_number"] == "LM202611260001"
    assert stored["customer"] == {"name": "张三", "phone": "13800138000"}
    assert stored["items"][0]["price"] == "1999.00" and stored["items"][0]["serial_number"] == "RV2406123456"
    assert [e["description"] for e in stored["tracking_events"]] == ["顺丰已揽收", "到达上海浦东集散中心"]
    assert stored["paid_at"] == "2026-11-26T02:00:00Z"  # the same instant, in UTC
    assert stored["flags"] == {"flash_sale": False, "coupon_price": True, "trade_in": False}
    assert client.get(ORDER, headers=shop).json() == stored

    replaced = client.put(
        ORDER,
        json=order_body(status="delivered", delivered_at="2026-11-28T12:00:00+08:00", items=[item(price=1799)]),
        headers=shop,
    )
    assert replaced.status_code == 200 and "location" not in replaced.headers
    assert replaced.json()["status"] == "delivered" and replaced.json()["items"][0]["price"] == "1799.00"
    assert client.get(ORDER, headers=shop).json() == replaced.json()
    # What GET gives is a body PUT takes (with the number left out): a round trip changes nothing.
    again = {k: v for k, v in replaced.json().items() if k != "order_number"}
    assert client.put(ORDER, json=again, headers=shop).json() == replaced.json()


def test_fields_not_yet_known_may_be_left_out(client: TestClient, shop: Headers) -> None:
    minimal = {k: order_body()[k] for k in ("customer", "status", "address")}
    minimal["items"] = [{k: v for k, v in item().items() if k != "serial_number"}]
    stored = client.put(ORDER, json={**minimal, "status": "paid"}, headers=shop)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert body["shipped_at"] is None and body["tracking_events"] == [] and body["items"][0]["serial_number"] is None
    assert body["flags"] == {"flash_sale": False, "coupon_price": False, "trade_in": False}


@pytest.mark.parametrize("path", ["/api/v1/orders/lm202611260001", "/api/v1/orders/LM%202026%201126%200001"])
def test_order_numbers_in_the_path_are_normalised(client: TestClient, shop: Headers, path: str) -> None:
    response = client.put(path, json=order_body(), headers=shop)
    assert response.status_code == 201 and response.json()["order_number"] == "LM202611260001"
    assert client.get(path, headers=shop).status_code == 200


@pytest.mark.parametrize(
    ("path", "help_text"),
    [
        ("/api/v1/orders/LM2026", "LM and 12 digits"),
        ("/api/v1/orders/RMA20261234", "LM and 12 digits"),
        ("/api/v1/orders/LM" + "٢" * 12, "LM and 12 digits"),  # digits, but not ours
        ("/api/v1/repairs/RMA2026", "RMA and 8 digits"),
        ("/api/v1/repairs/LM202611260001", "RMA and 8 digits"),
    ],
)
def test_a_path_that_is_no_number_is_422_with_its_form(
    client: TestClient, shop: Headers, path: str, help_text: str
) -> None:
    (location, problem), *_ = problems(client.get(path, headers=shop))
    assert location[0] == "path" and help_text in problem


def test_unknown_numbers_are_404(client: TestClient, shop: Headers) -> None:
    for path in (ORDER, REPAIR):
        response = client.get(path, headers=shop)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_repair_needs_its_order_then_is_created_replaced_and_read(client: TestClient, shop: Headers) -> None:
    orphan = client.put(REPAIR, json=repair_body(), headers=shop)
    ((location, problem),) = problems(orphan)
    assert location == ["body", "order_number"] and "LM202611260001" in problem and "put the order first" in problem
    assert client.get(REPAIR, headers=shop).status_code == 404

    assert client.put(ORDER, json=order_body(), headers=shop).status_code == 201
    created = client.put("/api/v1/repairs/rma20261234", json=repair_body(order_number="lm202611260001"), headers=shop)
    assert created.status_code == 201 and created.headers["location"] == REPAIR
    assert created.json() == {
        "rma_number": "RMA20261234",
        "order_number": "LM202611260001",
        "serial_number": "RV2406123456",
        "stage": "diagnosing",
        "received_at": "2026-11-30T06:00:00Z",
        "events": [{"at": "2026-11-30T06:00:00Z", "description": "维修中心已收货"}],
    }
    replaced = client.put(REPAIR, json=repair_body(stage="repairing"), headers=shop)
    assert replaced.status_code == 200 and replaced.json()["stage"] == "repairing"
    assert client.get(REPAIR, headers=shop).json() == replaced.json()
    audit = [(e.action, e.target) for e in services_of(client).audit.recent() if e.action.startswith("repair.")]
    assert audit == [("repair.update", "repair:RMA20261234"), ("repair.create", "repair:RMA20261234")]


# Bad bodies: 422 naming the field -----------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["paid_at", "shipped_at", "delivered_at", "invoice_date"], ids=lambda field: f"{field}-without-offset"
)
def test_timestamps_without_an_offset_are_refused(client: TestClient, shop: Headers, field: str) -> None:
    response = client.put(ORDER, json=order_body(**{field: "2026-11-26T10:00:00"}), headers=shop)
    assert problems(response) == [(["body", field], "Input should have timezone info")]


def test_tracking_and_repair_events_without_an_offset_are_refused(client: TestClient, shop: Headers) -> None:
    events = [{"at": "2026-11-26T18:00:00", "description": "已揽收"}]
    assert locations(client.put(ORDER, json=order_body(tracking_events=events), headers=shop)) == [
        ["body", "tracking_events", 0, "at"]
    ]
    client.put(ORDER, json=order_body(), headers=shop)
    assert locations(client.put(REPAIR, json=repair_body(received_at="2026-11-30 14:00"), headers=shop)) == [
        ["body", "received_at"]
    ]
    assert locations(client.put(REPAIR, json=repair_body(events=events), headers=shop)) == [["body", "events", 0, "at"]]


def test_a_price_with_three_decimal_places_is_refused(client: TestClient, shop: Headers) -> None:
    for price in (19.999, "19.999"):
        response = client.put(ORDER, json=order_body(items=[item(price=price)]), headers=shop)
        assert problems(response) == [
            (["body", "items", 0, "price"], "Decimal input should have no more than 2 decimal places")
        ]


BAD_ORDERS: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("unknown field", {"discount": 5}, ["body", "discount"]),
    ("unknown status", {"status": "lost"}, ["body", "status"]),
    ("time as a number", {"paid_at": 1764122400}, ["body", "paid_at"]),
    ("date without a time", {"invoice_date": "2026-11-26"}, ["body", "invoice_date"]),
    ("phone", {"customer": {"name": "张三", "phone": "12345"}}, ["body", "customer", "phone"]),
    ("landline", {"customer": {"name": "张三", "phone": "021-5555 1234"}}, ["body", "customer", "phone"]),
    ("blank name", {"customer": {"name": "  ", "phone": "13800138000"}}, ["body", "customer", "name"]),
    ("missing customer", {"customer": None}, ["body", "customer"]),
    ("long name", {"customer": {"name": "张" * 65, "phone": "13800138000"}}, ["body", "customer", "name"]),
    ("no items", {"items": []}, ["body", "items"]),
    ("too many items", {"items": [item()] * (MAX_ITEMS + 1)}, ["body", "items"]),
    ("quantity 0", {"items": [item(quantity=0)]}, ["body", "items", 0, "quantity"]),
    ("quantity as text", {"items": [item(quantity="1")]}, ["body", "items", 0, "quantity"]),
    ("negative price", {"items": [item(price=-1)]}, ["body", "items", 0, "price"]),
    ("price as a boolean", {"items": [item(price=True)]}, ["body", "items", 0, "price"]),
    ("category", {"items": [item(category="toaster")]}, ["body", "items", 0, "category"]),
    ("serial number", {"items": [item(serial_number="RV12345")]}, ["body", "items", 0, "serial_number"]),
    ("another category's serial", {"items": [item(category="earbuds")]}, ["body", "items", 0, "serial_number"]),
    ("serial in other digits", {"items": [item(serial_number="RV" + "٢" * 10)]}, ["body", "items", 0, "serial_number"]),
    ("phone in other digits", {"customer": {"name": "张三", "phone": "1" + "٣" * 10}}, ["body", "customer", "phone"]),
    ("control character", {"carrier": "SF\x00"}, ["body", "carrier"]),
    ("tracking number", {"tracking_number": "SF 123/456"}, ["body", "tracking_number"]),
    ("too many events", {"tracking_events": [{"at": "2026-11-26T18:00:00+08:00", "description": "x"}] * (MAX_EVENTS + 1)}, ["body", "tracking_events"]),
    ("long description", {"tracking_events": [{"at": "2026-11-26T18:00:00+08:00", "description": "x" * (MAX_DESCRIPTION + 1)}]}, ["body", "tracking_events", 0, "description"]),
    ("address field", {"address": {"province": "上海", "city": "上海市", "district": "浦东新区"}}, ["body", "address", "line"]),
    ("flag as text", {"flags": {"flash_sale": "yes"}}, ["body", "flags", "flash_sale"]),
    ("unknown flag", {"flags": {"vip": True}}, ["body", "flags", "vip"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "location"), [(c, loc) for _, c, loc in BAD_ORDERS], ids=[n for n, *_ in BAD_ORDERS]
)
def test_each_bad_field_is_named(
    client: TestClient, shop: Headers, changes: dict[str, Any], location: list[Any]
) -> None:
    response = client.put(ORDER, json=order_body(**changes), headers=shop)
    assert locations(response) == [location]
    assert response.json()["error"]["code"] == "invalid_request"
    assert services_of(client).order_book.order("LM202611260001") is None


BAD_REPAIRS: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("order number", {"order_number": "LM123"}, ["body", "order_number"]),
    ("serial number", {"serial_number": "XX2406123456"}, ["body", "serial_number"]),
    ("stage", {"stage": "lost"}, ["body", "stage"]),
    ("unknown field", {"note": "x"}, ["body", "note"]),
]


@pytest.mark.parametrize(
    ("changes", "location"), [(c, loc) for _, c, loc in BAD_REPAIRS], ids=[n for n, *_ in BAD_REPAIRS]
)
def test_each_bad_repair_field_is_named(
    client: TestClient, shop: Headers, changes: dict[str, Any], location: list[Any]
) -> None:
    client.put(ORDER, json=order_body(), headers=shop)
    assert locations(client.put(REPAIR, json=repair_body(**changes), headers=shop)) == [location]


def test_a_body_at_every_bound_fits_the_size_limit_and_one_past_it_is_413(client: TestClient, shop: Headers) -> None:
    event = {"at": "2026-11-26T18:00:00.123456+08:00", "description": "中" * MAX_DESCRIPTION}
    largest = order_body(
        customer={"name": "张" * 64, "phone": "+86 138-0013-8000"},
        carrier="顺" * 32,
        tracking_number="S" * 40,
        tracking_events=[event] * MAX_EVENTS,
        address={"province": "省" * 32, "city": "市" * 32, "district": "区" * 32, "line": "路" * 200},
        items=[item(sku="K" * 64, name="品" * 100, price="99999999.99", quantity=999)] * MAX_ITEMS,
    )
    content = json.dumps(largest).encode()  # ensure_ascii: every Chinese character 6 bytes
    assert len(content) <= MAX_BODY_BYTES
    assert client.put(ORDER, content=content, headers={**JSON_TYPE, **shop}).status_code == 201
    too_large = client.put(ORDER, content=b" " * (MAX_BODY_BYTES + 1), headers={**JSON_TYPE, **shop})
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"


def test_every_order_route_admits_its_caller_before_the_body() -> None:
    routes = [route for route in orders.router.routes if isinstance(route, APIRoute)]
    assert len(routes) == 4 and all(isinstance(route, OrdersRoute) for route in routes)
