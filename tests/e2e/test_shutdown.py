"""SIGTERM stops the app (`python -m api`, uvicorn in its own process) within its grace period, even
with an event stream, a chat socket and a request that will never complete open: the streams and
sockets end at the signal, what is left is cancelled when the grace period is over. (And the files
the app writes are its owner's only, whatever umask it was started with.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websocket

from bench.system import INDEX_DIR, PYTHON, Process, free_port, missing_prerequisites

pytestmark = pytest.mark.e2e

GRACE_SECONDS = 3
# Lifespan shutdown (adapters, delivery worker, Rasa client) and the interpreter's exit.
MARGIN_SECONDS = 7
ADMIN_PASSWORD = "a long admin password"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Process, str]]:
    """The app on a free port with its own SQLite database in `tmp_path`, started with umask 022."""
    if reason := missing_prerequisites():
        pytest.skip(reason)
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DESK_", "KNOWLEDGE_", "WEBCHAT_"))}
    env = {
        **base,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "APP_PORT": str(port),
        # Rasa is not needed: nothing here is answered by the bot.
        "APP_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "APP_WARM_UP_RETRIEVER": "false",
        "APP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "APP_SHUTDOWN_SECONDS": str(GRACE_SECONDS),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "KNOWLEDGE_INDEX_DIR": str(INDEX_DIR),
    }
    process = Process("app", [str(PYTHON), "-m", "api"], env, tmp_path / "app.log")
    previous = os.umask(0o022)
    try:
        process.start()
    finally:
        os.umask(previous)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.alive(), process.tail()
            assert time.monotonic() < deadline, f"the app did not start:\n{process.tail()}"
            try:
                httpx.get(f"{url}/healthz", timeout=2)  # 503 without Rasa: still serving
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield process, url
    finally:
        process.stop()


def signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    page = client.get("/console/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    form = {"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": match.group(1)}
    assert client.post("/console/login", data=form).status_code == 303
    return client


class Ended:
    """When a reader thread saw its connection end."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.opened = threading.Event()

    def mark(self) -> None:
        self.at = time.monotonic()


def read_events(client: httpx.Client, ended: Ended) -> None:
    try:
        with client.stream("GET", "/api/v1/events", timeout=None) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data:"):
                    ended.opened.set()
    except httpx.HTTPError:
        pass  # the server ended the stream
    finally:
        ended.mark()


def read_socket(chat: websocket.WebSocket, ended: Ended) -> None:
    try:
        while chat.recv():
            pass
    except (websocket.WebSocketException, OSError):
        pass
    finally:
        ended.mark()


def test_sigterm_stops_the_app_within_its_grace_period(app: tuple[Process, str], tmp_path: Path) -> None:
    process, url = app
    assert stat.S_IMODE((tmp_path / "desk.db").stat().st_mode) == 0o600
    port = int(url.rsplit(":", 1)[1])

    staff = signed_in(url)
    chat = websocket.create_connection(f"ws://127.0.0.1:{port}/chat/ws", origin=url, timeout=60)
    # A client that sends half a request and then nothing: uvicorn waits for the rest.
    stuck = socket.create_connection(("127.0.0.1", port))
    try:
        took = stop_with_open_connections(process, staff, chat, stuck)
    finally:
        chat.shutdown()  # type: ignore[no-untyped-call]  # its socket, even after the close frame
        staff.close()
        stuck.close()
    assert took < GRACE_SECONDS + MARGIN_SECONDS


def stop_with_open_connections(
    process: Process, staff: httpx.Client, chat: websocket.WebSocket, stuck: socket.socket
) -> float:
    """SIGTERM with all three open: the stream and the socket end at once; returns how long the app took."""
    stream = Ended()
    threading.Thread(target=read_events, args=(staff, stream), daemon=True).start()
    assert stream.opened.wait(30), "the event stream did not open"
    chat.send(json.dumps({"type": "hello"}))
    assert json.loads(chat.recv())["type"] == "session"
    sock = Ended()
    threading.Thread(target=read_socket, args=(chat, sock), daemon=True).start()
    stuck.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    time.sleep(0.5)

    assert process.popen is not None
    signalled = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    try:
        process.popen.wait(timeout=GRACE_SECONDS + MARGIN_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {GRACE_SECONDS + MARGIN_SECONDS} s after SIGTERM:\n{process.tail()}")
    took = time.monotonic() - signalled
    # The stream and the socket did not wait for the grace period: they ended at the signal.
    for name, ended in (("event stream", stream), ("chat socket", sock)):
        for _ in range(20):
            if ended.at is not None:
                break
            time.sleep(0.1)
        assert ended.at is not None and ended.at - signalled < GRACE_SECONDS, name
    return took
