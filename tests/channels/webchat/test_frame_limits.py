"""How large a web-chat message the server reads (issue 11, L8): under uvicorn as `python -m api`
configures it, a WebSocket message over `MAX_WEBSOCKET_MESSAGE_BYTES` closes its socket before it is
buffered (uvicorn's default took 16 MiB), on the widget's socket and on socket.io alike; a frame
between the web chat's own limit and that one still gets its error frame."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from api.__main__ import server_config
from api.settings import AppSettings
from channels.webchat.rasa_socketio import MAX_PAYLOAD_BYTES
from channels.webchat.settings import MAX_WEBSOCKET_MESSAGE_BYTES, WebChatSettings
from tests.channels.webchat.support import webchat_app, webchat_rasa
from tests.fake_rasa import FakeRasa
from tests.served import serving_app

MESSAGE_TOO_BIG = 1009


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeRasa]]:
    rasa = webchat_rasa()
    app = webchat_app(tmp_path_factory.mktemp("frames"), rasa=rasa)
    with serving_app(app, "frames") as base_url:
        yield base_url.removeprefix("http://"), rasa


def test_python_m_api_bounds_websocket_messages() -> None:
    assert server_config(FastAPI(), AppSettings()).ws_max_size == MAX_WEBSOCKET_MESSAGE_BYTES
    # Room for the web chat's own limit (so an oversized frame gets its error frame) and Engine.IO's.
    assert WebChatSettings().max_frame_bytes < MAX_WEBSOCKET_MESSAGE_BYTES
    assert MAX_PAYLOAD_BYTES <= MAX_WEBSOCKET_MESSAGE_BYTES
    with pytest.raises(ValidationError):  # a frame limit the server would never get to apply
        WebChatSettings(max_frame_bytes=MAX_WEBSOCKET_MESSAGE_BYTES + 1)


def test_an_oversized_frame_closes_the_widgets_socket_unread(served: tuple[str, FakeRasa]) -> None:
    address, rasa = served
    with connect(f"ws://{address}/chat/ws") as ws:
        ws.send(json.dumps({"type": "hello"}))
        assert json.loads(ws.recv(10))["type"] == "session"
        assert json.loads(ws.recv(10))["type"] == "history"
        # Over the web chat's limit, under the server's: an error frame, the socket stays open.
        ws.send(json.dumps({"type": "message", "text": "x" * 20_000, "client_message_id": "m-1"}))
        assert json.loads(ws.recv(10))["code"] == "too_large"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(10)) == {"type": "pong"}
        # Over the server's: closed, as the WebSocket protocol says for a message too big.
        ws.send(json.dumps({"type": "message", "text": "x" * MAX_WEBSOCKET_MESSAGE_BYTES, "client_message_id": "m-2"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == MESSAGE_TOO_BIG
    assert rasa.sent == []


def test_an_oversized_socketio_message_closes_its_socket_unread(served: tuple[str, FakeRasa]) -> None:
    """Engine.IO over a WebSocket, as socket.io clients speak it (open "0…", connect "40", event "42…")."""
    address, rasa = served
    with connect(f"ws://{address}/socket.io/?EIO=4&transport=websocket") as ws:
        assert str(ws.recv(10)).startswith("0{")  # Engine.IO open
        ws.send("40")  # socket.io connect to the default namespace
        assert str(ws.recv(10)).startswith("40")
        ws.send("42" + json.dumps(["user_uttered", {"message": "x" * MAX_WEBSOCKET_MESSAGE_BYTES}]))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == MESSAGE_TOO_BIG
    assert rasa.sent == []
