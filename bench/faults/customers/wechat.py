"""A follower of a WeChat Official Account: WeChat's servers POST each of its messages to
`/channels/wechat` (plaintext mode, signed URL) and wait 5 s for "success" or a passive reply; a
retry is the same request (the same MsgId and signed URL). Answers pushed later reach the fake's
customer-service API (bench.fakes.wechat)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import ClassVar

import httpx

from bench.faults.plan import Channel

# The WeChat account of the run (the fake's credentials) and WeChat's patience with a callback.
WECHAT_APP_ID = "wx5f6e7d8c9b0a1234"
WECHAT_APP_SECRET = "0123456789abcdef0123456789abcdef"
WECHAT_TOKEN = "LumioWeChatFaults2026"
WECHAT_TIMEOUT_S = 5.0


def app_env(api_base_url: str) -> dict[str, str]:
    """The app's WeChat settings, its API the fake at `api_base_url`."""
    return {
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE_URL": api_base_url,
    }


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature: SHA-1 of the token, timestamp and nonce, sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


class WeChatCustomer:
    channel: ClassVar[Channel] = "wechat"

    def __init__(self, app_url: str) -> None:
        self._app_url = app_url
        self.openid = f"oFaults_{uuid.uuid4().hex[:20]}"
        self.conversation_id = f"wechat:{self.openid}"
        self.passive_replies: list[str] = []
        self._queries: dict[str, dict[str, str]] = {}

    def new_message_id(self) -> str:
        return str(secrets.randbelow(10**17) + 10**17)  # WeChat's MsgId: a 64-bit number

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        query = self._queries.get(message_id)
        if query is None:  # the first delivery; a retry is the same request again
            stamp, nonce = str(int(time.time())), secrets.token_hex(5)
            signature = wechat_signature(WECHAT_TOKEN, stamp, nonce)
            query = {"signature": signature, "timestamp": stamp, "nonce": nonce, "openid": self.openid}
            self._queries[message_id] = query
        xml = (
            f"<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{query['timestamp']}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{message_id}</MsgId></xml>"
        )
        try:
            async with httpx.AsyncClient(timeout=WECHAT_TIMEOUT_S) as client:
                response = await client.post(f"{self._app_url}/channels/wechat", params=query, content=xml.encode())
        except httpx.HTTPError as error:  # no answer within WeChat's 5 s, or the app gone: WeChat retries
            return False, type(error).__name__
        if response.status_code != 200:
            return False, f"HTTP {response.status_code}"
        if response.text != "success":
            self.passive_replies.append(response.text)
            return True, "HTTP 200 passive reply"
        return True, "HTTP 200 success"

    async def reconnect(self, app_url: str) -> None:
        return None

    async def close(self) -> None:
        return None
