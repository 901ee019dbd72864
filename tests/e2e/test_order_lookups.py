"""Order and repair lookups (P19) through the conversation API, against real Rasa and the app: the
outcomes that hang on the actions (wrong phone, unknown order, limits, stalled tracking, the order
system down) which `rasa test` cannot run."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from bench.fakes.order_system import FakeOrderSystem, running_fake_order_system
from bench.system import System
from desk.models import utcnow
from desk.orders.records import (
    Address,
    Category,
    Order,
    OrderItem,
    OrderStatus,
    Repair,
    RepairStage,
    TrackingEvent,
)
from desk.orders.records import (
    Customer as Buyer,
)
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.e2e.conftest import Customer, text_of

pytestmark = pytest.mark.e2e

_numbers = count(1)
PHONE = "13700137246"
RIGHT, WRONG = "7246", "1111"


def new_number() -> str:
    return f"LM20261206{next(_numbers):04d}"


def shipped(number: str, *, moved: datetime | None = None) -> Order:
    now = utcnow()
    moved = moved or now - timedelta(hours=5)
    return Order(
        number=number,
        customer=Buyer("王五", PHONE),
        status=OrderStatus.SHIPPED,
        address=Address("浙江省", "杭州市", "西湖区", "文三路 90 号 1 单元 502"),
        items=(OrderItem("EB-P2", "Lumio 耳机 P2", Category.EARBUDS, "EB2411000007", Decimal("399.00"), 1),),
        paid_at=moved - timedelta(days=1),
        shipped_at=moved - timedelta(hours=2),
        carrier="SF Express",
        tracking_number="SF5550001112",
        tracking_events=(TrackingEvent(moved, "快件已到达杭州转运中心"),),
    )


@pytest.fixture(scope="module")
def services(system: System) -> DeskServices:
    return DeskServices.for_settings(DeskSettings(database_url=system.database_url))


@pytest.fixture
def order(services: DeskServices) -> Order:
    stored = shipped(new_number())
    services.order_book.put_order(stored)
    return stored


def asked_for_phone(reply: dict[str, object]) -> bool:
    text = text_of(reply)  # type: ignore[arg-type]
    return "后 4 位" in text or "last 4 digits" in text


def test_chinese_lookup_asks_for_the_phone_then_answers(system: System, order: Order) -> None:
    customer = Customer(system.app_url)
    reply = customer.say(f"我的订单{order.number.lower()}到哪了")
    assert asked_for_phone(reply) and reply["turn"]["outcome"] == "lookup"
    assert "SF5550001112" not in text_of(reply)  # nothing about the order yet
    reply = customer.say(f"尾号{RIGHT}")
    text = text_of(reply)
    assert reply["turn"]["outcome"] == "lookup"
    assert "已发货" in text and "SF5550001112" in text and "快件已到达杭州转运中心" in text
    assert "发往浙江" in text and "西湖区" in text
    assert RIGHT not in text and "文三路" not in text
    # The check holds for this order in this conversation: no second question.
    again = customer.say(f"{order.number} 现在到哪了")
    assert "SF5550001112" in text_of(again) and not asked_for_phone(again)


def test_english_lookup_asks_for_the_number_and_survives_a_wrong_try(system: System, order: Order) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("Hi, where is my order?")
    assert "order number" in text_of(reply)
    reply = customer.say(f"it's {order.number[:2]} {order.number[2:6]} {order.number[6:10]} {order.number[10:]}")
    assert asked_for_phone(reply)
    reply = customer.say(WRONG)
    assert "didn't match" in text_of(reply) and "2 more tries" in text_of(reply)
    reply = customer.say(f"sorry, the last four are {RIGHT}")
    assert "shipped" in text_of(reply) and "SF Express" in text_of(reply)


def test_a_malformed_number_gets_the_format(system: System) -> None:
    customer = Customer(system.app_url)
    reply = customer.say("查一下订单 LM2026112600")
    assert "LM 加 12 位数字" in text_of(reply)


def test_a_question_in_the_middle_is_answered_and_the_lookup_goes_on(system: System, order: Order) -> None:
    customer = Customer(system.app_url)
    customer.say("我的快递到哪了")
    reply = customer.say("顺便问一下，退款一般几天到账？")
    assert reply["turn"]["faq_id"] is not None
    assert "订单号" in text_of(reply)  # asked again
    reply = customer.say(order.number)
    assert asked_for_phone(reply)


def test_a_safety_incident_in_the_middle_hands_off_urgently(system: System, order: Order) -> None:
    customer = Customer(system.app_url)
    assert asked_for_phone(customer.say(f"{order.number}到哪了"))
    reply = customer.say("等一下，充电盒在冒烟，还有焦味")
    assert reply["turn"]["outcome"] == "handoff"
    assert reply["turn"]["priority"] == "urgent"


def test_the_customer_can_drop_the_lookup(system: System) -> None:
    customer = Customer(system.app_url)
    customer.say("track my order")
    reply = customer.say("no, forget it")
    assert "stopped the lookup" in text_of(reply)


def test_stalled_tracking_opens_a_parcel_investigation_with_the_order(system: System, services: DeskServices) -> None:
    stalled = shipped(new_number(), moved=utcnow() - timedelta(hours=80))
    services.order_book.put_order(stalled)
    customer = Customer(system.app_url)
    customer.say(f"{stalled.number}到哪了")
    reply = customer.say(RIGHT)
    text = text_of(reply)
    assert "72 小时" in text and "48 小时" in text
    assert reply["turn"]["outcome"] == "handoff" and reply["turn"]["priority"] == "normal"
    escalation = services.escalations.open_for(customer.id)
    assert escalation is not None and escalation.reason == "parcel_investigation"
    cases = services.lookups.cases(customer.id)
    assert [c.number for c in cases] == [stalled.number]
    assert cases[0].facts["order"]["tracking_number"] == "SF5550001112"


def test_a_repair_is_looked_up_behind_its_order_phone(system: System, services: DeskServices, order: Order) -> None:
    rma = f"RMA2026{next(_numbers):04d}"
    services.order_book.put_repair(Repair(rma, order.number, "EB2411000007", RepairStage.REPAIRING, utcnow()))
    customer = Customer(system.app_url)
    reply = customer.say("我的维修进度怎么样了")
    assert "维修单号" in text_of(reply)
    assert asked_for_phone(customer.say(rma))
    text = text_of(customer.say(RIGHT))
    assert "维修中" in text and "EB2411000007" in text and "修好寄回" in text


# --- Nothing leaks before the check passes ----------------------------------------------------------


def _shape(reply: dict[str, object]) -> str:
    """A reply with the numbers the customer typed taken out: what could tell two cases apart."""
    return re.sub(r"(LM|RMA)\d+", "<n>", text_of(reply))  # type: ignore[arg-type]


def test_nothing_tells_whether_an_order_exists_before_the_check(
    system: System, services: DeskServices, order: Order
) -> None:
    """Every way to learn about an order without its phone: each attempt, what the customer got."""
    unknown = new_number()  # never stored
    attempts: dict[str, list[str]] = {}
    for label, number in (("existing order", order.number), ("unknown order", unknown)):
        customer = Customer(system.app_url)
        steps = [customer.say(f"{number} 到哪了"), customer.say(WRONG), customer.say(WRONG), customer.say(WRONG)]
        steps.append(customer.say(RIGHT))  # the right digits after the limit: still nothing
        steps.append(customer.say(f"{number} 到哪了"))
        attempts[label] = [_shape(step) for step in steps]
        for step in steps:
            assert "SF5550001112" not in text_of(step) and "王五" not in text_of(step)
    assert attempts["existing order"] == attempts["unknown order"]
    assert "转接人工" in attempts["existing order"][3]  # the limit offers a human

    # Passed in one conversation does not open another (another customer, another channel's
    # conversation: each is its own conversation id).
    first = Customer(system.app_url)
    first.say(order.number)
    assert "SF5550001112" in text_of(first.say(RIGHT))
    second = Customer(system.app_url)
    assert asked_for_phone(second.say(order.number))


def test_five_failures_on_one_order_lock_it_for_every_conversation(system: System, order: Order) -> None:
    for _ in range(3):  # 2 failures each in three conversations: 6 on the order
        customer = Customer(system.app_url)
        customer.say(order.number)
        customer.say(WRONG)
        customer.say(WRONG)
    # A new customer with the right digits: no lookup is made (nor asked for), a human is offered.
    fresh = Customer(system.app_url)
    reply = fresh.say(f"{order.number}到哪了")
    assert "转接人工" in text_of(reply) and not asked_for_phone(reply)
    assert "SF5550001112" not in text_of(fresh.say(RIGHT))


def test_the_phone_digits_never_reach_the_logs(system: System, order: Order) -> None:
    customer = Customer(system.app_url)
    customer.say(order.number)
    customer.say(f"我的手机号是 {PHONE}")
    for log in ("app.log", "rasa.log"):
        text = (system.workdir / log).read_text(errors="replace")
        assert PHONE not in text, log


# --- The merchant's own order system over HTTP ------------------------------------------------------


@pytest.fixture
def merchant_system(system: System) -> Iterator[FakeOrderSystem]:
    """The app restarted to read orders from a fake merchant system (the contract in docs/), and
    back to the built-in store afterwards."""
    token = secrets.token_urlsafe(16)
    with running_fake_order_system(token) as fake:
        settings = {
            "DESK_ORDER_SYSTEM": "http",
            "DESK_ORDER_SYSTEM_URL": fake.base_url,
            "DESK_ORDER_SYSTEM_TOKEN": token,
            "DESK_ORDER_SYSTEM_BREAKER_RESET_SECONDS": "1",
        }
        system.env.update(settings)
        system.restart_app()
        try:
            yield fake
        finally:
            for name in settings:
                system.env.pop(name, None)
            system.restart_app()


def test_a_merchant_system_that_is_down_gets_an_apology_and_a_human_never_an_error(
    system: System, merchant_system: FakeOrderSystem
) -> None:
    order = shipped(new_number())
    merchant_system.orders[order.number] = order
    customer = Customer(system.app_url)
    customer.say(f"{order.number}到哪了")
    assert "SF5550001112" in text_of(customer.say(RIGHT))  # read over HTTP

    merchant_system.fail_next(1000, status=503)
    for _ in range(4):  # more than the limit of failed checks: an outage is never counted as one
        down = Customer(system.app_url)
        down.say(f"{order.number}到哪了")
        reply = down.say(RIGHT)  # Customer.say asserts the 200
        assert "订单系统暂时无法查询" in text_of(reply) and "SF5550001112" not in text_of(reply)
        assert [b["payload"] for m in reply["messages"] for b in m["buttons"]] == ["/request_human"]

    merchant_system.reset()
    merchant_system.orders[order.number] = order
    time.sleep(1.5)  # the circuit breaker's reset period
    back = Customer(system.app_url)
    back.say(f"{order.number}到哪了")
    assert "SF5550001112" in text_of(back.say(RIGHT))
