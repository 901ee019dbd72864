"""The Official Account's customer-service message API, with its access token cached.

The token (`/cgi-bin/token`, valid for `expires_in` seconds, 7,200 today) is kept in memory and in
`ChannelState`, so replicas and restarts share one token instead of fetching new ones (each fetch
invalidates the previous token after a grace period). It is refreshed shortly before it expires, and
at once when WeChat says it is invalid or expired (errcode 40001, 40014, 42001).

Error messages never carry the request URL: it holds the app secret or the access token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from pydantic import SecretStr

from engine.blocking import run_blocking
from engine.port import ChannelState

log = structlog.get_logger(__name__)

CHANNEL = "wechat"
# Invalid credential, invalid access token, access token expired.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Refresh this long before WeChat's expiry, so that no call carries a token about to expire.
REFRESH_MARGIN_SECONDS = 300.0


class WeChatApiError(RuntimeError):
    """WeChat answered with an error code, or could not be reached."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # epoch seconds

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


class WeChatApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        app_id: str,
        app_secret: SecretStr,
        state: ChannelState | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._app_id = app_id
        self._app_secret = app_secret
        self._state = state
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    @property
    def _state_key(self) -> str:
        return f"access_token:{self._app_id}"

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (allowed within 48 hours of the customer's last message)."""
        await self.call(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": content}}
        )

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to an API taking the access token; one refresh and retry on a token error."""
        token = await self.access_token()
        try:
            return await self._post(path, body, token)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            log.info("wechat_token_rejected", errcode=error.errcode)
            token = await self.access_token(rejected=token)
            return await self._post(path, body, token)

    async def access_token(self, rejected: str | None = None) -> str:
        """A token valid for a while yet; `rejected` is one WeChat just refused (never handed out again)."""
        now = self._clock()
        cached = self._token
        if cached is not None and cached.fresh(now) and cached.value != rejected:
            return cached.value
        async with self._lock:
            cached = self._token
            if cached is not None and cached.fresh(self._clock()) and cached.value != rejected:
                return cached.value  # another task refreshed it while this one waited
            shared = await self._load()
            if shared is not None and shared.fresh(self._clock()) and shared.value != rejected:
                self._token = shared
                return shared.value
            self._token = await self._fetch()
            await self._save(self._token)
            return self._token.value

    async def _fetch(self) -> AccessToken:
        params = {
            "grant_type": "client_credential",
            "appid": self._app_id,
            "secret": self._app_secret.get_secret_value(),
        }
        data = await self._request("GET", "/cgi-bin/token", params=params)
        value, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int):
            raise WeChatApiError("WeChat's token API answered without an access token")
        log.info("wechat_token_fetched", expires_in=expires_in)
        return AccessToken(value, self._clock() + expires_in)

    async def _load(self) -> AccessToken | None:
        if self._state is None:
            return None
        stored = await run_blocking(self._state.get, CHANNEL, self._state_key)
        if not stored:
            return None
        value, expires_at = stored.get("access_token"), stored.get("expires_at")
        if not isinstance(value, str) or not isinstance(expires_at, int | float):
            return None
        return AccessToken(value, float(expires_at))

    async def _save(self, token: AccessToken) -> None:
        if self._state is None:
            return
        value = {"access_token": token.value, "expires_at": token.expires_at}
        await run_blocking(self._state.put, CHANNEL, self._state_key, value)

    async def _post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        # WeChat shows \uXXXX escapes literally: send the characters themselves.
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return await self._request(
            "POST",
            path,
            params={"access_token": token},
            content=content,
            headers={"content-type": "application/json; charset=utf-8"},
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise WeChatApiError(f"WeChat API unreachable ({type(error).__name__})") from None
        if response.status_code >= 400:
            raise WeChatApiError(f"WeChat API answered HTTP {response.status_code} to {path}")
        try:
            data = response.json()
        except ValueError:
            raise WeChatApiError(f"WeChat API answered {path} with something other than JSON") from None
        if not isinstance(data, dict):
            raise WeChatApiError(f"WeChat API answered {path} with something other than an object")
        errcode = data.get("errcode", 0)
        if errcode:
            errmsg = str(data.get("errmsg", ""))[:200]
            raise WeChatApiError(f"WeChat API error {errcode} on {path}: {errmsg}", errcode=int(errcode))
        return data
