"""The eligibility form's actions through rasa-sdk's executor, with the desk on SQLite: the case read
from each message, exactly one question at a time, the answer with its reason, the verified order's
dates winning over the customer's words."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions.eligibility import ANSWER, FORM, STATE
from desk.copy import say
from desk.models import utcnow
from desk.orders.lookup_numbers import LookupKind, LookupNumber
from desk.orders.records import Address, Category, Customer, Order, OrderItem, OrderStatus
from desk.services import DeskServices
from tests.actions.conftest import action_call
from tests.actions.test_actions import run, slot_events, turn

NUMBER = "LM202612060201"
DIGITS = "4321"


def form_call(text: str, intent: str, *, slots: dict[str, Any] | None = None, active: bool = True) -> dict[str, Any]:
    call = action_call(f"validate_{FORM}", text, intent, slots={"language": "zh", **(slots or {})})
    call["domain"] = {"forms": {FORM: {"required_slots": [STATE]}}}
    call["tracker"]["active_loop"] = {"name": FORM} if active else {}
    return call


async def play(executor: ActionExecutor, text: str, intent: str, slots: dict[str, Any]) -> dict[str, Any]:
    """One message through the form: its slots afterwards (the state, what is requested next; no
    `requested_slot` when the form has all it needs and Rasa ends it)."""
    result = await run(executor, form_call(text, intent, slots=slots, active=bool(slots.get(STATE))))
    return after(slots, result)


def after(slots: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in slots.items() if name != "requested_slot"} | slot_events(result)


async def ask(executor: ActionExecutor, slots: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = await run(executor, action_call(f"action_ask_{ANSWER}", "", "inform", slots=slots))
    assert turn(result)["outcome"] == "eligibility"
    return result["responses"][0]["text"], slots | slot_events(result)


async def answer(executor: ActionExecutor, slots: dict[str, Any], text: str = "") -> dict[str, Any]:
    return await run(executor, action_call("action_answer_eligibility", text, "inform", slots=slots))


async def test_every_fact_given_is_answered_at_once(executor: ActionExecutor) -> None:
    slots = await play(executor, "机器人充不进电了，还在保修期吗，买了14个月", "check_eligibility", {"language": "zh"})
    assert slots.get("requested_slot") is None
    result = await answer(executor, slots)
    text = result["responses"][0]["text"]
    assert "电池保修 1 年" in text and "14 个月" in text and "（P8）" in text
    assert say("case_estimated", "zh") in text  # the purchase date stands for the invoice date
    assert turn(result)["outcome"] == "eligibility"
    assert slot_events(result) == {STATE: None, ANSWER: None}


async def test_the_one_missing_fact_is_asked_and_its_answer_read(executor: ActionExecutor) -> None:
    slots = await play(executor, "我半个月前买的空气净化器有异味，能退吗？", "check_eligibility", {"language": "zh"})
    assert slots["requested_slot"] == ANSWER
    question, slots = await ask(executor, slots)
    assert question == say("case_ask_delivered_on", "zh")
    assert json.loads(slots[STATE])["asked"] == "delivered_on"
    slots = await play(executor, "前天签收的", "inform", slots)
    assert slots.get("requested_slot") is None
    text = (await answer(executor, slots))["responses"][0]["text"]
    assert text.startswith("签收第 2 天") and "（P6）" in text and "（P7）" in text


async def test_a_question_not_answered_twice_ends_with_a_human_offered(executor: ActionExecutor) -> None:
    slots = await play(executor, "收到10天了还能换货吗", "check_eligibility", {"language": "zh"})
    question, slots = await ask(executor, slots)
    assert question == say("case_ask_quality_problem", "zh")
    for attempt in range(2):
        result = await run(executor, form_call("让我想想", "inform", slots=slots))
        assert result["responses"][0]["text"] == say("case_ask_again", "zh")
        slots = after(slots, result)
        if attempt == 0:
            assert slots["requested_slot"] == ANSWER
            _, slots = await ask(executor, slots)
    assert slots.get("requested_slot") is None
    reply = (await answer(executor, slots))["responses"][0]
    assert say("case_undecided", "zh") in reply["text"]
    assert [button["payload"] for button in reply["buttons"]] == ["/request_human"]


async def test_a_no_answers_the_quality_question(executor: ActionExecutor) -> None:
    slots = await play(executor, "收到10天了还能换货吗", "check_eligibility", {"language": "zh"})
    _, slots = await ask(executor, slots)
    slots = await play(executor, "不是", "deny", slots)
    assert slots.get("requested_slot") is None
    text = (await answer(executor, slots))["responses"][0]["text"]
    assert "不是质量问题" in text and "（P7）" in text


async def test_an_escalation_is_not_read_into_the_case(executor: ActionExecutor) -> None:
    slots = await play(executor, "我半个月前买的空气净化器有异味，能退吗？", "check_eligibility", {"language": "zh"})
    result = await run(executor, form_call("转人工", "request_human", slots=slots))
    assert STATE not in slot_events(result)


async def test_the_verified_order_decides_over_the_words(executor: ActionExecutor, services: DeskServices) -> None:
    delivered = utcnow() - timedelta(days=9)
    services.order_book.put_order(
        Order(
            number=NUMBER,
            customer=Customer("钱七", "13500134321"),
            status=OrderStatus.DELIVERED,
            address=Address("上海市", "上海市", "浦东新区", "世纪大道 1 号"),
            items=(OrderItem("AP-X1", "Lumio 净化器 X1", Category.AIR_PURIFIER, "AP2411000011", Decimal("1299"), 1),),
            paid_at=delivered - timedelta(days=2),
            shipped_at=delivered - timedelta(days=1),
            delivered_at=delivered,
            invoice_date=delivered + timedelta(days=1),
            carrier="SF Express",
            tracking_number="SF0002223334",
        )
    )
    services.lookups.check("conv-1", LookupNumber(LookupKind.ORDER, NUMBER), DIGITS)
    slots = await play(executor, "净化器有异味，前天收到的，能退吗", "check_eligibility", {"language": "zh"})
    assert slots.get("requested_slot") is None
    text = (await answer(executor, slots))["responses"][0]["text"]
    assert "签收第 9 天" in text and say("case_estimated", "zh") not in text


async def test_no_remedy_in_the_words_is_answered_from_the_knowledge_base(executor: ActionExecutor) -> None:
    slots = await play(executor, "How long is the battery warranty?", "check_eligibility", {"language": "en"})
    result = await answer(executor, slots, "How long is the battery warranty?")
    assert turn(result)["outcome"] == "answered"
    assert result["responses"][0]["text"] == "battery: 1 year"
