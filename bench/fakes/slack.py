"""A fake Slack Web API on a loopback port, for tests: a real HTTP server (uvicorn in a thread) that
answers the methods the Slack adapter calls the way Slack documents them (docs.slack.dev/reference/
methods/chat.postMessage, chat.update): a bearer token, JSON or form bodies, HTTP 200 with
`{"ok": false, "error": …}` for refusals, 429 with `Retry-After` when rate limited.

`fail_next(...)` scripts the next responses; `calls` records every call (method, arguments, token).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bench.serving import serving
from bench.system import free_port


@dataclass(frozen=True)
class Call:
    method: str
    arguments: dict[str, Any]
    token: str | None


@dataclass(frozen=True)
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    channel: str | None = None  # only calls to this channel

    def matches(self, arguments: dict[str, Any]) -> bool:
        return self.channel is None or arguments.get("channel") == self.channel


class FakeSlack:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) → message
        self._scripted: list[Scripted] = []
        self._lock = threading.Lock()
        self._clock = 1_700_000_100
        self.port = free_port()
        self.app = FastAPI()
        self.app.add_api_route("/api/{method}", self._handle, methods=["POST", "GET"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def fail_next(
        self,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        channel: str | None = None,
    ) -> None:
        """The next call (to `channel`, if given) is refused: HTTP 200 with `ok: false` (Slack's usual
        way), a 5xx, or a 429 with `Retry-After`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._scripted.append(Scripted(status, {"ok": False, "error": error}, headers, channel))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls_to(method)
            if len(calls) >= count or time.monotonic() > deadline:
                return calls
            time.sleep(0.05)

    async def _handle(self, method: str, request: Request) -> JSONResponse:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            arguments = json.loads(raw or b"{}")
        else:
            arguments = dict(parse_qsl(raw.decode()))
        authorization = request.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        with self._lock:
            self.calls.append(Call(method, arguments, token))
            scripted = next((s for s in self._scripted if s.matches(arguments)), None)
            if scripted is not None:
                self._scripted.remove(scripted)
        if scripted is not None:
            return JSONResponse(scripted.body, status_code=scripted.status, headers=scripted.headers)
        if token is None:
            return _error("not_authed")
        if token != self.token:
            return _error("invalid_auth")
        if method == "chat.postMessage":
            return self._post_message(arguments)
        if method == "chat.update":
            return self._update(arguments)
        if method == "auth.test":
            return JSONResponse({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"})
        return _error("unknown_method", status=404)

    def _post_message(self, arguments: dict[str, Any]) -> JSONResponse:
        channel = arguments.get("channel")
        if not channel:
            return _error("channel_not_found")
        if not arguments.get("text") and not arguments.get("blocks"):
            return _error("no_text")
        problem = _invalid_blocks(arguments.get("blocks") or [])
        if problem:
            return _error("invalid_blocks", detail=problem)
        with self._lock:
            self._clock += 1
            ts = f"{self._clock}.000100"
            message = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "ts": ts,
                "text": arguments.get("text", ""),
                "blocks": arguments.get("blocks") or [],
            }
            if arguments.get("thread_ts"):
                message["thread_ts"] = arguments["thread_ts"]
            self.messages[(channel, ts)] = message
        return JSONResponse({"ok": True, "channel": channel, "ts": ts, "message": message})

    def _update(self, arguments: dict[str, Any]) -> JSONResponse:
        key = (arguments.get("channel", ""), arguments.get("ts", ""))
        with self._lock:
            message = self.messages.get(key)
            if message is None:
                return _error("message_not_found")
            problem = _invalid_blocks(arguments.get("blocks") or [])
            if problem:
                return _error("invalid_blocks", detail=problem)
            message.update(text=arguments.get("text", ""), blocks=arguments.get("blocks") or [])
        return JSONResponse({"ok": True, "channel": key[0], "ts": key[1], "text": message["text"], "message": message})


def _error(code: str, status: int = 200, detail: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error": code}
    if detail:
        body["response_metadata"] = {"messages": [detail]}
    return JSONResponse(body, status_code=status)


def _invalid_blocks(blocks: Any) -> str | None:
    """The Block Kit limits Slack enforces on what the adapter sends (a subset)."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50"
    block_ids = [b.get("block_id") for b in blocks if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        return "duplicate block_id"
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = block.get("text", {})
            if text.get("type") not in ("mrkdwn", "plain_text") or not 1 <= len(text.get("text", "")) <= 3000:
                return "section text must be 1–3000 characters"
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25 or len(block.get("block_id", "")) > 255:
                return "actions need 1–25 elements and a block_id of at most 255 characters"
            action_ids = [e.get("action_id") for e in elements]
            if len(action_ids) != len(set(action_ids)):
                return "duplicate action_id"
            for element in elements:
                if element.get("type") != "button" or element.get("text", {}).get("type") != "plain_text":
                    return "buttons need plain_text"
                if not 1 <= len(element["text"].get("text", "")) <= 75 or len(element.get("value", "")) > 2000:
                    return "button text 1–75, value at most 2000 characters"
        elif kind == "context":
            if not 1 <= len(block.get("elements", [])) <= 10:
                return "context needs 1–10 elements"
        else:
            return f"unexpected block type {kind!r}"
    return None


@contextmanager
def running_fake_slack(token: str) -> Iterator[FakeSlack]:
    fake = FakeSlack(token)
    config = uvicorn.Config(fake.app, host="127.0.0.1", port=fake.port, log_level="warning", lifespan="off", ws="none")
    with serving(config, "fake-slack"):
        yield fake
