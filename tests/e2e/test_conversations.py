"""Whole conversations through the conversation API, against real Rasa, actions and retriever."""

from __future__ import annotations

import httpx
import pytest

from bench.system import System
from desk.database import session_factory
from desk.feedback import FeedbackBook
from tests.e2e.conftest import Customer, agent_headers, text_of

pytestmark = pytest.mark.e2e


def test_chinese_faq_answer_states_the_handbook_fact(customer: Customer) -> None:
    reply = customer.say("扫地机器人的电池坏了，保修多久？")
    assert reply["turn"]["outcome"] == "answered"
    assert reply["turn"]["faq_id"] == "p08-warranty-battery"
    assert 0 < reply["turn"]["confidence"] <= 1
    assert "1 年" in text_of(reply)
    assert reply["turn"]["status"] == "bot"
    assert [b["payload"] for b in reply["messages"][0]["buttons"]] == [
        '/vote{"faq_id":"p08-warranty-battery","vote":"up"}',
        '/vote{"faq_id":"p08-warranty-battery","vote":"down"}',
    ]


def test_english_faq_answer_states_the_handbook_fact(customer: Customer) -> None:
    reply = customer.say("How long does a refund to WeChat Pay take?")
    assert reply["turn"]["outcome"] == "answered"
    assert reply["turn"]["faq_id"] == "p11-refund-time-by-payment-method"
    assert "1–3 working days" in text_of(reply)


def test_greeting_in_each_language(customer: Customer, system: System) -> None:
    zh = customer.say("你好")
    assert zh["turn"]["outcome"] == "smalltalk"
    assert "禾光" in text_of(zh)
    en = Customer(system.app_url).say("hello there")
    assert en["turn"]["outcome"] == "smalltalk"
    assert "Lumio" in text_of(en)


@pytest.mark.parametrize(
    ("text", "marker"),
    [("明天上海的天气怎么样？", "退"), ("Can you write me a poem about the sea?", "return")],
)
def test_out_of_scope_is_declined_not_answered_with_an_faq(customer: Customer, text: str, marker: str) -> None:
    reply = customer.say(text)
    assert reply["turn"]["outcome"] == "declined"
    assert reply["turn"]["faq_id"] is None
    assert marker in text_of(reply)  # the hint of what the assistant can do


# Short, broad questions that several entries answer: the assistant should ask which one is meant.
BROAD = ["保修", "退货", "发票", "退款", "warranty", "refund", "invoice", "return"]


def test_a_near_tie_asks_did_you_mean_and_a_choice_answers(system: System) -> None:
    replies = [(Customer(system.app_url), text) for text in BROAD]
    clarified = [(c, r) for c, r in ((c, c.say(text)) for c, text in replies) if r["turn"]["outcome"] == "clarified"]
    assert clarified, "no broad question was met with a 'did you mean'"
    customer, reply = clarified[0]
    options = reply["messages"][0]["buttons"]
    assert options
    assert all(b["payload"].startswith('/choose_faq{"faq_id":') for b in options)
    chosen = customer.press(reply, 0)
    assert chosen["turn"]["outcome"] == "answered"
    assert chosen["turn"]["faq_id"] in options[0]["payload"]


def test_a_thumbs_down_is_stored_against_the_faq(customer: Customer, system: System) -> None:
    answer = customer.say("How long is the warranty on the battery?")
    assert answer["turn"]["outcome"] == "answered"
    vote = customer.press(answer, 1)
    assert vote["turn"]["outcome"] == "feedback"
    assert vote["turn"]["faq_id"] == answer["turn"]["faq_id"]
    transcript = customer.conversation()["transcript"]
    assert transcript[-2]["payload"].endswith('"vote":"down"}')
    book = FeedbackBook(session_factory(system.database_url))
    votes = [(f.kind, f.vote, f.faq_id, f.language) for f in book.for_conversation(customer.id)]
    assert votes == [("vote", "down", answer["turn"]["faq_id"], "en")]


@pytest.mark.parametrize("text", ["转人工", "I want to talk to a human agent"])
def test_explicit_handoff_opens_a_normal_escalation_and_silences_the_bot(customer: Customer, text: str) -> None:
    reply = customer.say(text)
    assert reply["turn"]["outcome"] == "handoff"
    assert reply["turn"]["priority"] == "normal"
    assert reply["turn"]["status"] == "queued"
    conversation = customer.conversation()
    assert conversation["escalation"]["reason"] == "customer_request"

    waiting = customer.say(
        "还在吗？我的订单号是 LM202611260001" if "转" in text else "hello? my order is LM202611260001"
    )
    # The bot does not answer while humans own the conversation; it only says where the customer stands.
    assert len(waiting["messages"]) == 1
    notice = waiting["messages"][0]["text"]
    assert (
        ("排在第" in notice or "09:00" in notice) if "转" in text else ("in the queue" in notice or "09:00" in notice)
    )
    assert waiting["turn"] == {
        "status": "queued",
        "outcome": "queued",
        "faq_id": None,
        "confidence": None,
        "priority": None,
    }
    transcript = customer.conversation()["transcript"]
    assert transcript[-2]["sender"] == "customer" and transcript[-2]["state"] == "held"


@pytest.mark.parametrize(
    "text", ["我家空调插座那里冒烟了，还有焦糊味", "My air purifier is smoking and smells like burning plastic"]
)
def test_safety_incident_hands_off_with_urgent_priority(customer: Customer, text: str) -> None:
    reply = customer.say(text)
    assert reply["turn"]["outcome"] == "handoff"
    assert reply["turn"]["priority"] == "urgent"
    said = text_of(reply)
    assert ("断开电源" in said) or ("unplug" in said)
    escalation = customer.conversation()["escalation"]
    assert escalation["reason"] == "safety"
    assert escalation["priority"] == "urgent"


def test_complaint_with_a_regulator_threat_is_high_priority(customer: Customer) -> None:
    reply = customer.say("你们服务太差了，我要去12315投诉你们")
    assert reply["turn"]["outcome"] == "handoff"
    assert reply["turn"]["priority"] == "high"


def test_escalation_records_order_numbers_and_retrieval_candidates(system: System, customer: Customer) -> None:
    customer.say("订单 LM202611260001 的发票怎么开专票？")
    customer.say("我要人工客服")
    assert "identifiers" not in customer.conversation()["escalation"]  # the agents' case notes, not the customer's
    agent = agent_headers(system, "e2e-case-reader")
    queue = httpx.get(f"{system.app_url}/api/v1/escalations", headers=agent, timeout=60).json()
    escalation_id = next(e["id"] for e in queue if e["conversation_id"] == customer.id)
    case = httpx.get(f"{system.app_url}/api/v1/escalations/{escalation_id}", headers=agent, timeout=60).json()
    assert case["identifiers"]["order_number"] == ["LM202611260001"]
    assert case["candidates"] and "score" in case["candidates"][0]


def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(system: System) -> None:
    customer = Customer(system.app_url)
    first = customer.say("What's the warranty on the motor of my air conditioner?")
    assert first["turn"]["outcome"] == "answered"
    system.restart_app()
    system.restart_rasa()
    again = Customer(system.app_url, customer.started)
    second = again.say("扫地机器人的电池保修多久？")
    assert second["turn"]["outcome"] == "answered"
    transcript = again.conversation()["transcript"]
    assert [m["sender"] for m in transcript] == ["customer", "bot", "customer", "bot"]
    # Rasa kept its tracker too: both customer messages are in it, and the language slot survived.
    tracker = httpx.get(f"{system.rasa_url}/conversations/{customer.id}/tracker", params={"token": system.token}).json()
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["What's the warranty on the motor of my air conditioner?", "扫地机器人的电池保修多久？"]
    assert tracker["slots"]["language"] == "zh"
