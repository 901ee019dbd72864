"""The WeCom Customer Service server API (微信客服) this channel uses: access token, reading messages,
sending messages, reading and changing a session's state.

An async client over httpx (wechatpy's `WeChatKF` does the same calls, but blocking, over requests).
The access token is cached in memory and in `channel_state`, so a restart does not fetch a new one
(`gettoken` is rate-limited); a token WeCom calls invalid or expired is fetched again once.
Errors never carry the secret or the token: the URLs that hold them are not put into messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

import httpx

from channels.wecom.settings import WeComSettings
from channels.wecom.state import CachedToken, WeComState
from desk.models import utcnow
from engine.blocking import run_blocking

JSON = dict[str, Any]

# access_token invalid / expired: fetch a new one and try once more.
TOKEN_ERRORS = frozenset({40014, 42001})
# kf/send_msg refused because the session is neither new nor with the assistant.
SESSION_STATE_INVALID = 95018
# Refresh the token this long before WeCom says it expires.
TOKEN_MARGIN = timedelta(minutes=5)


class ServiceState(IntEnum):
    """A WeCom customer-service session's state (kf/service_state)."""

    NEW = 0  # 未处理: the customer wrote, nobody has taken the session
    ASSISTANT = 1  # 由智能助手接待: the API answers (kf/send_msg works)
    POOL = 2  # 待接入池排队中: waiting for a 接待人员 in the WeCom client
    SERVICER = 3  # 由人工接待: a 接待人员 answers in the WeCom client
    ENDED = 4  # 已结束/未开始: the API may not change it; the customer's next message opens a new one


class WeComError(RuntimeError):
    """WeCom could not be reached or refused the call."""


class WeComUnavailable(WeComError):
    pass


class WeComApiError(WeComError):
    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        # WeCom's errmsg ends with ", hint: [...], from ip: …, more info at …": keep the reason only.
        reason = errmsg.split(", hint:")[0].strip()
        super().__init__(f"WeCom {path} refused: errcode {errcode} ({reason})")
        self.path = path
        self.errcode = errcode


@dataclass(frozen=True)
class SyncPage:
    messages: list[JSON]
    next_cursor: str
    has_more: bool


@dataclass(frozen=True)
class SessionState:
    state: ServiceState
    servicer_userid: str | None


class WeComApi:
    def __init__(
        self,
        settings: WeComSettings,
        state: WeComState,
        http: httpx.AsyncClient,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if settings.corp_id is None or settings.secret is None:
            raise ValueError("WeCom is not configured")
        self._corp_id = settings.corp_id
        self._secret = settings.secret
        self._state = state
        self._http = http
        self._clock = clock
        self._token: CachedToken | None = None
        self._token_lock = asyncio.Lock()

    # The calls ------------------------------------------------------------------------------------

    async def sync_msg(self, open_kfid: str, cursor: str, token: str | None, limit: int = 1000) -> SyncPage:
        body: JSON = {"cursor": cursor, "limit": limit, "voice_format": 0, "open_kfid": open_kfid}
        if token:
            body["token"] = token
        reply = await self._post("kf/sync_msg", body)
        messages = reply.get("msg_list") or []
        return SyncPage(
            [m for m in messages if isinstance(m, dict)],
            str(reply.get("next_cursor") or cursor),
            bool(reply.get("has_more")),
        )

    async def send_msg(self, message: JSON) -> str:
        """Send one message (`touser`, `open_kfid`, `msgtype` and its body); returns WeCom's msgid."""
        reply = await self._post("kf/send_msg", message)
        return str(reply.get("msgid", ""))

    async def service_state(self, open_kfid: str, external_userid: str) -> SessionState:
        reply = await self._post("kf/service_state/get", {"open_kfid": open_kfid, "external_userid": external_userid})
        servicer = reply.get("servicer_userid")
        try:
            state = ServiceState(int(reply.get("service_state", -1)))
        except (TypeError, ValueError):
            raise WeComUnavailable(
                f"WeCom kf/service_state/get answered an unknown state {reply.get('service_state')!r}"
            ) from None
        return SessionState(state, str(servicer) if servicer else None)

    async def trans_service_state(
        self, open_kfid: str, external_userid: str, state: ServiceState, servicer_userid: str | None = None
    ) -> None:
        body: JSON = {"open_kfid": open_kfid, "external_userid": external_userid, "service_state": int(state)}
        if servicer_userid:
            body["servicer_userid"] = servicer_userid
        await self._post("kf/service_state/trans", body)

    # Plumbing -------------------------------------------------------------------------------------

    async def _post(self, path: str, body: JSON) -> JSON:
        for attempt in range(2):
            token = await self._access_token(refresh=attempt > 0)
            reply = await self._request("POST", f"/cgi-bin/{path}", path, params={"access_token": token}, json=body)
            errcode = _errcode(reply)
            if errcode in TOKEN_ERRORS and attempt == 0:
                continue
            if errcode != 0:
                raise WeComApiError(path, errcode, str(reply.get("errmsg", "")))
            return reply
        raise AssertionError("unreachable")

    async def _access_token(self, *, refresh: bool) -> str:
        async with self._token_lock:
            now = self._clock()
            if refresh:
                self._token = None
                await run_blocking(self._state.forget_access_token)
            if self._token is None:
                self._token = await run_blocking(self._state.access_token)
            if self._token is None or self._token.expires_at - TOKEN_MARGIN <= now:
                reply = await self._request(
                    "GET",
                    "/cgi-bin/gettoken",
                    "gettoken",
                    params={"corpid": self._corp_id, "corpsecret": self._secret.get_secret_value()},
                )
                errcode = _errcode(reply)
                if errcode != 0 or not reply.get("access_token"):
                    raise WeComApiError("gettoken", errcode, str(reply.get("errmsg", "no access_token")))
                expires_in = int(reply.get("expires_in", 7200))
                self._token = CachedToken(str(reply["access_token"]), now + timedelta(seconds=expires_in))
                await run_blocking(self._state.save_access_token, self._token)
            return self._token.value

    async def _request(self, method: str, url: str, name: str, **kwargs: Any) -> JSON:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            # The exception's text may hold the URL, and the URL the secret or the token: name the kind only.
            raise WeComUnavailable(f"WeCom {name} unreachable: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise WeComUnavailable(f"WeCom {name} answered HTTP {response.status_code}")
        try:
            reply = response.json()
        except ValueError:
            raise WeComUnavailable(f"WeCom {name} answered something that is not JSON") from None
        if not isinstance(reply, dict):
            raise WeComUnavailable(f"WeCom {name} answered {type(reply).__name__}, not an object")
        return reply


def _errcode(reply: JSON) -> int:
    try:
        return int(reply.get("errcode", 0))
    except (TypeError, ValueError):
        return -1
