"""A fake WeCom server for the WeCom Customer Service channel's tests: a real HTTP server on a free
loopback port (uvicorn in a thread) with the documented formats and rules of the endpoints the
channel uses — gettoken, kf/sync_msg (cursor, has_more, pages), kf/send_msg (only while the session
is new or with the assistant: errcode 95018 otherwise), kf/service_state/get and /trans (the allowed
changes; 人工接待 needs a 接待人员)."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from wechatpy.work.crypto import WeChatCrypto

from bench.serving import serving as serve_on_loopback
from bench.system import free_port

JSON = dict[str, Any]

# The test corp: its ids and secrets, and a customer of one of its customer-service accounts.
CORP = "ww1234567890abcdef"
SECRET = "wecom-kf-secret-do-not-log"
TOKEN = "CallbackToken4WeCom"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
KF = "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"
USER = "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"


# What kf/service_state/trans allows from each state (the documentation's overview table).
ALLOWED = {0: {1, 2, 3}, 1: {2, 3}, 2: {3}, 3: {3, 4}, 4: set()}


@dataclass
class Call:
    path: str
    body: JSON
    query: dict[str, str]


@dataclass
class FakeWeCom:
    corp_id: str
    secret: str
    page_size: int = 2
    base_url: str = ""  # set while serving
    servicers: set[str] = field(default_factory=lambda: {"zhangsan"})
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[JSON]] = field(default_factory=dict)  # open_kfid → what sync_msg serves
    sessions: dict[tuple[str, str], int] = field(default_factory=dict)
    servicer_of: dict[tuple[str, str], str] = field(default_factory=dict)
    sent: list[JSON] = field(default_factory=list)
    # Seconds each sync_msg takes, and the most that ran at the same time.
    sync_delay: float = 0.0
    most_parallel_syncs: int = 0
    _syncing: int = 0
    # path → how many of the next calls fail (errcode -1, 系统繁忙)
    failures: dict[str, int] = field(default_factory=dict)
    _tokens: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what happens on WeCom's side ---------------------------------------------------------------

    def customer_writes(self, open_kfid: str, user: str, text: str, *, msgid: str | None = None, **extra: Any) -> str:
        body: JSON = {"content": text, **extra}
        return self._add(open_kfid, user, 3, {"msgtype": "text", "text": body}, msgid)

    def customer_sends(self, open_kfid: str, user: str, msgtype: str, body: JSON) -> str:
        return self._add(open_kfid, user, 3, {"msgtype": msgtype, msgtype: body})

    def servicer_writes(self, open_kfid: str, user: str, servicer: str, text: str) -> str:
        return self._add(
            open_kfid, user, 5, {"msgtype": "text", "text": {"content": text}, "servicer_userid": servicer}
        )

    def event(self, open_kfid: str, event: JSON) -> str:
        msgid = f"msg{next(self._ids)}"
        with self._lock:
            self.messages.setdefault(open_kfid, []).append(
                {"msgid": msgid, "send_time": int(time.time()), "origin": 4, "msgtype": "event", "event": event}
            )
        return msgid

    def repeat(self, open_kfid: str, msgid: str) -> None:
        """WeCom hands out a message it already handed out (the same msgid once more)."""
        with self._lock:
            again = next(m for m in self.messages[open_kfid] if m["msgid"] == msgid)
            self.messages[open_kfid].append(dict(again))

    def _add(self, open_kfid: str, user: str, origin: int, content: JSON, msgid: str | None = None) -> str:
        msgid = msgid or f"msg{next(self._ids)}"
        with self._lock:
            self.messages.setdefault(open_kfid, []).append(
                {
                    "msgid": msgid,
                    "open_kfid": open_kfid,
                    "external_userid": user,
                    "send_time": int(time.time()),
                    "origin": origin,
                    **content,
                }
            )
            if origin == 3 and self.sessions.get((open_kfid, user), 4) == 4:
                self.sessions[(open_kfid, user)] = 0  # a new session: 未处理
        return msgid

    def paths(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def state_changes(self) -> list[tuple[int, str | None]]:
        return [(c.body["service_state"], c.body.get("servicer_userid")) for c in self.paths("kf/service_state/trans")]

    # -- the HTTP API ---------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/gettoken", self._gettoken, methods=["GET"]),
                Route("/cgi-bin/kf/sync_msg", self._sync_msg, methods=["POST"]),
                Route("/cgi-bin/kf/send_msg", self._send_msg, methods=["POST"]),
                Route("/cgi-bin/kf/service_state/get", self._state_get, methods=["POST"]),
                Route("/cgi-bin/kf/service_state/trans", self._state_trans, methods=["POST"]),
            ]
        )

    async def _gettoken(self, request: Request) -> JSONResponse:
        self._record("gettoken", {}, request)
        if request.query_params.get("corpid") != self.corp_id:
            return _error(40013, "invalid corpid")
        if request.query_params.get("corpsecret") != self.secret:
            return _error(40001, "invalid credential")
        token = f"ACCESS{next(self._ids)}"
        self._tokens.add(token)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def expire_tokens(self) -> None:
        self._tokens.clear()

    async def _authorised(self, request: Request, path: str) -> tuple[JSON, JSONResponse | None]:
        body: JSON = await request.json()
        self._record(path, body, request)
        if request.query_params.get("access_token") not in self._tokens:
            return body, _error(42001, "access_token expired, hint: [123], from ip: 10.0.0.1, more info at https://…")
        with self._lock:
            if self.failures.get(path, 0) > 0:
                self.failures[path] -= 1
                return body, _error(-1, "system busy")
        return body, None

    async def _sync_msg(self, request: Request) -> JSONResponse:
        body, refused = await self._authorised(request, "kf/sync_msg")
        if refused:
            return refused
        self._syncing += 1
        self.most_parallel_syncs = max(self.most_parallel_syncs, self._syncing)
        try:
            await asyncio.sleep(self.sync_delay)
        finally:
            self._syncing -= 1
        with self._lock:
            served = self.messages.get(body.get("open_kfid", ""), [])
            start = int(body.get("cursor") or 0)
            limit = min(int(body.get("limit", 1000)), self.page_size)
            page = served[start : start + limit]
            end = start + len(page)
            return JSONResponse(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "next_cursor": str(end),
                    "has_more": 1 if end < len(served) else 0,
                    "msg_list": page,
                }
            )

    async def _send_msg(self, request: Request) -> JSONResponse:
        body, refused = await self._authorised(request, "kf/send_msg")
        if refused:
            return refused
        key = (body.get("open_kfid", ""), body.get("touser", ""))
        with self._lock:
            if self.sessions.get(key, 4) not in (0, 1):
                return _error(95018, "send msg session status invalid, hint: [1645], from ip: 10.0.0.1")
            kind = body.get("msgtype")
            if kind == "text" and len(body["text"]["content"].encode()) > 2048:
                return _error(45002, "content size out of limit")
            if kind == "msgmenu" and (
                len(body["msgmenu"]["list"]) > 10 or len(body["msgmenu"]["head_content"].encode()) > 1024
            ):
                return _error(45098, "msgmenu list size is out of limit")
            self.sent.append(body)
            return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": f"sent{next(self._ids)}"})

    async def _state_get(self, request: Request) -> JSONResponse:
        body, refused = await self._authorised(request, "kf/service_state/get")
        if refused:
            return refused
        with self._lock:
            state = self.sessions.get((body["open_kfid"], body["external_userid"]), 4)
            servicer = self.servicer_of.get((body["open_kfid"], body["external_userid"]))
        reply: JSON = {"errcode": 0, "errmsg": "ok", "service_state": state}
        if state == 3 and servicer:
            reply["servicer_userid"] = servicer
        return JSONResponse(reply)

    async def _state_trans(self, request: Request) -> JSONResponse:
        body, refused = await self._authorised(request, "kf/service_state/trans")
        if refused:
            return refused
        key = (body["open_kfid"], body["external_userid"])
        target = int(body["service_state"])
        with self._lock:
            current = self.sessions.get(key, 4)
            if target not in ALLOWED[current]:
                return _error(95016, f"invalid service_state transition {current} -> {target}")
            if target == 3 and body.get("servicer_userid") not in self.servicers:
                return _error(95014, "servicer_userid is not a servicer of this account")
            self.sessions[key] = target
            if target == 3:
                self.servicer_of[key] = body["servicer_userid"]
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msg_code": "MSG_CODE"})

    def _record(self, path: str, body: JSON, request: Request) -> None:
        with self._lock:
            self.calls.append(Call(path, body, dict(request.query_params)))


def _error(errcode: int, errmsg: str) -> JSONResponse:
    return JSONResponse({"errcode": errcode, "errmsg": errmsg})


# -- WeCom's side of the callback (wechatpy's work crypto as the peer) --------------------------------


def callback_body(inner_xml: str, corp_id: str = CORP, timestamp: int | None = None) -> tuple[str, dict[str, str]]:
    """The POST WeCom makes: the encrypted message in an envelope, the signature in the query."""
    nonce, stamp = secrets.token_hex(6), str(timestamp or int(time.time()))
    sealed = ET.fromstring(WeChatCrypto(TOKEN, AES_KEY, corp_id).encrypt_message(inner_xml, nonce, stamp))
    body = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{sealed.findtext('Encrypt')}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
    )
    return body, {"msg_signature": str(sealed.findtext("MsgSignature")), "timestamp": stamp, "nonce": nonce}


def kf_event(open_kfid: str = KF, token: str = "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
    )


@contextmanager
def serving(fake: FakeWeCom) -> Iterator[str]:
    """Run the fake on a free loopback port (its `base_url` meanwhile)."""
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off", ws="none"
    )
    with serve_on_loopback(config, "fake-wecom") as base_url:
        fake.base_url = base_url
        yield base_url
