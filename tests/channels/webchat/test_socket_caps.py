"""Caps on the web chat's sockets (issue 11, M2): so many open per client address and in all, the
widget's WebSocket and Rasa's socket.io counted together, and socket.io events at the WebSocket's
frame rate. A refused socket is told why (an error frame and close 1013; socket.io's connect_error)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import socketio
import websocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from channels.webchat.adapter import WebChatAdapter
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket_caps import REFUSAL, REFUSED, TRY_AGAIN_LATER
from tests.app_factory import build_app
from tests.channels.webchat.support import webchat_rasa
from tests.channels.webchat.test_socketio_protocol import RasaWidget
from tests.channels.webchat.test_webchat import receive
from tests.served import serving_app
from tests.waiting import wait_until

PROXY = "10.0.0.1"


def capped_chat(tmp_path: Path, per_client: int, total: int) -> tuple[TestClient, WebChatAdapter]:
    adapter = WebChatAdapter(WebChatSettings(max_sockets_per_client=per_client, max_sockets=total))
    app = build_app(tmp_path, rasa=webchat_rasa(), channels=[adapter], trusted_proxies=[PROXY])
    return TestClient(app, client=(PROXY, 50000)), adapter


def assert_refused(client: TestClient, headers: dict[str, str] | None = None) -> None:
    with client.websocket_connect("/chat/ws", headers=headers or {}) as ws:
        frame = receive(ws)
        assert frame["type"] == "error" and frame["code"] == REFUSED and frame["retry_after"] > 0
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == TRY_AGAIN_LATER


def test_a_client_holds_so_many_chat_sockets(tmp_path: Path) -> None:
    client, adapter = capped_chat(tmp_path, per_client=2, total=10)
    with client, ExitStack() as sockets:
        first = sockets.enter_context(ExitStack())
        first.enter_context(client.websocket_connect("/chat/ws")).send_json({"type": "ping"})
        sockets.enter_context(client.websocket_connect("/chat/ws")).send_json({"type": "ping"})
        wait_until(lambda: adapter.sockets.open == 2, what="two sockets")
        assert_refused(client)
        # Another client is not held up by this one's sockets.
        other = sockets.enter_context(client.websocket_connect("/chat/ws", headers={"X-Forwarded-For": "198.51.100.7"}))
        other.send_json({"type": "ping"})
        assert receive(other) == {"type": "pong"}
        # A socket that closes gives its place back.
        first.close()
        wait_until(lambda: adapter.sockets.open_for(PROXY) == 1, what="the closed socket's release")
        again = sockets.enter_context(client.websocket_connect("/chat/ws"))
        again.send_json({"type": "ping"})
        assert receive(again) == {"type": "pong"}


def test_all_clients_together_hold_so_many_chat_sockets(tmp_path: Path) -> None:
    client, _ = capped_chat(tmp_path, per_client=5, total=2)
    with client, ExitStack() as sockets:
        for n in range(2):
            ws = sockets.enter_context(
                client.websocket_connect("/chat/ws", headers={"X-Forwarded-For": f"192.0.2.{n}"})
            )
            ws.send_json({"type": "ping"})
            assert receive(ws) == {"type": "pong"}
        assert_refused(client, {"X-Forwarded-For": "192.0.2.9"})


# socket.io, served by uvicorn ----------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, WebChatAdapter]]:
    """Room for 2 chat sockets per client (everything here comes from 127.0.0.1), 10 events a second."""
    adapter = WebChatAdapter(WebChatSettings(max_sockets_per_client=2, max_frames_per_second=10))
    app = build_app(tmp_path, rasa=webchat_rasa(), channels=[adapter])
    with serving_app(app, "socket-caps") as url:
        yield url, adapter


def refused_socketio(url: str) -> Any:
    """What socket.io's connect_error brought a client that was refused."""
    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, socketio_path="/socket.io/", transports=["websocket"], wait_timeout=10)
    return errors[0]


def test_socketio_and_websocket_sockets_count_together(served: tuple[str, WebChatAdapter]) -> None:
    url, adapter = served
    widget = RasaWidget(url)
    try:
        plain = websocket.create_connection(url.replace("http", "ws") + "/chat/ws", timeout=10)
        try:
            wait_until(lambda: adapter.sockets.open == 2, what="two sockets")
            error = refused_socketio(url)
            assert error == {"message": REFUSAL, "data": {"code": REFUSED, "retry_after": 30}}
        finally:
            plain.close()
        third = websocket.create_connection(url.replace("http", "ws") + "/chat/ws", timeout=10)
        wait_until(lambda: adapter.sockets.open == 2, what="the plain socket's place taken again")
        extra = websocket.create_connection(url.replace("http", "ws") + "/chat/ws", timeout=10)
        assert json.loads(extra.recv())["code"] == REFUSED
        extra.close()
        third.close()
    finally:
        widget.close()
    wait_until(lambda: adapter.sockets.open == 0, what="every socket's release")


def test_a_burst_of_socketio_events_closes_the_socket(served: tuple[str, WebChatAdapter]) -> None:
    """60 events in 8 ms were all taken: now the 11th within a second closes the socket."""
    url, adapter = served
    widget = RasaWidget(url)
    try:
        for n in range(60):
            widget.client.emit("noise", {"n": n})
        name, data = widget.next()
        assert (name, data["code"]) == ("chat_error", "rate_limited")
        wait_until(lambda: not widget.client.connected, what="the server's disconnect")
        wait_until(lambda: adapter.sockets.open == 0, what="the socket's release")
    finally:
        widget.close()
