"""Bad input gets a clear JSON error with a 4xx code, never a 500; Rasa down is a 503 and keeps the message."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conversation_api import Started, start_conversation


@pytest.fixture
def chat(client: TestClient) -> Started:
    """A conversation the client started; the client presents its key from now on."""
    started = start_conversation(client)
    client.headers.update(started.headers)
    return started


def action_token(client: TestClient) -> str:
    """The app's action token: random per app, since none is set here (no well-known default)."""
    token: str = client.app.state.runtime.settings.action_token.get_secret_value()  # type: ignore[attr-defined]
    return token


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n\t "},
        {"text": "x" * 2001},
        {"text": 42},
        {"text": ["a"]},
        {"text": "hi\x00there"},
        {"text": "bell\x07"},
        {"text": "hi", "language": "fr"},
        {"text": "hi", "unexpected": True},
        {"text": "hi", "payload": "not a payload"},
        {},
    ],
    ids=[
        "empty",
        "whitespace",
        "too-long",
        "number",
        "list",
        "nul",
        "control",
        "language",
        "extra-field",
        "payload-shape",
        "no-text",
    ],
)
def test_invalid_messages_are_422(client: TestClient, chat: Started, body: dict[str, Any]) -> None:
    response = client.post(f"{chat.url}/messages", json=body)
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "invalid_request"


def test_invalid_json_is_400(client: TestClient, chat: Started) -> None:
    response = client.post(
        f"{chat.url}/messages", content=b'{"text": "hi"', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_payload_that_was_never_offered_is_refused(client: TestClient, chat: Started) -> None:
    response = client.post(f"{chat.url}/messages", json={"text": "yes", "payload": '/vote{"faq_id":"x","vote":"up"}'})
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_payload"


@pytest.mark.parametrize("conversation", ["bad id", "a" * 129, "-leading-dash", "ünïcode"])
def test_malformed_conversation_ids_are_refused(client: TestClient, conversation: str) -> None:
    response = client.post(f"/api/v1/conversations/{conversation}/messages", json={"text": "hi"})
    assert response.status_code in (404, 422)


def test_unknown_conversation_is_404(client: TestClient, chat: Started) -> None:
    response = client.get("/api/v1/conversations/never-seen")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_rasa_down_is_503_with_retry_hint_and_the_message_is_kept(client: TestClient, chat: Started) -> None:
    response = client.post(f"{chat.url}/messages", json={"text": "<b>电池</b>保修多久？", "message_id": "m-1"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert error_of(response)["code"] == "assistant_unavailable"
    transcript = client.get(chat.url).json()["transcript"]
    assert [(m["text"], m["state"]) for m in transcript] == [("<b>电池</b>保修多久？", "failed")]
    # Retrying with the same message id does not store it twice.
    assert (
        client.post(f"{chat.url}/messages", json={"text": "<b>电池</b>保修多久？", "message_id": "m-1"}).status_code
        == 503
    )
    assert len(client.get(chat.url).json()["transcript"]) == 1


def test_health_reports_each_dependency(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["app"] == "ok" and checks["database"] == "ok" and checks["index"] == "ok"
    assert checks["rasa"] == "unavailable"


def test_a_replica_without_rasa_is_still_ready_for_messages(client: TestClient, chat: Started) -> None:
    """The balancer's question: Rasa down, the message is stored and answered later; the database
    down, nothing can be stored."""
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "index": "ok"}
    assert client.post(f"{chat.url}/messages", json={"text": "hello"}).status_code == 503  # stored, retry later
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    kept, runtime.database_url = runtime.database_url, "postgresql+psycopg://nobody@127.0.0.1:9/none"
    try:
        down = client.get("/readyz")
    finally:
        runtime.database_url = kept
    assert down.status_code == 503 and down.json()["checks"]["database"].startswith("unavailable")


def test_metrics_are_prometheus_text(client: TestClient, chat: Started) -> None:
    client.post(f"{chat.url}/messages", json={"text": "hello"})
    body = client.get("/metrics").text
    assert "assistant_turn_seconds_bucket" in body
    assert "assistant_rasa_unavailable_total 1.0" in body


def test_openapi_documents_the_turn_record(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    turn = schema["components"]["schemas"]["TurnOut"]["properties"]
    assert {"status", "outcome", "faq_id", "confidence", "priority"} <= set(turn)
    assert all("description" in turn[name] for name in ("status", "faq_id", "confidence", "priority"))


def test_action_calls_without_the_action_token_are_refused(client: TestClient) -> None:
    from tests.actions.conftest import action_call

    call = action_call("action_handoff", "human please", "request_human", sender="intruder")
    response = client.post("/webhook", json=call)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    services = client.app.state.runtime.services  # type: ignore[attr-defined]
    assert services.conversations.get("intruder") is None  # nothing was opened


def test_action_calls_with_the_token_run_the_action(client: TestClient) -> None:
    from tests.actions.conftest import action_call

    call = action_call("action_handoff", "human please", "request_human", sender="caller")
    response = client.post(f"/webhook?token={action_token(client)}", json=call)
    assert response.status_code == 200
    assert any(e["event"] == "pause" for e in response.json()["events"])


@pytest.mark.parametrize(
    "body",
    [
        {"text": '/vote{"faq_id":"x","vote":"down"}'},
        {"text": "/report_safety_incident"},
        {"text": "/EXTERNAL_resolved"},
        {"text": " \n /greet"},
        {"text": "hi", "customer_id": "x\u0000"},
        {"text": "hi", "customer_id": "has space"},
    ],
    ids=["typed-payload", "typed-intent", "typed-external", "typed-after-blanks", "customer-nul", "customer-space"],
)
def test_typed_intents_and_bad_customer_ids_are_422(client: TestClient, chat: Started, body: dict[str, Any]) -> None:
    response = client.post(f"{chat.url}/messages", json=body)
    assert response.status_code == 422, response.text


def test_non_finite_metadata_is_refused(client: TestClient, chat: Started) -> None:
    response = client.post(
        f"{chat.url}/messages",
        content=b'{"text": "hi", "metadata": {"a": 1e400}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("token", ["%C3%A9", "wrong"])
def test_odd_action_tokens_are_401_not_500(client: TestClient, token: str) -> None:
    assert client.post(f"/webhook?token={token}", json={}).status_code == 401


def test_malformed_action_call_with_the_token_is_400(client: TestClient) -> None:
    response = client.post(f"/webhook?token={action_token(client)}", json={"next_action": "action_handoff"})
    assert response.status_code == 400


@pytest.mark.parametrize("conversation", ["wechat:oUser123", "slack:T1:C1:1700000000.0001", "web:abc", "wecom:kf:u"])
def test_the_conversation_api_does_not_serve_other_channels_conversations(
    client: TestClient, chat: Started, conversation: str
) -> None:
    services = client.app.state.runtime.services  # type: ignore[attr-defined]
    services.conversations.record_inbound(conversation, text="hi", payload=None, language="en", channel="wechat")
    assert client.post(f"/api/v1/conversations/{conversation}/messages", json={"text": "hi"}).status_code == 404
    assert client.get(f"/api/v1/conversations/{conversation}").status_code == 404


def test_the_database_down_is_503_and_nothing_is_claimed(client: TestClient, chat: Started, tmp_path: Any) -> None:
    """Found by bench.faults: an unreachable database answered 500; it is a 503 to send again after."""
    from tests.database_outage import database_down

    url = client.app.state.runtime.database_url  # type: ignore[attr-defined]
    with database_down(url):
        response = client.post(f"{chat.url}/messages", json={"text": "hello", "message_id": "m-db"})
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert error_of(response)["code"] == "database_unavailable"
