"""Property-based fuzzing of the JSON API against its own OpenAPI schema (schemathesis), through a
real uvicorn server: no 5xx, every response as documented (status, content type, body schema).

Run twice: with valid credentials (an admin token on the staff routes; a real conversation's id and
key on the conversation API, so the fuzzer gets past the door) and with none (everything must be a
documented refusal). The app runs on a throwaway database with a throwaway admin, so publishing or
account changes cannot hurt anything, and a token the fuzzer revokes is replaced before the next
case. Event streams are opened with a short read timeout. Rasa is the shared fake.

The budget is `FUZZ_EXAMPLES` examples per operation (default 15: about a minute here); `make
bench-fuzz` runs a longer one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from desk.models import Role, TokenRole
from desk.orders.bodies import OrderBody, RepairBody
from desk.services import DeskServices
from engine.rasa_gateway import JSON
from tests.app_factory import build_app
from tests.conversation_api import Started, start_conversation
from tests.desk.orders.order_bodies import order_body, repair_body
from tests.fake_rasa import FakeRasa
from tests.served import serving_app

STORED_NUMBERS = {"order_number": "LM202611260001", "rma_number": "RMA20261234"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure in CI reproduces here
    suppress_health_check=list(HealthCheck),
    database=None,
)


def answer_with_buttons(sender: str, message: str, metadata: JSON) -> list[JSON]:
    return [{"recipient_id": sender, "text": "ok", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]


@dataclass
class Target:
    base_url: str
    services: DeskServices
    admin_id: int
    admin_token: str
    chat: Started
    # An integration's (every scope), for the customer-links and order-system APIs (staff tokens
    # are refused on the first).
    integration_token: str

    def live_admin_token(self) -> str:
        """The admin's token, made anew if a fuzzed `DELETE /api/v1/tokens/{id}` revoked it."""
        if self.services.access.token_caller(self.admin_token) is None:
            self.admin_token, _ = self.services.access.create_token("fuzz-admin", TokenRole.ADMIN, self.admin_id)
        return self.admin_token


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("fuzzed")
    app = build_app(folder, rasa=FakeRasa(answer_with_buttons), channels=[])
    with serving_app(app, "fuzzed-app") as base_url:
        services: DeskServices = app.state.runtime.services
        admin = services.users.create("fuzz-admin", "correct horse battery", Role.ADMIN)
        token, _ = services.access.create_token("fuzz-admin", TokenRole.ADMIN, admin.id)
        chat = start_conversation(requests.Session(), base_url)
        integration, _ = services.access.create_token("fuzz-crm", TokenRole.INTEGRATION, admin.id, [])
        services.order_book.put_order(OrderBody.model_validate(order_body()).to_order(STORED_NUMBERS["order_number"]))
        services.order_book.put_repair(RepairBody.model_validate(repair_body()).to_repair(STORED_NUMBERS["rma_number"]))
        yield Target(base_url, services, admin.id, token, chat, integration)


@pytest.fixture(scope="module")
def api_schema(target: Target) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{target.base_url}/openapi.json")


def send(case: schemathesis.Case, target: Target, credentials: bool) -> None:
    headers: dict[str, str] = {}
    path = case.operation.path
    if credentials and path.startswith("/api/v1/conversations/{conversation_id}"):
        case.path_parameters = {**(case.path_parameters or {}), "conversation_id": target.chat.id}
        headers = dict(target.chat.headers)
    elif credentials and path.startswith("/api/v1/customers"):
        headers = {"Authorization": f"Bearer {target.integration_token}"}
    elif credentials and path.startswith(("/api/v1/orders/", "/api/v1/repairs/")):
        # A stored order's and repair's numbers (the fuzzer's strings are hardly ever numbers), so the
        # cases reach the bodies and the stored records; the orders scope's token, as a shop uses.
        name = "order_number" if path.startswith("/api/v1/orders/") else "rma_number"
        case.path_parameters = {**(case.path_parameters or {}), name: STORED_NUMBERS[name]}
        headers = {"Authorization": f"Bearer {target.integration_token}"}
    elif credentials:
        headers = {"Authorization": f"Bearer {target.live_admin_token()}"}
    elif case.headers:
        case.headers.pop("Authorization", None)
    streaming = path.endswith("/events")
    try:
        case.call_and_validate(base_url=target.base_url, headers=headers, checks=CHECKS, timeout=2 if streaming else 30)
    except requests.exceptions.ReadTimeout:
        if not streaming:
            raise  # an event stream that opened and kept streaming past the read timeout is fine


@pytest.mark.parametrize("credentials", [True, False], ids=["with-credentials", "without-credentials"])
def test_every_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, target: Target, credentials: bool
) -> None:
    # One Hypothesis run per operation, by hand: schemathesis' own pytest loader for a schema from a
    # fixture does not run on pytest 9. Every failure is collected, then reported together.
    failures: dict[str, str] = {}
    operations = requests_sent = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            nonlocal requests_sent
            requests_sent += 1
            send(case, target, credentials)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures[operation.label] = str(failure)[:2000]
    print(f"fuzzed {operations} operations with {requests_sent} requests; {len(failures)} failed")
    assert operations > 40
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
