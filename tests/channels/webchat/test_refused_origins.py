"""Pages the web chat refuses (issue 11, L8 and the refused-origin diagnosis): localhost pages only in
development, every refusal logged for the operator (rate-limited per origin) on both transports, and
the origin check the widget asks when its handshake fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from channels.registry import configured_channels
from channels.webchat.adapter import WebChatAdapter
from channels.webchat.origins import OriginPolicy, fix_for
from channels.webchat.rasa_socketio import RasaSocketIO
from channels.webchat.refusals import RefusedOrigins
from channels.webchat.settings import WebChatSettings
from engine.port import AssistantPort
from tests.app_factory import build_app

LOCAL_PAGE = "http://localhost:5173"


def refusals(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "webchat_origin_refused"]


def connects(client: TestClient, origin: str) -> bool:
    """Whether a page of `origin` gets a web-chat WebSocket (refused: closed with 1008 unaccepted)."""
    try:
        with client.websocket_connect("/chat/ws", headers={"origin": origin}) as ws:
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
    except WebSocketDisconnect as refused:
        assert refused.code == 1008
        return False
    return True


@pytest.fixture
def shop_only(tmp_path: Path) -> Iterator[TestClient]:
    """The web chat in production, allowing one shop's pages."""
    adapter = WebChatAdapter(WebChatSettings(allowed_origins=["https://shop.example.com"]), production=True)
    with TestClient(build_app(tmp_path, channels=[adapter])) as client:
        yield client


# Localhost pages ------------------------------------------------------------------------------------


def test_localhost_pages_are_allowed_by_default_in_development_only(tmp_path: Path) -> None:
    assert WebChatAdapter(WebChatSettings()).origins.allows(LOCAL_PAGE, "chat.example.com")
    production = WebChatAdapter(WebChatSettings(), production=True).origins
    for origin in (LOCAL_PAGE, "http://127.0.0.1:8080", "http://[::1]:3000"):
        assert not production.allows(origin, "chat.example.com"), origin
    assert production.allows("https://chat.example.com", "chat.example.com")  # its own pages still
    # An operator's explicit choice holds either way.
    assert WebChatAdapter(WebChatSettings(allow_localhost=True), production=True).origins.allows(LOCAL_PAGE, None)
    assert not WebChatAdapter(WebChatSettings(allow_localhost=False)).origins.allows(LOCAL_PAGE, None)


def test_the_app_in_production_refuses_localhost_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("WEBCHAT_ALLOW_LOCALHOST", "WEBCHAT_ALLOWED_ORIGINS", "WEBCHAT_ENABLED"):
        monkeypatch.delenv(variable, raising=False)
    [production] = [a for a in configured_channels(production=True) if isinstance(a, WebChatAdapter)]
    [development] = [a for a in configured_channels() if isinstance(a, WebChatAdapter)]
    assert not production.origins.allows(LOCAL_PAGE, "chat.example.com")
    assert development.origins.allows(LOCAL_PAGE, "chat.example.com")


def test_a_localhost_page_cannot_open_the_socket_in_production(shop_only: TestClient) -> None:
    assert not connects(shop_only, LOCAL_PAGE)
    assert connects(shop_only, "https://shop.example.com")


# The operator's log -------------------------------------------------------------------------------------


def test_every_refusal_is_logged_with_its_origin_and_the_setting_to_change(shop_only: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        assert not connects(shop_only, "https://blog.example.com")
        assert not connects(shop_only, "https://blog.example.com")  # within the minute: counted, not logged
        assert not connects(shop_only, LOCAL_PAGE)
        assert not connects(shop_only, "http://[")  # no URL at all: refused, not a server error
        assert connects(shop_only, "https://shop.example.com")
    found = refusals(logs)
    assert [(e["origin"], e["transport"], e["log_level"]) for e in found] == [
        ("https://blog.example.com", "websocket", "warning"),
        (LOCAL_PAGE, "websocket", "warning"),
        ("http://[", "websocket", "warning"),
    ]
    assert 'add "https://blog.example.com" to WEBCHAT_ALLOWED_ORIGINS' in found[0]["fix"]
    assert "development only (WEBCHAT_ALLOW_LOCALHOST)" in found[1]["fix"]
    assert "not a web page's origin" in found[2]["fix"]


def test_refusals_are_logged_once_a_minute_per_origin_with_the_count_left_out() -> None:
    now = [0.0]
    log = RefusedOrigins(every_seconds=60, capacity=2, clock=lambda: now[0])
    with structlog.testing.capture_logs() as logs:
        for _ in range(5):
            log.refused("https://a.example", "websocket", "fix a")
        log.refused("https://b.example", "socketio", "fix b")
        now[0] = 59.9
        log.refused("https://a.example", "websocket", "fix a")
        now[0] = 60.0
        log.refused("https://a.example", "websocket", "fix a")  # a minute on: logged, with the 5 left out
        log.refused("https://a.example", "websocket", "fix a")
        log.refused("https://c.example", "websocket", "fix c")  # a third origin: the oldest is forgotten
        log.refused("https://b.example", "socketio", "fix b")
        log.refused("x" * 1000, "websocket", "fix x")
    assert [(e["origin"][:20], e["suppressed"]) for e in refusals(logs)] == [
        ("https://a.example", 0),
        ("https://b.example", 0),
        ("https://a.example", 5),
        ("https://c.example", 0),
        ("https://b.example", 0),
        ("x" * 20, 0),
    ]
    assert len(refusals(logs)[-1]["origin"]) == 200  # a client's header, cut


def test_socketio_refusals_are_logged_once_per_request(tmp_path: Path) -> None:
    """Engine.IO asks for the origin twice per request; a refusal is still one (every one logged here)."""

    def no_port() -> AssistantPort:
        raise AssertionError("a refused page never reaches the assistant")

    policy = OriginPolicy([], allow_localhost=False, refusals=RefusedOrigins(every_seconds=0))
    socketio = RasaSocketIO(policy, no_port, 2000)
    handshake = "/?EIO=4&transport=polling"
    with TestClient(socketio.asgi_app()) as client, structlog.testing.capture_logs() as logs:
        for _ in range(2):
            assert client.get(handshake, headers={"origin": "https://evil.example"}).status_code == 400
        allowed = client.get(handshake, headers={"origin": "http://testserver"})
        assert allowed.status_code == 200
    assert [(e["origin"], e["transport"]) for e in refusals(logs)] == [("https://evil.example", "socketio")] * 2


def test_the_fix_names_what_to_change() -> None:
    assert fix_for("https://Shop.example.com/") == (
        'add "https://shop.example.com" to WEBCHAT_ALLOWED_ORIGINS (a JSON list) if this site may embed the chat'
    )
    assert "WEBCHAT_ALLOW_LOCALHOST" in fix_for("http://127.0.0.1:8080")
    assert fix_for("null").startswith("not a web page's origin")


# The widget's question ----------------------------------------------------------------------------------


def test_the_origin_check_tells_a_page_whether_it_may_use_the_chat(shop_only: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        for origin, allowed in (
            ("https://shop.example.com", True),
            ("http://testserver", True),  # the app's own pages
            ("https://blog.example.com", False),
            (LOCAL_PAGE, False),
            ("null", False),
        ):
            response = shop_only.get("/chat/origin", headers={"origin": origin})
            assert response.status_code == 200 and response.json() == {"allowed": allowed}, origin
            # Readable by any page (no credentials), never cached: the answer changes with the settings.
            assert response.headers["access-control-allow-origin"] == "*"
            assert response.headers["cache-control"] == "no-store"
        assert shop_only.get("/chat/origin").json() == {"allowed": True}  # not a browser
    assert refusals(logs) == []  # the handshake logs a refusal, the question does not
