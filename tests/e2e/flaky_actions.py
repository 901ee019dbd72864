"""A stand-in for the load balancer between Rasa and the app's action server: it passes Rasa's action
calls on to the app, and answers the next `fail` of them with the 502 a balancer gives when the app
replica it chose dies with the call inside (what `bench.faults.cluster` met when it killed app1)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx


class FlakyActionProxy:
    def __init__(self) -> None:
        self.target = ""  # the app's base URL, set once it is known
        self.fail = 0
        self.failed = 0
        self.passed = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def __enter__(self) -> FlakyActionProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _takes_a_failure(self) -> bool:
        with self._lock:
            if self.fail > 0:
                self.fail -= 1
                self.failed += 1
                return True
            self.passed += 1
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # Rasa keeps its connection to the action server open

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if proxy._takes_a_failure():
                    self._answer(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                    return
                response = httpx.post(
                    f"{proxy.target}{self.path}",
                    content=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                    timeout=60,
                )
                self._answer(response.status_code, response.content, response.headers.get("content-type", ""))

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test reads the counters, not a log

        return Handler
