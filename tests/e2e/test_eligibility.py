"""Eligibility cases (P6–P8, P10, P12, P13) through the conversation API, against real Rasa, the
action server and the app: the decision with its reason, the one question when a fact is missing, the
verified order's dates, and escalations leaving the case. (`rasa test` runs no custom action.)"""

from __future__ import annotations

import pytest

from bench.system import System
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.desk.eligibility.delivered_orders import delivered_purifier
from tests.e2e.conftest import Customer, text_of

pytestmark = pytest.mark.e2e

PHONE = "13700137358"
NUMBER = "LM202612069901"


@pytest.fixture(scope="module")
def services(system: System) -> DeskServices:
    return DeskServices.for_settings(DeskSettings(database_url=system.database_url))


def test_the_issue_case_in_chinese_is_decided_with_its_reason(system: System) -> None:
    reply = Customer(system.app_url).say("机器人充不进电了，还在保修期吗，买了14个月")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "eligibility"
    assert "电池保修 1 年" in text and "14 个月" in text and "已于" in text and "（P8）" in text
    assert "免费检测" in text and "报价" in text


def test_the_issue_case_in_english_is_decided_with_its_reason(system: System) -> None:
    reply = Customer(system.app_url).say("Hi, my vacuum stopped charging after 14 months. Is it still under warranty?")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "eligibility"
    assert "Battery warranty is 1 year" in text and "at 14 months it ended" in text and "(P8)" in text


def test_the_missing_delivery_date_is_asked_then_decided(system: System) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("我半个月前买的空气净化器有异味，能退吗？")
    assert reply["turn"]["outcome"] == "eligibility"
    assert "哪天签收" in text_of(reply)
    reply = customer.say("前天签收的")
    text = text_of(reply)
    assert text.startswith("签收第 2 天") and "（P6）" in text and "（P7）" in text


def test_a_change_of_mind_in_english(system: System) -> None:
    reply = Customer(system.app_url).say("my purifier arrived 3 days ago and I changed my mind, can I return it?")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "eligibility"
    assert text.startswith("Day 3 after delivery") and "no-reason return is possible" in text and "(P6)" in text


def test_a_human_asked_for_in_the_middle_of_a_case(system: System) -> None:
    customer = Customer(system.app_url)
    assert "delivered" in text_of(customer.say("I bought the purifier 2 weeks ago and it smells bad, can I return it?"))
    reply = customer.say("I want to talk to a human agent")
    assert reply["turn"]["outcome"] == "handoff"


def test_the_verified_order_decides(system: System, services: DeskServices) -> None:
    services.order_book.put_order(delivered_purifier(NUMBER, PHONE, days_ago=9))
    customer = Customer(system.app_url)
    customer.say(f"我的订单{NUMBER}到哪了")
    assert "已签收" in text_of(customer.say(f"尾号{PHONE[-4:]}"))
    reply = customer.say("这个净化器有异味，能换货吗")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "eligibility"
    assert text.startswith("签收第 9 天") and "（P7）" in text and "推算" not in text


def test_a_return_asked_for_is_opened_and_shown_to_agents(system: System, services: DeskServices) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("我要退货，净化器前天收到的，有异味")
    assert "订单号" in text_of(reply) and reply["turn"]["outcome"] == "eligibility"
    reply = customer.say("LM202612069902")
    text = text_of(reply)
    assert "因质量问题退货" in text and "已为您提交退货申请" in text and "照片或视频" in text
    (request,) = services.requests.for_conversation(customer.id)
    assert (request.kind, request.status, request.order_number) == ("return", "pending", "LM202612069902")
    assert request.eligibility["rule_id"] == "P7.quality_return"


def test_an_offered_request_is_opened_with_the_button(system: System, services: DeskServices) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("my earbuds arrived 2 days ago and I changed my mind, can I return them?")
    assert "(P6)" in text_of(reply)
    reply = customer.press(reply, 0)
    assert "order number" in text_of(reply)
    reply = customer.say("I don't know it")
    assert "return request" in text_of(reply)
    (request,) = services.requests.for_conversation(customer.id)
    assert request.order_number is None and request.eligibility["rule_id"] == "P6.no_reason_return"


def test_no_request_when_the_policy_allows_none(system: System, services: DeskServices) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("I want to return the speaker, it was delivered 20 days ago and I don't need it")
    text = text_of(reply)
    assert "(P6)" in text and "request" not in text
    assert services.requests.for_conversation(customer.id) == []


def test_a_safety_incident_in_a_warranty_question_is_handed_over_urgently(system: System) -> None:
    reply = Customer(system.app_url).say("空调买了半年，今天开机冒烟了，能保修吗")
    assert reply["turn"]["outcome"] == "handoff" and reply["turn"]["priority"] == "urgent"
    assert "断开电源" in text_of(reply)


def test_a_follow_up_after_the_answer_continues_the_case(system: System) -> None:
    customer = Customer(system.app_url)
    assert "（P6）" in text_of(customer.say("前天收到的耳机，不想要了能退吗"))
    reply = customer.say("哦对了，我已经用过几天了")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "eligibility" and "（P6）" in text and "超出正常检查" in text


def test_a_question_in_the_middle_of_a_case_is_answered_and_the_case_goes_on(system: System) -> None:
    customer = Customer(system.app_url)
    assert "哪天签收" in text_of(customer.say("我半个月前买的空气净化器有异味，能退吗？"))
    reply = customer.say("退款到微信一般要几天？")
    assert reply["turn"]["outcome"] == "answered"
    assert reply["turn"]["faq_id"] == "p11-refund-time-by-payment-method"
    assert "哪天签收" in text_of(reply)  # the case's question, asked again
    assert text_of(customer.say("前天签收的")).startswith("签收第 2 天")
