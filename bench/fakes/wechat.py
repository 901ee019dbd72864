"""A stand-in for WeChat's API servers (api.weixin.qq.com), served by uvicorn on a free loopback port.

It implements the documented formats of the endpoints the channel uses:
- `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…` →
  `{"access_token": "…", "expires_in": 7200}` or `{"errcode": 40013|40125, "errmsg": "…"}`;
- `POST /cgi-bin/message/custom/send?access_token=…` with
  `{"touser": openid, "msgtype": "text", "text": {"content": "…"}}` → `{"errcode": 0, "errmsg": "ok"}`,
  40001 for a token it never issued, 42001 for one it has expired.
Tests can make the next sends fail (HTTP 500) or expire every issued token.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bench.system import free_port


@dataclass
class Sent:
    touser: str
    msgtype: str
    content: str
    access_token: str


@dataclass
class FakeWeChat:
    app_id: str
    app_secret: str
    token_requests: int = 0
    issued: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)  # errcodes answered to sends
    fail_sends: int = 0  # the next N sends answer HTTP 500
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def expire_tokens(self) -> None:
        with self._lock:
            self.expired.update(self.issued)

    def texts_to(self, openid: str) -> list[str]:
        with self._lock:
            return [s.content for s in self.sent if s.touser == openid]

    # -- endpoints ---------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        query = request.query_params
        if query.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        if query.get("appid") != self.app_id:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.app_secret:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        with self._lock:
            self.token_requests += 1
            value = f"ACCESS_TOKEN_{self.token_requests}_{int(time.time())}"
            self.issued.append(value)
        return JSONResponse({"access_token": value, "expires_in": 7200})

    async def custom_send(self, request: Request) -> Response:
        with self._lock:
            if self.fail_sends > 0:
                self.fail_sends -= 1
                return PlainTextResponse("system error", status_code=500)
        token = request.query_params.get("access_token", "")
        errcode = 0
        with self._lock:
            if token not in self.issued:
                errcode = 40001
            elif token in self.expired:
                errcode = 42001
        if errcode:
            with self._lock:
                self.rejected.append(errcode)
            message = "invalid credential" if errcode == 40001 else "access_token expired"
            return JSONResponse({"errcode": errcode, "errmsg": f"{message} rid: fake"})
        try:
            body: dict[str, Any] = json.loads(await request.body())
            sent = Sent(body["touser"], body["msgtype"], body["text"]["content"], token)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errcode": 44002, "errmsg": "empty post data"})
        if sent.msgtype != "text" or not sent.content:
            return JSONResponse({"errcode": 40008, "errmsg": "invalid message type"})
        with self._lock:
            self.sent.append(sent)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    # -- serving ----------------------------------------------------------------------------------

    def start(self) -> FakeWeChat:
        app = Starlette(
            routes=[
                Route("/cgi-bin/token", self.token, methods=["GET"]),
                Route("/cgi-bin/message/custom/send", self.custom_send, methods=["POST"]),
            ]
        )
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="none", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-wechat", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake WeChat server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
