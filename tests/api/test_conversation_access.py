"""The conversation API's access model: a browser's conversation opens with its key alone, an
integration's ids live in its own namespace, the event stream takes a short-lived ticket, and an
unknown conversation and someone else's answer alike (issue 11, H1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api.conversation_access
from desk.models import Role, Scope
from engine.rasa_gateway import JSON
from tests.api.staff import integration_token, services_of, token_for
from tests.app_factory import build_app
from tests.conversation_api import Started, start_conversation
from tests.fake_rasa import FakeRasa


def echo(sender: str, message: str, metadata: JSON) -> list[JSON]:
    return [{"recipient_id": sender, "text": f"you said: {message}"}]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(echo)


@pytest.fixture
def client(tmp_path: Path, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[]), raise_server_exceptions=False) as test_client:
        yield test_client


def say(client: TestClient, chat: Started, text: str, headers: dict[str, str] | None = None) -> int:
    response = client.post(f"{chat.url}/messages", json={"text": text}, headers=headers or chat.headers)
    return response.status_code


def test_a_browser_starts_a_conversation_and_only_its_key_opens_it(client: TestClient, rasa: FakeRasa) -> None:
    alice = start_conversation(client, language="zh", metadata={"page": "/orders"})
    mallory = start_conversation(client)
    assert alice.id != mallory.id and alice.key != mallory.key
    assert say(client, alice, "我的手机号是13812345678") == 200
    assert rasa.sent[-1].sender == alice.id and rasa.sent[-1].metadata["page"] == "/orders"

    own = client.get(alice.url, headers=alice.headers)
    assert own.status_code == 200 and own.json()["id"] == alice.id and own.json()["language"] == "zh"
    # Another browser, with its own valid key, learns nothing: not the transcript, not that it exists.
    foreign = client.get(alice.url, headers=mallory.headers)
    unknown = client.get("/api/v1/conversations/c-never-issued", headers=mallory.headers)
    assert foreign.status_code == unknown.status_code == 404 and foreign.json() == unknown.json()
    assert say(client, alice, "injected", headers=mallory.headers) == 404
    forged = {"Authorization": f"Bearer {alice.key[:-2]}xx"}
    assert client.get(alice.url, headers=forged).status_code == 404
    assert client.get(alice.url).status_code == 401  # no credential at all
    assert client.post(f"{alice.url}/event-tickets", headers=mallory.headers).status_code == 404
    transcript = client.get(alice.url, headers=alice.headers).json()["transcript"]
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["我的手机号是13812345678"]


def test_the_key_is_stored_only_as_a_hash(client: TestClient) -> None:
    chat = start_conversation(client)
    services = services_of(client)
    with services.conversations._sessions() as session:
        from desk.models import Conversation

        row = session.get(Conversation, chat.id)
        assert row is not None and row.access_key_hash and chat.key not in row.access_key_hash


def test_an_integration_chooses_its_ids_in_its_own_namespace(client: TestClient, rasa: FakeRasa) -> None:
    crm, shop = integration_token(client, "crm"), integration_token(client, "shop")
    for headers, text in ((crm, "from the crm"), (shop, "from the shop")):
        response = client.post("/api/v1/conversations/order-1/messages", json={"text": text}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["conversation_id"] == "order-1"
    assert {s.sender for s in rasa.sent} == {"int:crm:order-1", "int:shop:order-1"}
    crm_view = client.get("/api/v1/conversations/order-1", headers=crm).json()
    assert crm_view["id"] == "order-1"
    assert [m["text"] for m in crm_view["transcript"] if m["sender"] == "customer"] == ["from the crm"]

    # A browser's conversation is not in any integration's namespace, nor the other way round.
    browser = start_conversation(client)
    assert client.get(browser.url, headers=crm).status_code == 404
    assert client.get("/api/v1/conversations/order-1", headers=browser.headers).status_code == 404


def test_customer_ids_are_an_integrations_to_give_and_namespaced(client: TestClient) -> None:
    crm = integration_token(client, "crm")
    body = {"text": "hi", "customer_id": "u-42"}
    assert client.post("/api/v1/conversations/c1/messages", json=body, headers=crm).status_code == 200
    assert services_of(client).conversations.get("int:crm:c1").customer_id == "int:crm:u-42"  # type: ignore[union-attr]
    browser = start_conversation(client)
    spoofed = client.post(f"{browser.url}/messages", json=body, headers=browser.headers)
    assert spoofed.status_code == 403


def test_tokens_without_the_scope_or_of_staff_open_no_conversation(client: TestClient) -> None:
    orders_only = integration_token(client, "warehouse", [Scope.ORDERS])
    admin = token_for(client, Role.ADMIN)
    for headers in (orders_only, admin):
        response = client.post("/api/v1/conversations/c1/messages", json={"text": "hi"}, headers=headers)
        assert response.status_code == 403, response.text
    revoked = {"Authorization": "Bearer lmk_not-a-token"}
    assert client.get("/api/v1/conversations/c1", headers=revoked).status_code == 401
    # …and an integration token opens nothing of the staff API or the console.
    crm = integration_token(client, "crm")
    assert client.get("/api/v1/escalations", headers=crm).status_code == 403
    assert client.get("/api/v1/users", headers=crm).status_code == 403


def test_an_integration_id_too_long_for_its_namespace_is_422(client: TestClient) -> None:
    crm = integration_token(client, "crm")
    response = client.post(f"/api/v1/conversations/{'a' * 125}/messages", json={"text": "hi"}, headers=crm)
    assert response.status_code == 422 and "at most 120 characters" in response.text


def test_event_tickets_open_one_conversation_for_a_minute(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = start_conversation(client), start_conversation(client)
    issued = client.post(f"{alice.url}/event-tickets", headers=alice.headers)
    assert issued.status_code == 201
    ticket = issued.json()
    assert ticket["expires_in"] == 60 and ticket["url"] == f"{alice.url}/events?ticket={ticket['ticket']}"
    # Alice's ticket does not open Bob's stream; a made-up one opens nothing.
    assert client.get(f"{bob.url}/events", params={"ticket": ticket["ticket"]}).status_code == 404
    assert client.get(f"{alice.url}/events", params={"ticket": "made-up"}).status_code == 401
    assert client.get(f"{alice.url}/events").status_code == 401
    monkeypatch.setattr(api.conversation_access, "TICKET_SECONDS", -1)
    expired = client.get(f"{alice.url}/events", params={"ticket": ticket["ticket"]})
    assert expired.status_code == 401 and "expired" in expired.text


def test_tickets_are_masked_in_access_logs() -> None:
    import logging

    from engine.log_config import QueryMasking

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/conversations/c-1/events?ticket=secret.sig", "1.1", 200), None,
    )  # fmt: skip
    assert QueryMasking().filter(record)
    assert "secret" not in record.getMessage() and "/api/v1/conversations/c-1/events?…" in record.getMessage()


def test_openapi_documents_the_access_model(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/conversations"]
    assert "post" in paths["/api/v1/conversations/{conversation_id}/event-tickets"]
    started = schema["components"]["schemas"]["ConversationStartedOut"]["properties"]
    assert set(started) == {"conversation_id", "access_key"}
    for refusal in ("401", "403", "404"):
        assert refusal in paths["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
