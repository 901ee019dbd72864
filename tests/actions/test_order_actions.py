"""The lookup form's actions through rasa-sdk's executor, with the built-in order store on SQLite:
what they hand back to Rasa (slots, messages), never the phone's digits."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from desk.copy import say
from desk.handoff import MAY_ESCALATE
from desk.models import utcnow
from desk.orders.lookup_numbers import LookupKind, LookupNumber
from desk.orders.records import Address, Category, Customer, Order, OrderItem, OrderStatus, TrackingEvent
from desk.services import DeskServices
from tests.actions.conftest import action_call
from tests.actions.test_actions import run, slot_events

NUMBER = "LM202612060101"
DIGITS = "5678"


def shipped(moved_hours_ago: float) -> Order:
    moved = utcnow() - timedelta(hours=moved_hours_ago)
    return Order(
        number=NUMBER,
        customer=Customer("赵六", "13600135678"),
        status=OrderStatus.SHIPPED,
        address=Address("北京市", "北京市", "朝阳区", "建国路 1 号"),
        items=(OrderItem("SP-M1", "Lumio 音箱 M1", Category.SMART_SPEAKER, "SP2411000009", Decimal("299.00"), 1),),
        paid_at=moved - timedelta(days=1),
        shipped_at=moved - timedelta(hours=1),
        carrier="SF Express",
        tracking_number="SF0001112223",
        tracking_events=(TrackingEvent(moved, "快件已发出"),),
    )


def form_call(text: str, intent: str, *, slots: dict[str, Any] | None = None, active: bool = True) -> dict[str, Any]:
    call = action_call("validate_order_lookup_form", text, intent, slots={"language": "zh", **(slots or {})})
    call["domain"] = {"forms": {"order_lookup_form": {"required_slots": ["lookup_number", "phone_check"]}}}
    call["tracker"]["active_loop"] = {"name": "order_lookup_form"} if active else {}
    return call


async def test_a_number_in_the_first_message_starts_a_fresh_check(executor: ActionExecutor) -> None:
    result = await run(executor, form_call(f"我的订单 {NUMBER.lower()} 到哪了", "check_order", active=False))
    slots = slot_events(result)
    assert slots["lookup_number"] == NUMBER and slots["lookup_kind"] == "order"
    assert slots["phone_check"] is None and slots["lookup_stop"] is None


async def test_a_wrong_phone_is_said_and_asked_again_without_the_digits(
    executor: ActionExecutor, services: DeskServices
) -> None:
    services.order_book.put_order(shipped(5))
    asked = {"lookup_number": NUMBER, "lookup_kind": "order", "requested_slot": "phone_check"}
    result = await run(executor, form_call("尾号 1111", "inform", slots=asked))
    assert slot_events(result)["phone_check"] is None
    assert result["responses"][0]["text"] == say("lookup_mismatch", "zh", tries=2)
    assert "1111" not in json.dumps(result["events"])
    result = await run(executor, form_call(f"尾号 {DIGITS}", "inform", slots=asked))
    assert slot_events(result)["phone_check"] == "passed"
    assert DIGITS not in json.dumps(result)


async def test_a_question_during_the_check_is_not_taken_for_an_answer(executor: ActionExecutor) -> None:
    asked = {"lookup_number": NUMBER, "lookup_kind": "order", "requested_slot": "phone_check"}
    result = await run(executor, form_call("退款几天到账？", "ask_faq", slots=asked))
    assert "phone_check" not in slot_events(result)  # nothing extracted: the form rejects, the rules answer


def show_call(*, may_escalate: bool) -> dict[str, Any]:
    slots = {"language": "zh", "lookup_number": NUMBER, "lookup_kind": "order", "phone_check": "passed"}
    call = action_call("action_show_lookup", DIGITS, "inform", slots=slots)
    call["tracker"]["latest_message"]["metadata"][MAY_ESCALATE] = may_escalate
    return call


@pytest.mark.parametrize("may_escalate", [True, False])
async def test_stalled_tracking_opens_an_investigation_only_when_it_may(
    executor: ActionExecutor, services: DeskServices, may_escalate: bool
) -> None:
    services.order_book.put_order(shipped(80))
    services.lookups.check("conv-1", LookupNumber(LookupKind.ORDER, NUMBER), DIGITS)
    result = await run(executor, show_call(may_escalate=may_escalate))
    text = result["responses"][0]["text"]
    assert "SF0001112223" in text and "72 小时" in text
    escalation = services.escalations.open_for("conv-1")
    if may_escalate:
        assert "已为您提交查件申请" in text and any(e["event"] == "pause" for e in result["events"])
        assert escalation is not None and escalation.reason == "parcel_investigation"
    else:
        assert say("lookup_stalled_noted", "zh") in text and escalation is None
        assert [b["payload"] for b in result["responses"][0]["buttons"]] == ["/request_human"]
