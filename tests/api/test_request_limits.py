"""Request size limits (issue 11, M1): bodies per route family, refused before they are parsed; the
bounds on a customer's metadata; request heads, in the app and in the real uvicorn server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive, Scope, Send

from api.__main__ import server_config
from api.request_limits import BODY_LIMITS, DEFAULT_BODY_LIMIT, KIB, MAX_HEAD_BYTES, MIB, RequestLimits, body_limit
from api.schemas.metadata import CustomerMetadata
from api.settings import AppSettings
from desk.casework import MAX_TEXT
from desk.message_text import MAX_METADATA_BYTES, MAX_TEXT_LENGTH
from desk.models import Role
from tests.api.staff import token_for
from tests.app_factory import build_app
from tests.conversation_api import start_conversation
from tests.served import serving_app


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


# Bodies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/v1/conversations", 32 * KIB),
        ("/api/v1/conversations/abc/messages", 32 * KIB),
        ("/api/v1/knowledge/entries", 1 * MIB),
        ("/api/v1/users", 64 * KIB),
        ("/api/v1/escalations/1/replies", 64 * KIB),
        ("/console/knowledge/new", 1 * MIB),
        ("/console/escalations/1/reply", 64 * KIB),
        ("/console/login", 64 * KIB),
        ("/webhook", 4 * MIB),
        ("/channels/wechat", 64 * KIB),
        ("/channels/wecom", 64 * KIB),
        ("/channels/slack/events", 1 * MIB),
        ("/socket.io/", 64 * KIB),
        ("/healthz", DEFAULT_BODY_LIMIT),
        # Prefixes match whole path segments.
        ("/webhooks", DEFAULT_BODY_LIMIT),
        ("/api/v1/conversationsX", 64 * KIB),
    ],
)
def test_each_route_family_has_its_limit(path: str, limit: int) -> None:
    assert body_limit(path) == limit


def test_an_anonymous_body_over_the_limit_is_refused_unread(client: TestClient) -> None:
    response = client.post(
        "/api/v1/conversations", content=b"x" * (20 * MIB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert response.headers["connection"] == "close"


def test_a_streamed_body_is_refused_once_past_the_limit(client: TestClient) -> None:
    # No Content-Length (chunked): FastAPI reads it, the count stops it, the app's handler answers.
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * KIB

    response = client.post("/api/v1/conversations", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


async def test_the_middleware_stops_reading_at_the_limit() -> None:
    """Whatever reads the body, no chunk past the limit is asked for, and the refusal is JSON."""
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": pulled < 1000}

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("read past the limit")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/x", "raw_path": b"/x", "query_string": b""}
    scope["headers"] = [(b"content-type", b"application/json")]
    await RequestLimits(reads_everything, {"/x": 4000})(scope, receive, send)
    assert pulled == 5
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"


def test_the_largest_legitimate_bodies_fit(client: TestClient) -> None:
    """What the limits must let through, in the most expensive encoding a client may choose."""
    # A customer message: the longest text of emoji, escaped JSON (12 bytes each), and full metadata.
    metadata = {"note": "x" * (MAX_METADATA_BYTES - 20)}
    message = json.dumps({"text": "😀" * MAX_TEXT_LENGTH, "metadata": metadata, "message_id": "m" * 128})
    assert len(message) < body_limit("/api/v1/conversations/c/messages")
    started = start_conversation(client)
    posted = client.post(
        f"{started.url}/messages", content=message, headers={"content-type": "application/json", **started.headers}
    )
    assert posted.status_code == 503  # taken; Rasa is down in these tests
    # An FAQ entry with every phrasing and answer at its longest, in Chinese, escaped JSON.
    entry: dict[str, Any] = {
        "id": "longest-entry",
        "category": "c" * 80,
        "section": "s" * 80,
        "questions": {lang: [f"{i}" + "保" * 498 for i in range(50)] for lang in ("zh", "en")},
        "answer": {"zh": "保" * 4000, "en": "保" * 4000},
    }
    escaped = json.dumps(entry)
    assert len(escaped) < body_limit("/api/v1/knowledge/entries")
    lead = token_for(client, Role.LEAD)
    created = client.post(
        "/api/v1/knowledge/entries", content=escaped, headers={"content-type": "application/json", **lead}
    )
    assert created.status_code == 201, created.text
    # The console's form of the same entry, percent-encoded; and an agent's longest reply.
    questions: dict[str, list[str]] = entry["questions"]
    form = {f"questions_{lang}": "\n".join(phrasings) for lang, phrasings in questions.items()}
    form |= {"answer_zh": "保" * 4000, "answer_en": "保" * 4000, "csrf_token": "t" * 64}
    assert len(urlencode(form)) < body_limit("/console/knowledge/new")
    assert len(urlencode({"text": "😀" * MAX_TEXT, "csrf_token": "t" * 64})) < body_limit(
        "/console/escalations/1/reply"
    )
    assert len(json.dumps({"text": "😀" * MAX_TEXT})) < body_limit("/api/v1/escalations/1/replies")


def test_every_limit_is_in_the_table() -> None:
    assert all(0 < limit <= 4 * MIB for limit in BODY_LIMITS.values())
    assert min(BODY_LIMITS.values()) >= DEFAULT_BODY_LIMIT


# A customer's metadata ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({f"k{i}": i for i in range(65)}, "at most 64 keys"),
        ({"a": [{"b": i} for i in range(64)]}, "at most 64 keys"),
        ({"a": {"b": {"c": {"d": {}}}}}, "at most 4 levels"),
        ({"a": [[[[1]]]]}, "at most 4 levels"),
        ({"page": "x" * MAX_METADATA_BYTES}, f"at most {MAX_METADATA_BYTES} bytes"),
        ({"a": [0] * 3000}, f"at most {MAX_METADATA_BYTES} bytes"),
    ],
    ids=["keys", "keys-nested", "depth", "depth-lists", "bytes", "bytes-items"],
)
def test_metadata_beyond_its_bounds_is_422(client: TestClient, metadata: dict[str, Any], problem: str) -> None:
    started = start_conversation(client)
    response = client.post(
        f"{started.url}/messages", json={"text": "hi", "metadata": metadata}, headers=started.headers
    )
    assert response.status_code == 422, response.text
    assert problem in json.dumps(error_of(response)["details"])


def test_metadata_within_its_bounds_is_taken(client: TestClient) -> None:
    started = start_conversation(client)
    metadata = {"page": "/products/rv7", "order": {"id": "LM202611260001", "items": [{"sku": "RV7", "n": 1}]}}
    response = client.post(
        f"{started.url}/messages", json={"text": "hi", "metadata": metadata}, headers=started.headers
    )
    assert response.status_code == 503  # validated and stored; Rasa is down in these tests


def test_half_a_megabyte_of_metadata_never_reaches_the_schema(client: TestClient) -> None:
    started = start_conversation(client)
    body = {"text": "hi", "metadata": {"blob": "x" * (512 * KIB)}}
    response = client.post(f"{started.url}/messages", json=body, headers=started.headers)
    assert response.status_code == 413


def test_the_metadata_type_is_reusable() -> None:
    class WithMetadata(BaseModel):
        metadata: CustomerMetadata

    assert WithMetadata(metadata={"a": 1}).metadata == {"a": 1}
    with pytest.raises(ValidationError, match="at most 64 keys"):
        WithMetadata(metadata={str(i): i for i in range(65)})
    with pytest.raises(ValidationError, match="finite"):
        WithMetadata(metadata={"a": float("nan")})


# Request heads ----------------------------------------------------------------------------------------


def test_a_head_over_the_limit_is_431(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Padding": "x" * MAX_HEAD_BYTES})
    assert response.status_code == 431
    assert error_of(response)["code"] == "headers_too_large"
    assert client.get("/healthz", headers={"Cookie": "a=" + "x" * (MAX_HEAD_BYTES // 2)}).status_code == 503


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn as `python -m api` configures it (api.__main__.server_config)."""
    with serving_app(build_app(tmp_path_factory.mktemp("served")), "limits") as base_url:
        yield base_url


def test_the_server_refuses_a_megabyte_of_headers(served: str) -> None:
    # Cookies and a bearer token of a few KiB pass (503: Rasa is down in these tests).
    headers = {"Cookie": "; ".join(f"c{i}=" + "v" * 1000 for i in range(12)), "Authorization": "Bearer " + "t" * 500}
    assert httpx.get(f"{served}/healthz", headers=headers).status_code == 503
    # A 1 MiB header: h11 stops buffering at the limit, answers 400 and closes the connection (often
    # while the client is still sending, which it sees as a reset).
    assert status_of(f"{served}/healthz", {"X-Big": "x" * MIB}) == 400
    # Just over the limit: the app refuses it if h11 took it in one read.
    assert status_of(f"{served}/healthz", {"X-Big": "x" * MAX_HEAD_BYTES}) in (400, 431)
    assert httpx.get(f"{served}/healthz").status_code == 503  # and it serves on


def status_of(url: str, headers: dict[str, str]) -> int:
    try:
        return httpx.get(url, headers=headers).status_code
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
        return 400  # the server closed the connection on a request it would not read


def test_python_m_api_serves_with_h11_and_the_head_limit() -> None:
    config = server_config(FastAPI(), AppSettings(host="127.0.0.1", port=8123))
    assert config.http == "h11"
    assert config.h11_max_incomplete_event_size == MAX_HEAD_BYTES
    assert (config.host, config.port) == ("127.0.0.1", 8123)
