"""The customer-links API (issue 11, M4): an integration links its own customer id to a channel
identity; agents then see the customer's conversations on both in the case file. Only integrations
with the `conversations` scope may, each in its own namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from desk.handoff import HandoffReason
from desk.models import Role, Scope
from tests.api.staff import integration_token, services_of, token_for
from tests.app_factory import build_app
from tests.conversation_api import start_conversation

WECHAT = "wechat:wx5f6e7d8c9b0a1234:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
LINKS = "/api/v1/customers/u-42/links"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, channels=[]), raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_integration_links_its_customer_and_agents_see_both_histories(client: TestClient) -> None:
    crm = integration_token(client, "crm")
    services = services_of(client)
    services.conversations.record_inbound(
        "wechat:o6_bmjr", text="电池保修多久？", payload=None, language="zh", channel="wechat", customer_id=WECHAT
    )
    services.conversations.record_inbound(
        "int:crm:order-7", text="我要投诉", payload=None, language="zh", channel="api", customer_id="int:crm:u-42"
    )
    escalation = services.escalations.open("int:crm:order-7", HandoffReason.COMPLAINT, channel="api", language="zh")
    lead = token_for(client, Role.LEAD)
    case = f"/api/v1/escalations/{escalation.escalation.id}"
    assert client.get(case, headers=lead).json()["earlier_conversations"] == []

    linked = client.put(LINKS, json={"identity": WECHAT}, headers=crm)
    assert linked.status_code == 200, linked.text
    assert linked.json()["customer_id"] == "u-42" and [x["identity"] for x in linked.json()["links"]] == [WECHAT]
    assert client.put(LINKS, json={"identity": WECHAT}, headers=crm).json() == linked.json()  # idempotent
    assert client.get(LINKS, headers=crm).json() == linked.json()
    assert [e["id"] for e in client.get(case, headers=lead).json()["earlier_conversations"]] == ["wechat:o6_bmjr"]
    # Stored in the integration's namespace, so another integration's "u-42" is someone else.
    shop = integration_token(client, "shop")
    assert client.get(LINKS, headers=shop).json()["links"] == []
    assert services.customers.links_of("int:crm:u-42")[0].identity == WECHAT

    assert client.delete(f"{LINKS}/{WECHAT}", headers=crm).status_code == 204
    assert client.delete(f"{LINKS}/{WECHAT}", headers=crm).status_code == 404
    assert client.get(case, headers=lead).json()["earlier_conversations"] == []
    actions = [e.action for e in services.audit.recent(action=None) if e.action.startswith("customer.")]
    assert actions == ["customer.unlink", "customer.link"]


@pytest.mark.parametrize(
    "identity",
    [
        "int:shop:u-7",  # another integration's customer: not this one's to vouch for
        "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",  # a raw platform id: which account's?
        "web:AAAAAAAAAAAAAAAAAAAAAAAA",
        "wechat:wx5f6e7d8c9b0a1234",
        "wechat:wx5f6e7d8c9b0a1234:o6 bmjr",
    ],
)
def test_only_channel_identities_are_linked(client: TestClient, identity: str) -> None:
    response = client.put(LINKS, json={"identity": identity}, headers=integration_token(client, "crm"))
    assert response.status_code == 422, response.text
    assert "channel's customer id" in response.text


def test_only_integrations_with_the_conversations_scope_link(client: TestClient) -> None:
    body = {"identity": WECHAT}
    assert client.put(LINKS, json=body).status_code == 401
    assert client.put(LINKS, json=body, headers={"Authorization": "Bearer lmk_unknown"}).status_code == 401
    browser = start_conversation(client)
    assert client.put(LINKS, json=body, headers=browser.headers).status_code == 403
    assert client.put(LINKS, json=body, headers=token_for(client, Role.ADMIN)).status_code == 403
    orders_only = integration_token(client, "warehouse", [Scope.ORDERS])
    assert client.put(LINKS, json=body, headers=orders_only).status_code == 403
    assert client.get(LINKS, headers=orders_only).status_code == 403
    assert services_of(client).customers.links_of("int:warehouse:u-42") == []


def test_a_customer_id_too_long_for_the_namespace_is_422(client: TestClient) -> None:
    crm = integration_token(client, "crm")
    response = client.put(f"/api/v1/customers/{'a' * 125}/links", json={"identity": WECHAT}, headers=crm)
    assert response.status_code == 422 and "at most 120 characters" in response.text


def test_too_many_links_are_refused(client: TestClient) -> None:
    crm = integration_token(client, "crm")
    for n in range(20):
        assert client.put(LINKS, json={"identity": f"slack:T1:U{n}"}, headers=crm).status_code == 200
    refused = client.put(LINKS, json={"identity": WECHAT}, headers=crm)
    assert refused.status_code == 422 and "at most 20" in refused.text


def test_openapi_documents_the_links_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/customers/{customer_id}/links"])
    assert "delete" in paths["/api/v1/customers/{customer_id}/links/{identity}"]
    assert "422" in paths["/api/v1/customers/{customer_id}/links"]["put"]["responses"]
