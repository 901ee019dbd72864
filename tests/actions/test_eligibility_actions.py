"""The eligibility form's actions through rasa-sdk's executor, with the desk on SQLite: the case read
from each message, exactly one question at a time, the answer with its reason, the verified order's
dates winning over the customer's words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.case_state import FORM, STATE
from actions.eligibility import ANSWER
from desk.copy import say
from desk.orders.lookup_numbers import LookupKind, LookupNumber
from desk.services import DeskServices
from tests.actions.conftest import action_call
from tests.actions.test_actions import run, slot_events, turn
from tests.desk.eligibility.delivered_orders import delivered_purifier

NUMBER = "LM202612060201"
DIGITS = "4321"


def form_call(text: str, intent: str, *, slots: dict[str, Any] | None = None, active: bool = True) -> dict[str, Any]:
    call = action_call(f"validate_{FORM}", text, intent, slots={"language": "zh", **(slots or {})})
    call["domain"] = {"forms": {FORM: {"required_slots": [STATE]}}}
    call["tracker"]["active_loop"] = {"name": FORM} if active else {}
    return call


async def play(
    executor: ActionExecutor, text: str, intent: str, slots: dict[str, Any], *, starting: bool = False
) -> dict[str, Any]:
    """One message through the form: its slots afterwards (the state, what is requested next; no
    `requested_slot` when the form has all it needs and Rasa ends it). The form is active once a
    case is in the slots, unless this message starts it again (`starting`)."""
    active = bool(slots.get(STATE)) and not starting
    result = await run(executor, form_call(text, intent, slots=slots, active=active))
    return after(slots, result)


def after(slots: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in slots.items() if name != "requested_slot"} | slot_events(result)


async def ask(executor: ActionExecutor, slots: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = await run(executor, action_call(f"action_ask_{ANSWER}", "", "inform", slots=slots))
    assert turn(result)["outcome"] == "eligibility"
    return result["responses"][0]["text"], slots | slot_events(result)


async def answer(executor: ActionExecutor, slots: dict[str, Any], text: str = "") -> dict[str, Any]:
    """The answer once the form is done with the case in `slots`."""
    call = action_call("action_answer_eligibility", text, "inform", slots=slots)
    call["tracker"]["latest_action_name"] = FORM
    return await run(executor, call)


async def new_case(executor: ActionExecutor, text: str, language: str = "zh") -> dict[str, Any]:
    """A new case's first message, straight to the answer action (the rules' first step)."""
    return await run(
        executor, action_call("action_answer_eligibility", text, "check_eligibility", slots={"language": language})
    )


async def test_every_fact_given_is_answered_at_once(executor: ActionExecutor) -> None:
    result = await new_case(executor, "机器人充不进电了，还在保修期吗，买了14个月")
    text = result["responses"][0]["text"]
    assert "电池保修 1 年" in text and "14 个月" in text and "（P8）" in text
    assert say("case_estimated", "zh") in text  # the purchase date stands for the invoice date
    assert turn(result)["outcome"] == "eligibility"
    assert slot_events(result)["case_asking"] is False
    assert slot_events(result)["request_offered"] is True  # P8: a quoted repair
    assert {
        value for name, value in slot_events(result).items() if name not in ("case_asking", "request_offered", STATE)
    } == {None}
    assert slot_events(result)[STATE]  # kept: a follow-up continues the case


async def test_a_new_case_with_a_fact_missing_is_handed_to_the_form(executor: ActionExecutor) -> None:
    result = await new_case(executor, "我半个月前买的空气净化器有异味，能退吗？")
    assert result["responses"] == []
    assert slot_events(result)["case_asking"] is True and slot_events(result)[STATE]
    assert result["events"][-1] == {"event": "followup", "timestamp": None, "name": FORM}


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


async def test_a_question_while_a_fact_is_asked_is_answered_and_the_fact_asked_again(executor: ActionExecutor) -> None:
    slots = await play(executor, "我半个月前买的空气净化器有异味，能退吗？", "check_eligibility", {"language": "zh"})
    _, slots = await ask(executor, slots)
    result = await run(executor, form_call("退款多久到账", "ask_faq", slots=slots))
    assert [r["text"] for r in result["responses"] if r.get("text")] == ["1-3 working days"]
    assert turn(result)["outcome"] == "answered"
    slots = after(slots, result)
    assert slots["requested_slot"] == ANSWER and json.loads(slots[STATE])["tries"] == 0  # not counted as a try
    question, slots = await ask(executor, slots)
    assert question == say("case_ask_delivered_on", "zh")
    slots = await play(executor, "前天签收的", "inform", slots)
    assert slots.get("requested_slot") is None


async def test_what_the_knowledge_base_cannot_answer_outright_is_read_as_the_reply(executor: ActionExecutor) -> None:
    slots = await play(executor, "收到10天了还能换货吗", "check_eligibility", {"language": "zh"})
    _, slots = await ask(executor, slots)
    result = await run(executor, form_call("让我想想", "ask_faq", slots=slots))
    assert result["responses"][0]["text"] == say("case_ask_again", "zh")


async def test_a_question_while_the_order_number_is_asked_is_answered_and_it_is_asked_again(
    executor: ActionExecutor, services: DeskServices
) -> None:
    slots = await request_started(executor, services, "我要退货，净化器前天收到的，有异味")
    assert slots["requested_slot"] == "request_order"
    result = await run(executor, form_call("退款多久到账", "ask_faq", slots=slots))
    assert turn(result)["outcome"] == "answered"
    slots = after(slots, result)
    assert slots["requested_slot"] == "request_order" and slots.get("request_order") is None
    assert services.requests.for_conversation("conv-1") == []


async def test_an_escalation_is_not_read_into_the_case(executor: ActionExecutor) -> None:
    slots = await play(executor, "我半个月前买的空气净化器有异味，能退吗？", "check_eligibility", {"language": "zh"})
    result = await run(executor, form_call("转人工", "request_human", slots=slots))
    assert STATE not in slot_events(result)


async def test_the_verified_order_decides_over_the_words(executor: ActionExecutor, services: DeskServices) -> None:
    services.order_book.put_order(delivered_purifier(NUMBER, "13500134321", days_ago=9))
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


# --- requests ------------------------------------------------------------------------------------


def chat(services: DeskServices, text: str, *, attachments: tuple[str, ...] = ()) -> None:
    """The customer's message as the turn service stores it (a request needs its conversation)."""
    stored = "\n".join((text, *attachments))
    services.conversations.record_inbound("conv-1", text=stored, payload=None, language="zh", channel="api")


async def request_started(executor: ActionExecutor, services: DeskServices, first: str) -> dict[str, Any]:
    """A request's first message, stored as the turn service stores it, read by the form."""
    chat(services, first)
    return await play(executor, first, "check_eligibility", {"language": "zh"})


async def test_a_request_asked_for_and_allowed_is_opened_after_its_order_number(
    executor: ActionExecutor, services: DeskServices
) -> None:
    first = "我要退货，净化器前天收到的，有异味"
    chat(services, first, attachments=("[image] https://example.com/smell.jpg",))
    slots = await play(executor, first, "check_eligibility", {"language": "zh"})
    assert slots["requested_slot"] == "request_order"
    question = await run(executor, action_call("action_ask_request_order", first, "inform", slots=slots))
    assert "订单号" in question["responses"][0]["text"]
    slots = await play(executor, "LM202612060301", "inform", slots)
    assert slots.get("requested_slot") is None and slots["request_order"] == "LM202612060301"
    text = (await answer(executor, slots))["responses"][0]["text"]
    assert "因质量问题退货" in text and "已为您提交退货申请" in text and "顺丰" in text
    (request,) = services.requests.for_conversation("conv-1")
    assert (request.kind, request.order_number, request.quality_problem) == ("return", "LM202612060301", True)
    assert request.eligibility["rule_id"] == "P7.quality_return" and request.eligibility["estimated"] is False
    assert request.attachments == ["[image] https://example.com/smell.jpg"] and request.reason == first


async def test_an_allowed_remedy_not_asked_for_is_offered_then_opened(
    executor: ActionExecutor, services: DeskServices
) -> None:
    chat(services, "前天收到的耳机，不想要了能退吗")
    result = await new_case(executor, "前天收到的耳机，不想要了能退吗")
    (reply,) = [r for r in result["responses"] if r.get("text")]
    assert [b["payload"] for b in reply["buttons"]] == ["/open_request"]
    kept = after({"language": "zh"}, result)
    assert kept[STATE] is not None and services.requests.for_conversation("conv-1") == []
    slots = await play(executor, "/open_request", "open_request", kept, starting=True)
    assert slots["requested_slot"] == "request_order"
    slots = await play(executor, "不知道订单号", "inform", slots)
    assert slots["request_order"] == "none"
    text = (await answer(executor, slots))["responses"][0]["text"]
    assert "已为您提交退货申请" in text and "运费由您承担" in text
    (request,) = services.requests.for_conversation("conv-1")
    assert request.order_number is None and request.eligibility["rule_id"] == "P6.no_reason_return"


async def test_a_typed_yes_opens_the_offered_request_and_only_an_offered_one(
    executor: ActionExecutor, services: DeskServices
) -> None:
    chat(services, "前天收到的耳机，不想要了能退吗")
    result = await new_case(executor, "前天收到的耳机，不想要了能退吗")
    kept = after({"language": "zh"}, result)
    assert kept["request_offered"] is True
    slots = await play(executor, "好的", "affirm", kept, starting=True)
    assert slots["requested_slot"] == "request_order"
    # Without the offer a "yes" is not a request: the case is taken up as it was.
    slots = await play(executor, "好的", "affirm", kept | {"request_offered": False}, starting=True)
    assert slots.get("requested_slot") is None


async def test_a_repair_asks_for_the_serial_number_and_gets_an_rma_number(
    executor: ActionExecutor, services: DeskServices
) -> None:
    slots = await request_started(executor, services, "帮我报修，扫地机买了5个月，不开机了")
    slots = await play(executor, "LM202612060302", "inform", slots)
    assert slots["requested_slot"] == "request_serial"
    slots = await play(executor, "sn是rv2406123456", "inform", slots)
    text = (await answer(executor, slots))["responses"][0]["text"]
    (request,) = services.requests.for_conversation("conv-1")
    assert request.serial_number == "RV2406123456" and request.rma_number and request.rma_number in text
    assert request.eligibility["rule_id"] == "P8.whole_unit"


async def test_no_request_is_opened_or_offered_when_the_policy_allows_none(
    executor: ActionExecutor, services: DeskServices
) -> None:
    chat(services, "我要退货，收到20天了，不想要了")
    slots = await play(executor, "我要退货，收到20天了，不想要了", "check_eligibility", {"language": "zh"})
    assert slots.get("requested_slot") is None
    reply = (await answer(executor, slots))["responses"][0]
    assert "已过 7 天" in reply["text"] and not reply["buttons"]
    assert services.requests.for_conversation("conv-1") == []


async def test_a_case_taken_for_a_question_goes_to_the_eligibility_answer(executor: ActionExecutor) -> None:
    result = await run(executor, action_call("action_answer_faq", "这个净化器有异味，能换货吗", "ask_faq"))
    assert result["events"] == [{"event": "followup", "timestamp": None, "name": "action_answer_eligibility"}]
    assert result["responses"] == []


async def test_a_policy_question_stays_with_the_knowledge_base(executor: ActionExecutor) -> None:
    result = await run(executor, action_call("action_answer_faq", "How long is the battery warranty?", "ask_faq"))
    assert result["responses"][0]["text"] == "battery: 1 year"


@pytest.mark.parametrize(
    "text",
    ["已经开机激活过的还能无理由退吗？", "用券买的价格能申请价保吗", "Can a Lumio gift card be returned for a refund?"],
)
async def test_a_condition_or_flag_alone_is_a_policy_question(executor: ActionExecutor, text: str) -> None:
    """A condition, cause or price flag with no date, no item of theirs and nothing going wrong is how a
    question about the policy is put: the knowledge base answers it."""
    result = await run(executor, action_call("action_answer_faq", text, "ask_faq"))
    assert result["events"] != [{"event": "followup", "timestamp": None, "name": "action_answer_eligibility"}]


async def follow_up(
    executor: ActionExecutor, text: str, kept: dict[str, Any], intent: str = "ask_faq"
) -> dict[str, Any]:
    """A later message after an answer: a case intent goes to the answer action; another goes to the
    FAQ action, which hands it over."""
    if intent != "check_eligibility":
        faq = await run(executor, action_call("action_answer_faq", text, intent, slots=kept))
        assert faq["events"] == [{"event": "followup", "timestamp": None, "name": "action_answer_eligibility"}]
    return await run(executor, action_call("action_answer_eligibility", text, intent, slots=kept))


async def test_a_follow_up_continues_the_case_answered(executor: ActionExecutor) -> None:
    first = await new_case(executor, "前天收到的耳机，不想要了能退吗")
    assert "（P6）" in first["responses"][0]["text"]
    kept = after({"language": "zh"}, first)
    text = (await follow_up(executor, "哦对了，我已经用过几天了", kept))["responses"][0]["text"]
    assert "无理由退货" in text and "（P6）" in text and "不" in text


async def test_a_refused_return_of_a_faulty_item_offers_the_exchange_still_allowed(executor: ActionExecutor) -> None:
    result = await new_case(executor, "我要退货，扫地机10天前收到的，不开机了")
    reply = result["responses"][0]
    assert "（P6）" in reply["text"] and "换货" in reply["text"]
    kept = after({"language": "zh"}, result)
    # "Then exchange it": the same case, now an exchange, which the form opens after the order number.
    result = await follow_up(executor, "算了不退了，给我换一台新的吧", kept, "check_eligibility")
    assert slot_events(result)["case_asking"] is True
    assert json.loads(slot_events(result)[STATE])["words"]["flow"] == "exchange"


async def test_a_safety_incident_is_handed_over_not_decided(executor: ActionExecutor, services: DeskServices) -> None:
    chat(services, "空调买了半年，今天开机冒烟了，能保修吗")
    result = await new_case(executor, "空调买了半年，今天开机冒烟了，能保修吗")
    assert turn(result)["outcome"] == "handoff"
    escalation = services.escalations.open_for("conv-1")
    assert escalation is not None and escalation.reason == "safety"
