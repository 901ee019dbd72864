"""docs/order-system.openapi.yaml, the contract a merchant implements, against what the project
actually sends and reads, so the document, the fake merchant server (bench/fakes/order_system.py,
which serialises like our own API, api/schemas/orders.py) and the connector cannot drift apart:

- every answer of the fake validates against the document's schemas, with every object closed
  (`additionalProperties: false`), so the fake sends nothing the document does not describe;
- schemathesis sends the document's operations to the fake, with and without the token, and checks
  each answer's status, content type and body against the document;
- the document's examples are answers the connector accepts, its enums are the records' and the
  time limits it promises are the settings' defaults.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bench.fakes.order_system import FakeOrderSystem, example_orders, running_fake_order_system
from desk.orders.http_system import Limits
from desk.orders.records import Category, OrderStatus, RepairStage
from desk.orders.wire import order_from_json, repair_from_json
from desk.settings import DeskSettings
from tests.desk.orders.test_order_system_contract import BARE_ORDER, BARE_REPAIR, FULL_ORDER, FULL_REPAIR

CONTRACT = Path(__file__).resolve().parents[3] / "docs" / "order-system.openapi.yaml"
TOKEN = "contract-test-token"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOrderSystem]:
    orders, repairs = example_orders()
    orders |= {FULL_ORDER.number: FULL_ORDER, BARE_ORDER.number: BARE_ORDER}
    repairs |= {FULL_REPAIR.rma_number: FULL_REPAIR, BARE_REPAIR.rma_number: BARE_REPAIR}
    with running_fake_order_system(TOKEN, orders, repairs) as served:
        yield served


def closed(schema: Any) -> Any:
    """`schema` with `additionalProperties: false` on every object that lists its properties."""
    if isinstance(schema, dict):
        result = {key: closed(value) for key, value in schema.items()}
        if "properties" in result and result.get("type") == "object":
            result.setdefault("additionalProperties", False)
        return result
    if isinstance(schema, list):
        return [closed(value) for value in schema]
    return schema


def validator(document: dict[str, Any], name: str, *, strict: bool = True) -> Any:
    """A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) of `#/components/schemas/<name>`,
    formats (date-time) checked."""
    components = closed(document["components"]) if strict else copy.deepcopy(document["components"])
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": components,
        "$ref": f"#/components/schemas/{name}",
    }
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def errors(check: Any, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in check.iter_errors(instance)]


def test_the_document_is_openapi_3_1_with_both_operations(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert set(document["paths"]) == {"/orders/{order_number}", "/repairs/{rma_number}"}
    for path in document["paths"].values():
        responses = path["get"]["responses"]
        assert {"200", "401", "404", "5XX"} <= set(responses)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    # schemathesis loads it (and refuses what it cannot use).
    assert len(list(schemathesis.openapi.from_path(CONTRACT).get_all_operations())) == 2


def test_every_answer_of_the_fake_is_the_documents(document: dict[str, Any], fake: FakeOrderSystem) -> None:
    order_check, repair_check = validator(document, "Order"), validator(document, "Repair")
    error_check = validator(document, "Error")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=fake.base_url + "/", headers=headers) as client:
        for number in fake.orders:
            response = client.get(f"orders/{number}")
            assert response.status_code == 200
            assert errors(order_check, response.json()) == [], number
        for number in fake.repairs:
            response = client.get(f"repairs/{number}")
            assert response.status_code == 200
            assert errors(repair_check, response.json()) == [], number
        unknown = client.get("orders/LM209901010001")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert errors(error_check, unknown.json()) == []
        refused = client.get(f"orders/{FULL_ORDER.number}", headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401 and errors(error_check, refused.json()) == []


def test_the_schemas_refuse_what_the_connector_refuses(document: dict[str, Any]) -> None:
    check = validator(document, "Order", strict=False)
    good = json.loads(
        json.dumps(
            document["paths"]["/orders/{order_number}"]["get"]["responses"]["200"]["content"]["application/json"][
                "example"
            ]
        )
    )
    assert errors(check, good) == []
    for field, value in [
        ("paid_at", "2026-11-26T10:15:00"),  # no offset
        ("status", "lost"),
        ("order_number", "LM123"),
        ("items", []),
    ]:
        assert errors(check, {**good, field: value}), field
    item = good["items"][0]
    for field, value in [("price", "1.005"), ("quantity", "1"), ("serial_number", "XX123"), ("category", "phone")]:
        assert errors(check, {**good, "items": [{**item, field: value}]}), field


def test_the_documents_examples_are_answers_the_connector_reads(document: dict[str, Any]) -> None:
    paths = document["paths"]
    order = paths["/orders/{order_number}"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    repair = paths["/repairs/{rma_number}"]["get"]["responses"]["200"]["content"]["application/json"]["example"]

    read_order = order_from_json(order["order_number"], json.dumps(order).encode())
    read_repair = repair_from_json(repair["rma_number"], json.dumps(repair).encode())

    assert read_order.number == order["order_number"] and read_order.items[0].serial_number == "RV2406123456"
    assert read_repair.stage == RepairStage.DIAGNOSING
    assert errors(validator(document, "Order"), order) == []
    assert errors(validator(document, "Repair"), repair) == []


def test_the_documents_enums_are_the_records(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Order"]["properties"]["status"]["enum"] == [s.value for s in OrderStatus]
    assert schemas["Repair"]["properties"]["stage"]["enum"] == [s.value for s in RepairStage]
    item = schemas["Order"]["properties"]["items"]["items"]
    assert item["properties"]["category"]["enum"] == [c.value for c in Category]


def test_the_documents_time_limits_are_the_defaults(document: dict[str, Any]) -> None:
    timing = document["info"]["x-lumio-timing"]
    limits = Limits.of(DeskSettings())
    assert timing == {
        "connect-seconds": limits.connect_seconds,
        "read-seconds": limits.read_seconds,
        "total-seconds": limits.total_seconds,
        "retries": limits.retries,
    }


@pytest.mark.parametrize("credentials", [True, False], ids=["with-token", "without-token"])
def test_the_fake_answers_every_operation_as_documented(fake: FakeOrderSystem, credentials: bool) -> None:
    schema = schemathesis.openapi.from_path(CONTRACT)
    headers = {"Authorization": f"Bearer {TOKEN}"} if credentials else {}
    failures: dict[str, str] = {}
    statuses: set[int] = set()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            if not credentials and case.headers:
                case.headers.pop("Authorization", None)
            response = case.call_and_validate(base_url=fake.base_url, headers=headers, checks=CHECKS, timeout=5)
            statuses.add(response.status_code)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # The examples (numbers the fake holds) and generated numbers (unknown).
    assert statuses == ({200, 404} if credentials else {401})
