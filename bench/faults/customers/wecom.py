"""A WeChat user writing to the corp's customer-service account (WeCom's 微信客服): WeCom keeps the
message (the fake's `kf/sync_msg` serves it) and POSTs a signed, encrypted `kf_msg_or_event` notice to
`/channels/wecom` (built with wechatpy's work crypto, as WeCom does), waiting 5 s for "success"; a
notice not acknowledged is sent again, the same request. The app then reads the message with
sync_msg; its answers reach the fake's `kf/send_msg` (bench.fakes.wecom), addressed to the customer."""

from __future__ import annotations

import secrets
import uuid
from typing import ClassVar

import httpx

from bench.fakes.wecom import AES_KEY, CORP, KF, SECRET, TOKEN, FakeWeCom, callback_body, kf_event
from bench.faults.plan import Channel

# WeCom's patience with a callback before it sends the notice again.
WECOM_TIMEOUT_S = 5.0


def app_env(api_base_url: str) -> dict[str, str]:
    """The app's WeCom settings (the fake's corp), its API the fake at `api_base_url`."""
    return {
        "WECOM_CORP_ID": CORP,
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_ENCODING_AES_KEY": AES_KEY,
        "WECOM_API_BASE_URL": api_base_url,
    }


def conversation_of(external_userid: str, open_kfid: str = KF) -> str:
    """The desk's conversation of a WeCom customer (channels/wecom/messages.py `Address`)."""
    return f"wecom:{open_kfid}:{external_userid}"


class WeComCustomer:
    channel: ClassVar[Channel] = "wecom"

    def __init__(self, app_url: str, wecom: FakeWeCom) -> None:
        self._app_url = app_url
        self._wecom = wecom
        self.external_userid = f"wmFaults{uuid.uuid4().hex[:24]}"
        self.conversation_id = conversation_of(self.external_userid)
        self.passive_replies: list[str] = []  # WeCom's callback carries no answer
        # The notice of each message (body, signed query): a retry is the same request again.
        self._notices: dict[str, tuple[str, dict[str, str]]] = {}

    def new_message_id(self) -> str:
        return f"from_msgid_{secrets.randbelow(10**19)}"  # WeCom's msgid, the app's client message id

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        notice = self._notices.get(message_id)
        if notice is None:  # the customer writes once: WeCom keeps the message and tells the app
            self._wecom.customer_writes(KF, self.external_userid, text, msgid=message_id)
            notice = self._notices[message_id] = callback_body(kf_event(KF))
        body, query = notice
        try:
            async with httpx.AsyncClient(timeout=WECOM_TIMEOUT_S) as client:
                response = await client.post(f"{self._app_url}/channels/wecom", params=query, content=body.encode())
        except httpx.HTTPError as error:  # no answer within WeCom's 5 s, or the app gone: WeCom retries
            return False, type(error).__name__
        if response.status_code != 200 or response.text != "success":
            return False, f"HTTP {response.status_code}"
        return True, "HTTP 200 success"

    async def reconnect(self, app_url: str) -> None:
        return None

    async def close(self) -> None:
        return None


def texts_to(wecom: FakeWeCom, external_userid: str) -> list[str]:
    """What the fake's kf/send_msg got for the customer: texts, and the heads of menus."""
    texts: list[str] = []
    for body in list(wecom.sent):
        if body.get("touser") != external_userid:
            continue
        if body.get("msgtype") == "text":
            texts.append(str(body["text"]["content"]))
        elif body.get("msgtype") == "msgmenu":
            texts.append(str(body["msgmenu"]["head_content"]))
    return texts
