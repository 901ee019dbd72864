"""A WeChat Official Account message through the real system (Rasa, actions, retriever): a signed
callback, as WeChat's servers send it, gets the FAQ answer as a passive reply within the budget.
WeChat's API is the loopback fake: nothing here may reach api.weixin.qq.com."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from bench.fakes.wechat import FakeWeChat
from bench.system import System, missing_prerequisites, rasa_model
from channels.wechat.protocol import signature_of
from desk.models import utcnow
from desk.orders.demo import load_demo
from desk.services import DeskServices
from desk.settings import DeskSettings
from desk.working_days import beijing_date
from tests.conversation_api import start_conversation

pytestmark = pytest.mark.e2e

APP_ID = "wx5f6e7d8c9b0a1234"
APP_SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "LumioWeChatToken2026"
OPENID = "oLumio_e2e_customer_000001"
BUDGET = 4.5


@pytest.fixture(scope="module")
def wechat_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    fake = FakeWeChat(APP_ID, APP_SECRET).start()
    workdir: Path = tmp_path_factory.mktemp("wechat-system")
    env = {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_API_BASE_URL": fake.base_url,
        "WECHAT_REPLY_BUDGET_SECONDS": str(BUDGET),
    }
    running = System(workdir=workdir, model=rasa_model(), extra_env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        fake.stop()


def test_a_faq_question_gets_its_answer_as_a_passive_reply(wechat_system: System) -> None:
    stamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {"signature": signature_of(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": OPENID}
    xml = (
        f"<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[扫地机器人的电池坏了，保修多久？]]></Content><MsgId>24681357902468135</MsgId></xml>"
    )
    response = httpx.post(f"{wechat_system.app_url}/channels/wechat", params=query, content=xml.encode(), timeout=10)
    # Not "success": the answer came within the passive-reply budget, in the response itself.
    assert response.status_code == 200 and response.text != "success", response.text
    reply = {child.tag: child.text or "" for child in ElementTree.fromstring(response.text)}
    assert reply["MsgType"] == "text" and reply["ToUserName"] == OPENID
    assert "1 年" in reply["Content"]
    assert "1. 👍 有帮助\n2. 👎 没帮助" in reply["Content"]
    services = DeskServices.for_settings(DeskSettings(database_url=wechat_system.database_url))
    assert services.conversations.transcript(f"wechat:{OPENID}")[1].faq_id == "p08-warranty-battery"
    # The public conversation API does not serve another channel's conversations.
    with httpx.Client(timeout=10) as client:
        browser = start_conversation(client, wechat_system.app_url)
        hidden = client.get(f"{wechat_system.app_url}/api/v1/conversations/wechat:{OPENID}", headers=browser.headers)
    assert hidden.status_code == 404


def passive_reply(system: System, text: str, msg_id: int, openid: str = OPENID) -> str:
    """A signed text message from `openid`, as WeChat sends it; the passive reply's text."""
    stamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {"signature": signature_of(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": openid}
    xml = (
        f"<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    response = httpx.post(f"{system.app_url}/channels/wechat", params=query, content=xml.encode(), timeout=10)
    assert response.status_code == 200 and response.text != "success", response.text
    return ElementTree.fromstring(response.text).findtext("Content") or ""


def test_an_order_lookup_over_wechat_checks_the_phone_within_the_passive_reply(wechat_system: System) -> None:
    services = DeskServices.for_settings(DeskSettings(database_url=wechat_system.database_url))
    demo = load_demo(services.order_book, beijing_date(utcnow())).demo
    number = "LM990000000002"
    digits = demo.phone_of(number)[-4:]
    openid = "oLumio_e2e_customer_000002"
    assert "后 4 位" in passive_reply(wechat_system, f"我的订单{number}到哪了", 24681357902468201, openid)
    wrong = passive_reply(wechat_system, "0000" if digits != "0000" else "1111", 24681357902468202, openid)
    assert "不匹配" in wrong
    answer = passive_reply(wechat_system, f"尾号{digits}", 24681357902468203, openid)
    assert "已发货" in answer and "运单号" in answer
    assert digits not in answer
