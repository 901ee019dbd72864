"""The WeChat Official Account channel, with wechatpy as WeChat's servers (it signs and encrypts the
callbacks exactly as they do) and a fake of WeChat's API on a loopback port (bench/fakes/wechat.py).
Rasa is a scripted fake gateway here; tests/e2e/test_wechat_e2e.py answers a real FAQ question."""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import OperationalError
from wechatpy.crypto import WeChatCrypto

from bench.fakes.wechat import FakeWeChat
from channels.wechat.adapter import WeChatAdapter
from channels.wechat.api import WeChatApi, WeChatApiError
from channels.wechat.protocol import signature_of
from channels.wechat.render import WELCOME, chosen_option, with_options
from channels.wechat.settings import WeChatSettings
from desk.channel_state import ChannelStateStore
from desk.conversations import ConversationStore
from desk.copy import say
from desk.database import session_factory, upgrade_schema
from desk.handoff import HandoffReason
from desk.models import Role
from desk.turns import Outcome, TurnRecord, turn_payload
from tests.api.staff import services_of, token_for
from tests.app_factory import build_app
from tests.database_outage import database_down, desk_url
from tests.fake_rasa import FakeRasa
from tests.waiting import wait_until

APP_ID = "wx5f6e7d8c9b0a1234"
APP_SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "LumioWeChatToken2026"
ACCOUNT = "gh_1a2b3c4d5e6f"
OPENID = "oLumio_customer_0000000001"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
UP = '/vote{"faq_id":"battery","vote":"up"}'
DOWN = '/vote{"faq_id":"battery","vote":"down"}'


# -- Rasa, scripted ------------------------------------------------------------------------------


def battery_answer(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers a battery question with 👍/👎 buttons, a vote with thanks."""
    if message.startswith("/vote"):
        return [{"text": "感谢您的反馈！", "custom": turn_payload(TurnRecord(Outcome.FEEDBACK))}]
    return [
        {
            "text": "电池保修 1 年（以发票日期为准）。",
            "buttons": [{"title": "👍 有帮助", "payload": UP}, {"title": "👎 没帮助", "payload": DOWN}],
        },
        {"custom": turn_payload(TurnRecord(Outcome.ANSWERED, faq_id="battery", confidence=0.93))},
    ]


# -- WeChat's side of a callback -------------------------------------------------------------------


def fields(xml: str) -> dict[str, str]:
    """The child elements of a (trusted, test-made) WeChat XML document."""
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def text_xml(content: str, msg_id: int, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def message_xml(kind: str, fields: dict[str, str], msg_id: int | None = None, create_time: int | None = None) -> str:
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    ident = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"{body}{ident}</xml>"
    )


@dataclass
class WeChatServer:
    """Posts callbacks the way WeChat's servers do, in plaintext, compatible or safe mode."""

    client: TestClient
    mode: str = "plain"  # plain | compatible | safe

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def query(self, timestamp: int | None = None, token: str = TOKEN) -> dict[str, str]:
        stamp, nonce = str(timestamp or int(time.time())), secrets.token_hex(5)
        return {"signature": signature_of(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": OPENID}

    def post(self, xml: str, *, query: dict[str, str] | None = None, raw: bytes | None = None) -> Any:
        params = query or self.query()
        body = raw if raw is not None else xml.encode()
        if self.mode != "plain" and raw is None:
            sealed = fields(self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"]))
            params = {**params, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
            encrypt = f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt>"
            if self.mode == "safe":
                body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>{encrypt}</xml>".encode()
            else:  # compatible: the plaintext fields and the encrypted copy together
                body = xml.replace("</xml>", f"{encrypt}</xml>").encode()
        return self.client.post("/channels/wechat", params=params, content=body)

    def reply_text(self, response: Any) -> str | None:
        """The passive reply's text (checking the encrypted envelope's signature as WeChat would)."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return None
        reply = fields(response.text)
        if self.mode != "plain":
            signed = signature_of(TOKEN, reply["TimeStamp"], reply["Nonce"], reply["Encrypt"])
            assert signed == reply["MsgSignature"]
            plain = self.crypto.decrypt_message(
                response.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]
            )
            reply = fields(plain)
        assert reply["MsgType"] == "text" and reply["ToUserName"] == OPENID and reply["FromUserName"] == ACCOUNT
        content: str = reply["Content"]
        return content


# -- the app -----------------------------------------------------------------------------------------


@dataclass
class Setup:
    client: TestClient
    rasa: FakeRasa
    fake: FakeWeChat
    adapter: WeChatAdapter

    def server(self, mode: str = "plain") -> WeChatServer:
        return WeChatServer(self.client, mode)

    def transcript(self, openid: str = OPENID) -> list[tuple[str, str]]:
        messages = services_of(self.client).conversations.transcript(f"wechat:{openid}")
        return [(m.sender, m.text) for m in messages]


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat(APP_ID, APP_SECRET).start()
    try:
        yield fake
    finally:
        fake.stop()


def wechat_settings(fake: FakeWeChat, encrypted: bool = False, **overrides: Any) -> WeChatSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "app_secret": SecretStr(APP_SECRET),
        "token": SecretStr(TOKEN),
        "encoding_aes_key": SecretStr(AES_KEY) if encrypted else None,
        "api_base_url": fake.base_url,
        "reply_budget_seconds": 3.0,
        "api_timeout": 5.0,
        **overrides,
    }
    return WeChatSettings(**values)


@pytest.fixture
def make_setup(tmp_path: Path, fake_wechat: FakeWeChat) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(encrypted: bool = False, **overrides: Any) -> Setup:
        rasa = FakeRasa(battery_answer)
        adapter = WeChatAdapter(wechat_settings(fake_wechat, encrypted, **overrides))
        app = build_app(tmp_path, rasa=rasa, channels=[adapter])
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        clients.append(client)
        return Setup(client, rasa, fake_wechat, adapter)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def setup(make_setup: Any) -> Setup:
    made: Setup = make_setup()
    return made


# -- verification ------------------------------------------------------------------------------------


def test_url_verification_echoes_echostr_only_when_signed(setup: Setup) -> None:
    server = setup.server()
    good = setup.client.get("/channels/wechat", params={**server.query(), "echostr": "7329405877"})
    assert good.status_code == 200 and good.text == "7329405877"
    wrong = setup.client.get("/channels/wechat", params={**server.query(token="NotTheToken"), "echostr": "1"})
    stale = setup.client.get(
        "/channels/wechat", params={**server.query(timestamp=int(time.time()) - 3600), "echostr": "1"}
    )
    missing = setup.client.get("/channels/wechat", params={"echostr": "1"})
    assert [r.status_code for r in (wrong, stale, missing)] == [403, 403, 403]
    assert "1" not in (wrong.text, stale.text, missing.text)


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_forged_or_stale_callbacks_are_refused_and_nothing_is_stored(make_setup: Any, mode: str) -> None:
    setup: Setup = make_setup(encrypted=mode == "safe")
    server = setup.server(mode)
    xml = text_xml("电池保修多久？", 1001)
    assert server.post(xml, query=server.query(token="NotTheToken")).status_code == 403
    assert server.post(xml, query=server.query(timestamp=int(time.time()) - 301)).status_code == 403
    assert server.post(xml, query=server.query(timestamp=int(time.time()) + 3600)).status_code == 403
    assert setup.client.post("/channels/wechat", content=xml.encode()).status_code == 403
    if mode == "safe":
        # A valid URL signature but an encrypted body signed with another token, or a plaintext body.
        stranger = WeChatCrypto("AnotherToken", AES_KEY, APP_ID)
        query = server.query()
        sealed = fields(stranger.encrypt_message(xml, query["nonce"], query["timestamp"]))
        forged = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>{sealed['Encrypt']}</Encrypt></xml>"
        params = {**query, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        assert setup.client.post("/channels/wechat", params=params, content=forged).status_code == 403
        assert WeChatServer(setup.client, "plain").post(xml).status_code == 403
    assert services_of(setup.client).conversations.get(f"wechat:{OPENID}") is None
    assert setup.rasa.sent == []


# -- messages in each mode -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_question_gets_a_passive_reply_with_numbered_options(make_setup: Any, mode: str) -> None:
    setup: Setup = make_setup(encrypted=mode != "plain")
    server = setup.server(mode)
    reply = server.reply_text(server.post(text_xml("扫地机器人的电池保修多久？", 2001)))
    assert reply is not None  # within the budget: not "success"
    assert reply.startswith("电池保修 1 年")
    assert "1. 👍 有帮助\n2. 👎 没帮助" in reply and "回复数字" in reply
    conversation = services_of(setup.client).conversations.get(f"wechat:{OPENID}")
    assert conversation is not None
    # An OpenID is unique within its Official Account only: the customer id says which account.
    customer = f"wechat:{APP_ID}:{OPENID}"
    assert (conversation.channel, conversation.customer_id, conversation.language) == ("wechat", customer, "zh")
    assert conversation.channel_data == {"openid": OPENID, "account": ACCOUNT}
    assert setup.transcript() == [
        ("customer", "扫地机器人的电池保修多久？"),
        ("bot", "电池保修 1 年（以发票日期为准）。"),
    ]
    assert setup.rasa.senders_and_messages == [(f"wechat:{OPENID}", "扫地机器人的电池保修多久？")]
    assert setup.fake.sent == []  # answered in the response: no customer-service message


def test_a_digit_picks_the_numbered_option(setup: Setup) -> None:
    server = setup.server()
    server.post(text_xml("电池保修多久", 3001))
    reply = server.reply_text(server.post(text_xml("２", 3002)))
    assert reply == "感谢您的反馈！"
    assert setup.rasa.senders_and_messages[-1] == (f"wechat:{OPENID}", DOWN)
    assert setup.transcript()[-2] == ("customer", "👎 没帮助")
    # With no options on offer, a number is just text for the bot.
    server.post(text_xml("3", 3003))
    assert setup.rasa.senders_and_messages[-1] == (f"wechat:{OPENID}", "3")


def test_numbered_options_render_and_parse() -> None:
    rendered = with_options("Did you mean one of these?", [("Battery warranty", "/a"), ("Shipping fee", "/b")])
    assert rendered.endswith("1. Battery warranty\n2. Shipping fee\n(Reply with a number to choose.)")
    assert with_options("电池保修 1 年", []) == "电池保修 1 年"
    assert [chosen_option(t) for t in ("2", " 2 ", "２", "②", "2.", "2。", "12")] == [2, 2, 2, 2, 2, 2, 12]
    assert [chosen_option(t) for t in ("0", "two", "2 years", "", "-1", "1.5")] == [None] * 6


def test_a_typed_command_reaches_rasa_as_words_and_is_kept_as_written(setup: Setup) -> None:
    server = setup.server()
    server.post(text_xml("/EXTERNAL_resolved", 2101))
    server.post(text_xml(UP, 2102))  # a vote typed, not pressed
    server.post(text_xml(" /greet", 2103))
    assert setup.rasa.messages == ["EXTERNAL_resolved", UP.removeprefix("/"), "greet"]
    assert [text for sender, text in setup.transcript() if sender == "customer"] == ["/EXTERNAL_resolved", UP, "/greet"]


@pytest.mark.parametrize("openid", ["x/../../model/train", "oLumio?token=1", "oLumio#x", "o Lumio", "o" * 65])
def test_a_sender_that_is_no_openid_is_refused(setup: Setup, openid: str) -> None:
    response = setup.server().post(text_xml("电池保修多久？", 2201, openid=openid))
    assert response.status_code == 400
    assert setup.rasa.sent == [] and setup.rasa.slots == []


# -- replays -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_signed_url_is_taken_once_by_every_replica(make_setup: Any, mode: str) -> None:
    setup: Setup = make_setup(encrypted=mode == "safe")
    server = setup.server(mode)
    query = server.query()
    first = server.reply_text(server.post(text_xml("电池保修多久？", 2301), query=query))
    assert first is not None and first.startswith("电池保修 1 年")
    replayed = server.post(text_xml("电池保修多久？", 2301), query=query)
    assert (replayed.status_code, replayed.text) == (200, "success")
    if mode == "plain":  # the URL signature does not cover the body: a forged one on a used URL
        forged = server.post(text_xml("/EXTERNAL_resolved", 2302), query=query)
        assert (forged.status_code, forged.text) == (200, "success")
    # Another replica (an app over the same database) knows the signature as well.
    other: Setup = make_setup(encrypted=mode == "safe")
    again = other.server(mode).post(text_xml("我要投诉", 2303), query=query)
    assert (again.status_code, again.text) == (200, "success")
    assert setup.rasa.messages == ["电池保修多久？"] and other.rasa.sent == []
    assert setup.transcript() == [("customer", "电池保修多久？"), ("bot", "电池保修 1 年（以发票日期为准）。")]


def test_the_url_checks_signature_cannot_carry_a_message(setup: Setup) -> None:
    server = setup.server()
    query = server.query()
    assert setup.client.get("/channels/wechat", params={**query, "echostr": "42"}).text == "42"
    assert setup.client.get("/channels/wechat", params={**query, "echostr": "42"}).status_code == 403
    assert server.post(text_xml("/EXTERNAL_resolved", 2401), query=query).text == "success"
    assert setup.rasa.sent == [] and setup.transcript() == []


def test_plaintext_mode_is_refused_in_production_unless_allowed(
    fake_wechat: FakeWeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="WECHAT_ENCODING_AES_KEY"):
        WeChatAdapter(wechat_settings(fake_wechat), production=True)
    WeChatAdapter(wechat_settings(fake_wechat, encrypted=True), production=True)
    WeChatAdapter(wechat_settings(fake_wechat, allow_plaintext_in_production=True), production=True)
    WeChatAdapter(wechat_settings(fake_wechat))  # development
    from channels.registry import configured_channels

    for name, value in (("APP_ID", APP_ID), ("APP_SECRET", APP_SECRET), ("TOKEN", TOKEN)):
        monkeypatch.setenv(f"WECHAT_{name}", value)
    monkeypatch.delenv("WECHAT_ENCODING_AES_KEY", raising=False)
    with pytest.raises(ValueError, match="plaintext mode is refused in production"):
        configured_channels(production=True)
    monkeypatch.setenv("WECHAT_ALLOW_PLAINTEXT_IN_PRODUCTION", "true")
    assert "wechat" in [adapter.name for adapter in configured_channels(production=True)]


# -- retries -----------------------------------------------------------------------------------------


def test_a_retried_message_is_stored_once_and_answered_once(setup: Setup) -> None:
    server = setup.server()
    xml = text_xml("电池保修多久", 4001)
    replies = [server.reply_text(server.post(xml)) for _ in range(3)]
    assert replies[0] is not None and replies[0].startswith("电池保修 1 年")
    assert replies[1:] == [None, None]  # "success": WeChat already has the answer
    assert len(setup.rasa.sent) == 1
    # A retry reaching another replica (which never saw the first) gets the stored reply, not a new turn.
    setup.adapter._work.clear()
    assert server.reply_text(server.post(xml)) == replies[0]
    assert len(setup.rasa.sent) == 1
    assert setup.transcript() == [("customer", "电池保修多久"), ("bot", "电池保修 1 年（以发票日期为准）。")]


def test_a_slow_answer_is_pushed_once_while_wechat_retries(make_setup: Any) -> None:
    setup: Setup = make_setup(reply_budget_seconds=0.5)
    setup.rasa.delay = 1.2  # past the budget: WeChat gets "success" and retries, as it does after 5 s
    server = setup.server()
    xml = text_xml("电池保修多久", 5001)
    replies = [server.reply_text(server.post(xml)) for _ in range(3)]
    assert replies == [None, None, None]
    wait_until(lambda: len(setup.fake.sent) == 1)
    time.sleep(0.5)
    assert len(setup.fake.sent) == 1 and len(setup.rasa.sent) == 1
    sent = setup.fake.sent[0]
    assert sent.touser == OPENID and sent.msgtype == "text"
    assert sent.content.startswith("电池保修 1 年") and "2. 👎 没帮助" in sent.content
    assert [s for s, _ in setup.transcript()] == ["customer", "bot"]
    wait_until(
        lambda: services_of(setup.client).conversations.transcript(f"wechat:{OPENID}")[-1].delivery == "delivered"
    )
    # A late retry reaching another replica (which never saw the first): the stored reply was pushed.
    setup.adapter._work.clear()
    assert server.reply_text(server.post(xml)) is None
    assert len(setup.fake.sent) == 1 and len(setup.rasa.sent) == 1


def test_concurrent_retries_get_a_single_passive_reply(setup: Setup) -> None:
    setup.rasa.delay = 0.4
    server = setup.server()
    xml = text_xml("电池保修多久", 6001)
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: server.post(xml), range(3)))
    texts = [server.reply_text(r) for r in responses]
    assert sum(t is not None for t in texts) == 1
    assert len(setup.rasa.sent) == 1 and len(setup.transcript()) == 2
    time.sleep(0.5)
    assert setup.fake.sent == []


# -- hostile bodies --------------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><ToUserName>gh_x</ToUserName><FromUserName>oEvil</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_x</ToUserName><FromUserName>oEvil</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_entity_declarations_and_oversized_bodies_are_refused(make_setup: Any, mode: str) -> None:
    setup: Setup = make_setup(encrypted=mode == "safe")
    server = setup.server(mode)
    for hostile in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        # Outside the envelope (as sent) and, in safe mode, inside it too (encrypted by a WeChat peer).
        assert server.post("", raw=hostile.encode()).status_code == 400
        if mode == "safe":
            assert server.post(hostile).status_code == 400
    huge = text_xml("退" * 30_000, 7001)
    assert len(huge.encode()) > 64 * 1024
    assert server.post(huge).status_code == 413
    assert server.post("", raw=b"<xml><MsgType>text</MsgType>").status_code == 400
    assert server.post("", raw=b"not xml at all").status_code == 400
    assert services_of(setup.client).conversations.get("wechat:oEvil") is None
    assert services_of(setup.client).conversations.get(f"wechat:{OPENID}") is None
    assert setup.rasa.sent == []


# -- other kinds of messages -------------------------------------------------------------------------------


def test_a_picture_is_acknowledged_and_stored_for_the_agents(setup: Setup) -> None:
    server = setup.server()
    url = "http://mmbiz.qpic.cn/mmbiz_jpg/example/0"
    xml = message_xml("image", {"PicUrl": url, "MediaId": "media-1"}, msg_id=8001)
    reply = server.reply_text(server.post(xml))
    assert reply is not None and "已收到您的图片" in reply
    assert server.reply_text(server.post(xml)) is None  # WeChat's retry: answered already
    assert setup.transcript() == [("customer", f"[image] {url}"), ("bot", reply)]
    assert setup.rasa.sent == []
    # An English conversation is acknowledged in English.
    server.post(text_xml("How long is the battery warranty?", 8002))
    english = server.reply_text(server.post(message_xml("image", {"PicUrl": url}, msg_id=8003)))
    assert english is not None and english.startswith("We have received your picture")


def test_a_picture_in_a_queued_conversation_reaches_the_agent_inbox(setup: Setup) -> None:
    services = services_of(setup.client)
    services.conversations.record_inbound(
        f"wechat:{OPENID}", text="我要投诉", payload=None, language="zh", channel="wechat", customer_id=OPENID
    )
    services.escalations.open(f"wechat:{OPENID}", HandoffReason.COMPLAINT, channel="wechat", language="zh")
    server = setup.server()
    reply = server.reply_text(server.post(message_xml("image", {"PicUrl": "http://x/1"}, msg_id=8101)))
    assert reply is not None and ("第 1 位" in reply or "09:00" in reply)  # the queue notice
    assert ("customer", "[image] http://x/1") in setup.transcript()
    assert setup.rasa.sent == []


def test_voice_messages_use_wechats_recognition(setup: Setup) -> None:
    server = setup.server()
    heard = message_xml("voice", {"MediaId": "m", "Format": "amr", "Recognition": "电池保修多久"}, msg_id=9001)
    reply = server.reply_text(server.post(heard))
    assert reply is not None and reply.startswith("电池保修 1 年")
    assert setup.rasa.senders_and_messages == [(f"wechat:{OPENID}", "电池保修多久")]
    unheard = server.reply_text(server.post(message_xml("voice", {"MediaId": "m", "Format": "amr"}, msg_id=9002)))
    assert unheard is not None and "没能听清" in unheard
    assert setup.transcript()[-2:] == [("customer", "[voice]"), ("bot", unheard)]
    assert len(setup.rasa.sent) == 1


def test_subscribe_is_welcomed_menu_clicks_are_questions_and_the_rest_is_acknowledged(make_setup: Any) -> None:
    setup: Setup = make_setup(menu={"WARRANTY": "电池保修多久"})
    server = setup.server()
    welcome = server.reply_text(server.post(message_xml("event", {"Event": "subscribe", "EventKey": ""})))
    assert welcome == WELCOME and "禾光" in welcome and "Lumio" in welcome
    click = message_xml("event", {"Event": "CLICK", "EventKey": "WARRANTY"}, create_time=int(time.time()))
    answer = server.reply_text(server.post(click))
    assert answer is not None and answer.startswith("电池保修 1 年")
    assert server.reply_text(server.post(click)) is None  # the same click, retried
    assert setup.rasa.senders_and_messages == [(f"wechat:{OPENID}", "电池保修多久")]
    for other in (
        message_xml("event", {"Event": "unsubscribe"}),
        message_xml("event", {"Event": "VIEW", "EventKey": "https://example.com"}),
        message_xml("location", {"Location_X": "31.2", "Location_Y": "121.4", "Label": "上海"}, msg_id=10001),
        message_xml("video", {"MediaId": "v"}, msg_id=10002),
    ):
        response = server.post(other)
        assert response.status_code == 200 and response.text == "success"
    assert len(setup.rasa.sent) == 1


def test_rasa_down_gets_an_apology_and_the_message_is_kept(setup: Setup) -> None:
    setup.rasa.down = True
    server = setup.server()
    response = server.post(text_xml("电池保修多久", 11001))
    assert response.status_code == 200
    reply = server.reply_text(response)
    assert reply is not None and reply.startswith("抱歉") and "已保存" in reply
    messages = services_of(setup.client).conversations.transcript(f"wechat:{OPENID}")
    assert [(m.sender, m.text, m.state) for m in messages] == [("customer", "电池保修多久", "failed")]


# -- the database down: nothing claimed "saved" -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_with_the_database_down_wechat_gets_no_answer_and_its_retry_is_answered_once(
    make_setup: Any, tmp_path: Path, mode: str
) -> None:
    setup: Setup = make_setup(encrypted=mode == "safe", unstored_wait_seconds=0.3)
    server = setup.server(mode)
    query = server.query()  # WeChat sends its retries of a callback with the same signed URL
    xml = text_xml("电池保修多久？", 12001)
    with database_down(desk_url(tmp_path)):
        started = time.monotonic()
        refused = server.post(xml, query=query)
        # No "success" and no passive reply (which would end WeChat's retries), and no word of "saved".
        assert refused.status_code == 503 and "success" not in refused.text and "保存" not in refused.text
        assert time.monotonic() - started >= 0.3  # held until WeChat stops waiting, so that it retries
    assert setup.rasa.sent == [] and setup.fake.sent == []
    # The database is back: WeChat's retry is taken (its signature was not spent) and answered once.
    reply = server.reply_text(server.post(xml, query=query))
    assert reply is not None and reply.startswith("电池保修 1 年")
    assert server.reply_text(server.post(xml, query=query)) is None  # a later retry: "success"
    assert len(setup.rasa.sent) == 1
    assert setup.transcript() == [("customer", "电池保修多久？"), ("bot", "电池保修 1 年（以发票日期为准）。")]


def test_a_message_the_database_fails_to_store_is_never_called_saved(
    make_setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup: Setup = make_setup(unstored_wait_seconds=0.2)
    record = ConversationStore.record_inbound
    failures: list[str] = []

    def fails_once(self: ConversationStore, conversation_id: str, **kwargs: Any) -> Any:
        if not failures:  # the signature was recorded, then the database failed
            failures.append(conversation_id)
            raise OperationalError("INSERT INTO messages", {}, sqlite3.OperationalError("disk I/O error"))
        return record(self, conversation_id, **kwargs)

    monkeypatch.setattr(ConversationStore, "record_inbound", fails_once)
    server = setup.server()
    query = server.query()
    refused = server.post(text_xml("电池保修多久？", 12101), query=query)
    assert refused.status_code == 503 and "保存" not in refused.text and failures
    reply = server.reply_text(server.post(text_xml("电池保修多久？", 12101), query=query))
    assert reply is not None and reply.startswith("电池保修 1 年") and len(setup.rasa.sent) == 1


def test_a_message_not_stored_after_wechat_was_answered_is_told_to_be_sent_again(
    make_setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup: Setup = make_setup(reply_budget_seconds=0.3)
    record = ConversationStore.record_inbound

    def slow_then_down(self: ConversationStore, conversation_id: str, **kwargs: Any) -> Any:
        time.sleep(0.6)  # past the passive-reply budget: WeChat has had "success"
        raise OperationalError("INSERT INTO messages", {}, sqlite3.OperationalError("unable to open database file"))

    monkeypatch.setattr(ConversationStore, "record_inbound", slow_then_down)
    server = setup.server()
    assert server.reply_text(server.post(text_xml("电池保修多久？", 12201))) is None
    wait_until(lambda: setup.fake.sent)
    [notice] = setup.fake.sent
    assert notice.touser == OPENID and notice.content == say("message_not_stored", "zh")
    assert "保存" not in notice.content and setup.rasa.sent == []
    monkeypatch.setattr(ConversationStore, "record_inbound", record)
    assert setup.transcript() == []


# -- the customer-service API: agents' replies ------------------------------------------------------------


def queue_wechat_conversation(setup: Setup) -> int:
    services = services_of(setup.client)
    services.conversations.record_inbound(
        f"wechat:{OPENID}",
        text="我要投诉",
        payload=None,
        language="zh",
        channel="wechat",
        customer_id=OPENID,
        channel_data={"openid": OPENID, "account": ACCOUNT},
    )
    escalation = services.escalations.open(f"wechat:{OPENID}", HandoffReason.COMPLAINT, channel="wechat", language="zh")
    return escalation.escalation.id


def delivery_of(setup: Setup, headers: dict[str, str], escalation_id: int, reply_id: int) -> str:
    case = setup.client.get(f"/api/v1/escalations/{escalation_id}", headers=headers).json()
    return str(next(m for m in case["messages"] if m["id"] == reply_id)["delivery"])


def test_agent_replies_reach_the_customer_with_one_cached_access_token(setup: Setup) -> None:
    escalation_id = queue_wechat_conversation(setup)
    agent = token_for(setup.client, Role.AGENT, "alice")
    assert setup.client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=agent).status_code == 200
    for text in ("您好，我是客服小禾。", "请提供订单号。"):
        reply = setup.client.post(f"/api/v1/escalations/{escalation_id}/replies", json={"text": text}, headers=agent)
        assert reply.status_code == 201
        reply_id: int = reply.json()["id"]
        wait_until(lambda r=reply_id: delivery_of(setup, agent, escalation_id, r) == "delivered")
    assert setup.fake.texts_to(OPENID) == ["您好，我是客服小禾。", "请提供订单号。"]
    assert setup.fake.token_requests == 1
    assert {s.access_token for s in setup.fake.sent} == {setup.fake.issued[0]}


def test_a_failed_send_is_retried_and_an_expired_token_is_refreshed(setup: Setup) -> None:
    escalation_id = queue_wechat_conversation(setup)
    agent = token_for(setup.client, Role.AGENT, "alice")
    setup.client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=agent)
    setup.fake.fail_sends = 1
    reply = setup.client.post(f"/api/v1/escalations/{escalation_id}/replies", json={"text": "稍等"}, headers=agent)
    reply_id = reply.json()["id"]
    wait_until(lambda: delivery_of(setup, agent, escalation_id, reply_id) == "retrying")
    case = setup.client.get(f"/api/v1/escalations/{escalation_id}", headers=agent).json()
    error = next(m for m in case["messages"] if m["id"] == reply_id)["last_error"]
    assert "HTTP 500" in error and "access_token" not in error and APP_SECRET not in error
    wait_until(lambda: delivery_of(setup, agent, escalation_id, reply_id) == "delivered")
    assert setup.fake.texts_to(OPENID) == ["稍等"]

    setup.fake.expire_tokens()
    again = setup.client.post(f"/api/v1/escalations/{escalation_id}/replies", json={"text": "好了"}, headers=agent)
    wait_until(lambda: delivery_of(setup, agent, escalation_id, again.json()["id"]) == "delivered")
    assert setup.fake.rejected == [42001] and setup.fake.token_requests == 2
    assert setup.fake.sent[-1].content == "好了" and setup.fake.sent[-1].access_token == setup.fake.issued[1]


def test_the_csat_question_is_pushed_with_numbered_options(setup: Setup) -> None:
    """What the outbox hands to `deliver` (e.g. the CSAT question) keeps its buttons as options."""
    from desk.turns import BotMessage, TurnRecord

    queue_wechat_conversation(setup)
    buttons = [{"title": f"{n} 分", "payload": f'/rate_service{{"csat":{n}}}'} for n in range(1, 6)]
    stored = services_of(setup.client).conversations.record_pushed(
        f"wechat:{OPENID}", [BotMessage("请为本次服务打分：", buttons)], TurnRecord("resolved"), language="zh"
    )
    setup.client.app.state.runtime.delivery.wake()  # type: ignore[attr-defined]
    wait_until(lambda: len(setup.fake.sent) == 1)
    assert setup.fake.sent[0].content.startswith("请为本次服务打分：\n\n1. 1 分\n2. 2 分")
    assert stored[0].buttons == buttons


# -- the token cache ---------------------------------------------------------------------------------------


async def test_the_access_token_is_shared_across_restarts_and_refreshed_before_expiry(
    tmp_path: Path, fake_wechat: FakeWeChat
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    upgrade_schema(url)
    state = ChannelStateStore(session_factory(url))
    now = [1_800_000_000.0]
    async with httpx.AsyncClient(base_url=fake_wechat.base_url) as http:
        first = WeChatApi(http, APP_ID, SecretStr(APP_SECRET), state, clock=lambda: now[0])
        token = await first.access_token()
        assert await first.access_token() == token
        # Another replica (or the app after a restart) finds the token in the database.
        second = WeChatApi(http, APP_ID, SecretStr(APP_SECRET), state, clock=lambda: now[0])
        assert await second.access_token() == token and fake_wechat.token_requests == 1
        now[0] += 7200 - 200  # within the refresh margin: fetched anew, and shared again
        renewed = await second.access_token()
        assert renewed != token and fake_wechat.token_requests == 2
        assert await first.access_token() == renewed and fake_wechat.token_requests == 2
        wrong = WeChatApi(http, APP_ID, SecretStr("not-the-secret"))
        with pytest.raises(WeChatApiError, match="40125") as raised:
            await wrong.access_token()
        assert "not-the-secret" not in str(raised.value)


async def test_unreachable_wechat_raises_without_leaking_the_url() -> None:
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as http:
        api = WeChatApi(http, APP_ID, SecretStr(APP_SECRET))
        with pytest.raises(WeChatApiError, match="unreachable") as raised:
            await api.send_text(OPENID, "hi")
    assert APP_SECRET not in str(raised.value)


# -- settings ----------------------------------------------------------------------------------------------


def test_settings_enable_the_channel_only_when_complete_and_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ID", "APP_SECRET", "TOKEN", "ENCODING_AES_KEY"):
        monkeypatch.delenv(f"WECHAT_{name}", raising=False)
    assert WeChatSettings().enabled is False
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    with pytest.raises(ValidationError, match="WECHAT_APP_SECRET, WECHAT_TOKEN"):
        WeChatSettings()
    monkeypatch.setenv("WECHAT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    settings = WeChatSettings()
    assert settings.enabled and settings.encrypted
    assert APP_SECRET not in repr(settings) and AES_KEY not in repr(settings) and TOKEN not in repr(settings)
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "too-short")
    with pytest.raises(ValidationError, match="EncodingAESKey"):
        WeChatSettings()
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    monkeypatch.setenv("WECHAT_TOKEN", "bad token!")
    with pytest.raises(ValidationError, match="WECHAT_TOKEN"):
        WeChatSettings()


def test_the_registry_installs_the_channel_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.registry import configured_channels

    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECHAT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    assert "wechat" in [adapter.name for adapter in configured_channels()]
