"""Self-service requests (issue 13, item 4): created only when the policy allowed them, a repair's
RMA number allocated once however many open at once, agents' decisions conditional and audited, and
the customer told in the conversation's language through the outbox, like an agent's reply."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.analytics import Analytics, Period, Scope
from desk.audit import AuditLog
from desk.conversations import ConversationStore
from desk.models import (
    AuditEntry,
    Delivery,
    Message,
    RequestKind,
    RequestService,
    RequestStatus,
    Role,
    Sender,
    ServiceRequest,
)
from desk.orders.bodies import OrderBody, RepairBody
from desk.orders.store import OrderStore
from desk.outbox import Outbox
from desk.request_text import received_text
from desk.retention import expired
from desk.service_requests import (
    MAX_REASON,
    InvalidRequest,
    NotAllowed,
    RequestChanges,
    RequestConflict,
    RequestNotFound,
    ServiceRequests,
    service_for,
)
from desk.settings import DeskSettings
from desk.users import Staff, UserDirectory
from tests.desk.orders.order_bodies import order_body, repair_body

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 12:00 Beijing time
ALLOWED = {"rule": "P7-quality-repair", "verdict": "allowed", "reason": "质量问题，签收第 20 天：可维修（P7, P8）"}


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def chat(sessions: sessionmaker[Session], conversation_id: str, language: str = "zh", channel: str = "api") -> None:
    ConversationStore(sessions).record_inbound(
        conversation_id, text="我要维修", payload=None, language=language, channel=channel
    )


def staff(sessions: sessionmaker[Session], username: str = "alice", role: Role = Role.AGENT) -> Staff:
    users = UserDirectory(sessions)
    found = users.by_username(username) or users.create(username, "correct horse battery", role, username.title())
    return Staff.of(found)


def desk(sessions: sessionmaker[Session], clock: Clock | None = None) -> ServiceRequests:
    clock = clock or Clock()
    return ServiceRequests(sessions, AuditLog(sessions, clock), clock)


def repair(requests: ServiceRequests, conversation_id: str = "c-1", **fields: Any) -> Any:
    values: dict[str, Any] = {
        "allowed": True,
        "eligibility": ALLOWED,
        "order_number": "LM202611260001",
        "serial_number": "RV2406123456",
        "category": "robot_vacuum",
        "reason": "充不进电了",
        "quality_problem": True,
    }
    values.update(fields)
    return requests.open(conversation_id, RequestKind.REPAIR, **values)


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    with sessions() as session:
        return [
            (e.actor, e.action, e.target, e.details)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def count_requests(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count(ServiceRequest.id))) or 0


# Opening ------------------------------------------------------------------------------------------


def test_a_request_the_policy_does_not_allow_is_never_created(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    refused = {"rule": "P6-no-reason-return", "verdict": "refused", "reason": "签收第 9 天：已过 7 天无理由退货期"}
    with pytest.raises(NotAllowed, match="does not allow"):
        desk(sessions).open(
            "c-1", RequestKind.RETURN, allowed=False, eligibility=refused, order_number="LM202611260001"
        )
    assert count_requests(sessions) == 0
    assert audit_actions(sessions) == []


def test_a_repair_gets_an_rma_number_of_the_year_and_the_decision_it_was_opened_under(
    sessions: sessionmaker[Session],
) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    opened = repair(requests, reason="  充不进电了\n\n13812345678  " + "很" * 2000)
    assert opened.rma_number == "RMA20260001" and opened.status == RequestStatus.PENDING
    assert opened.eligibility == ALLOWED and opened.service == RequestService.MAIL_IN_PICKUP
    assert opened.reason.startswith("充不进电了 13812345678") and len(opened.reason) == MAX_REASON
    assert (opened.channel, opened.language, opened.order_number) == ("api", "zh", "LM202611260001")
    second = repair(requests, "c-1", serial_number="RV2406000002")
    assert second.rma_number == "RMA20260002"
    exchange = requests.open("c-1", RequestKind.EXCHANGE, allowed=True, eligibility=ALLOWED, sku="RV-S7")
    assert exchange.rma_number is None
    assert [r.id for r in requests.for_conversation("c-1")] == [opened.id, second.id, exchange.id]
    actor, action, target, details = audit_actions(sessions)[0]
    assert (actor, action, target) == ("customer", "request.open", f"request:{opened.id}")
    assert details["rma_number"] == "RMA20260001" and "13812345678" not in str(details)


def test_rma_numbers_follow_the_beijing_year_and_skip_tickets_the_order_store_holds(
    sessions: sessionmaker[Session],
) -> None:
    chat(sessions, "c-1")
    store = OrderStore(sessions)
    store.put_order(OrderBody.model_validate(order_body()).to_order("LM202611260001"))
    store.put_repair(RepairBody.model_validate(repair_body()).to_repair("RMA20270001"))
    # 31 December 17:00 UTC is already 1 January in Beijing.
    requests = desk(sessions, Clock(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)))
    assert repair(requests).rma_number == "RMA20270002"
    assert repair(desk(sessions), serial_number="RV2406000002").rma_number == "RMA20260001"


def test_the_same_request_opened_again_is_the_one_already_open(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    first, again = repair(requests), repair(requests)
    assert again.id == first.id and again.rma_number == first.rma_number
    assert count_requests(sessions) == 1
    # Once decided, a new one may be opened.
    requests.reject(first.id, staff(sessions), "SN 与订单不符")
    assert repair(requests).rma_number == "RMA20260002"


def test_rma_numbers_are_unique_when_many_repairs_open_at_once(sessions: sessionmaker[Session]) -> None:
    conversations = [f"c-{n}" for n in range(16)]
    for conversation in conversations:
        chat(sessions, conversation)
    requests = desk(sessions)
    barrier = threading.Barrier(len(conversations))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def open_one(conversation: str) -> None:
        try:
            barrier.wait()
            numbers.append(repair(requests, conversation).rma_number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=(c,)) for c in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(numbers) == [f"RMA2026{n:04d}" for n in range(1, len(conversations) + 1)]


@pytest.mark.parametrize(
    ("category", "serial", "service"),
    [
        ("air_conditioner", None, RequestService.ON_SITE),
        (None, "WP2406123456", RequestService.ON_SITE),
        ("water_purifier", "WP2406123456", RequestService.ON_SITE),
        ("robot_vacuum", "RV2406123456", RequestService.MAIL_IN_PICKUP),
        (None, None, RequestService.MAIL_IN_PICKUP),
    ],
)
def test_air_conditioners_and_water_purifiers_are_served_on_site(
    category: str | None, serial: str | None, service: RequestService
) -> None:
    assert service_for(category, serial) == service


@pytest.mark.parametrize(
    "fields",
    [
        {"order_number": "LM123"},
        {"serial_number": "XX2406123456"},
        {"category": "toaster"},
        {"attachments": ["x"] * 11},
        {"eligibility": {"when": object()}},
    ],
)
def test_what_cannot_be_stored_is_refused(sessions: sessionmaker[Session], fields: dict[str, Any]) -> None:
    chat(sessions, "c-1")
    with pytest.raises(InvalidRequest):
        repair(desk(sessions), **fields)
    with pytest.raises(RequestNotFound):
        repair(desk(sessions), "no-such-conversation")
    assert count_requests(sessions) == 0


# Deciding -----------------------------------------------------------------------------------------


def test_approving_an_on_site_repair_tells_the_customer_in_their_language_through_the_outbox(
    sessions: sessionmaker[Session],
) -> None:
    chat(sessions, "c-1", language="zh")
    requests = desk(sessions)
    alice = staff(sessions)
    opened = repair(requests, serial_number="AC2406123456", category="air_conditioner")
    assert opened.service == RequestService.ON_SITE

    decision = requests.approve(opened.id, alice)

    assert decision.request.status == RequestStatus.APPROVED and decision.request.decided_by == "Alice"
    assert decision.request.decision_message_id == decision.message.id
    due = Outbox(sessions, clock=Clock(NOW + timedelta(seconds=1))).due()
    assert [(m.message_id, m.sender, m.language) for m in due] == [(decision.message.id, "agent", "zh")]
    text = due[0].text
    assert "维修申请已通过" in text and opened.rma_number in text and "24 小时内致电" in text
    with sessions() as session:
        message = session.get_one(Message, decision.message.id)
        assert (message.sender, message.author_id, message.delivery) == (Sender.AGENT, alice.id, Delivery.PENDING)
    assert audit_actions(sessions)[-1][:3] == ("user:alice", "request.approve", f"request:{opened.id}")
    with pytest.raises(RequestConflict, match="already approved"):
        requests.reject(opened.id, alice, "too late")
    assert requests.pending() == []


def test_approved_returns_and_mail_in_repairs_say_what_happens_next_in_english(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-en", language="en")
    requests = desk(sessions)
    alice = staff(sessions)
    mail_in = requests.approve(repair(requests, "c-en").id, alice).message.text
    assert "RMA20260001" in mail_in and "SF Express pickup" in mail_in and "5–7 working days" in mail_in
    no_reason = requests.open(
        "c-en", RequestKind.RETURN, allowed=True, eligibility={"rule": "P6"}, order_number="LM202611260001"
    )
    text = requests.approve(no_reason.id, alice).message.text
    assert "return request has been approved" in text and "paid by you" in text and "1–3 working days" in text
    quality = requests.open("c-en", RequestKind.EXCHANGE, allowed=True, eligibility={}, quality_problem=True)
    text = requests.approve(quality.id, alice).message.text
    assert "Lumio pays the return shipping" in text and "replacement" in text


def test_a_rejection_needs_a_reason_and_the_customer_receives_it(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-en", language="en")
    requests = desk(sessions)
    bob = staff(sessions, "bob", Role.LEAD)
    opened = repair(requests, "c-en")
    for blank in ("", "   \n "):
        with pytest.raises(InvalidRequest, match="needs a reason"):
            requests.reject(opened.id, bob, blank)
    assert requests.get(opened.id).status == RequestStatus.PENDING

    decision = requests.reject(opened.id, bob, "The serial number is not on this order")

    assert decision.request.decision_reason == "The serial number is not on this order"
    assert decision.message.text.startswith("Sorry, your repair request was not approved: The serial number")
    assert decision.message.language == "en"
    assert audit_actions(sessions)[-1][:2] == ("user:bob", "request.reject")
    with pytest.raises(RequestNotFound):
        requests.approve(9999, bob)


def test_two_agents_deciding_at_once_one_wins(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    alice, bob = staff(sessions), staff(sessions, "bob")
    opened = repair(requests)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(run: Any) -> None:
        barrier.wait()
        try:
            run()
            outcomes.append("won")
        except RequestConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=decide, args=(lambda: requests.approve(opened.id, alice),)),
        threading.Thread(target=decide, args=(lambda: requests.reject(opened.id, bob, "no"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]
    with sessions() as session:
        told = session.scalar(select(func.count(Message.id)).where(Message.sender == Sender.AGENT))
    assert told == 1


# Editing and cancelling ---------------------------------------------------------------------------


def test_an_edit_changes_a_pending_request_and_is_audited_without_the_customers_words(
    sessions: sessionmaker[Session],
) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    alice = staff(sessions)
    opened = requests.open(
        "c-1", RequestKind.RETURN, allowed=True, eligibility=ALLOWED, order_number="LM202611260001", reason="有异味"
    )
    assert opened.rma_number is None

    edited = requests.edit(
        opened.id,
        alice,
        RequestChanges(kind=RequestKind.REPAIR, serial_number="wp 2406123456", reason="滤芯漏水 13812345678"),
    )

    assert (edited.kind, edited.rma_number, edited.serial_number) == (RequestKind.REPAIR, "RMA20260001", "WP2406123456")
    assert edited.reason == "滤芯漏水 13812345678" and edited.service == RequestService.MAIL_IN_PICKUP
    actor, action, _, details = audit_actions(sessions)[-1]
    assert (actor, action) == ("user:alice", "request.edit")
    assert details["kind"] == ["return", "repair"] and details["rma_number"] == [None, "RMA20260001"]
    assert details["fields"] == ["kind", "reason", "serial_number"] and "13812345678" not in str(details)

    back = requests.edit(opened.id, alice, RequestChanges(kind=RequestKind.EXCHANGE, service=RequestService.ON_SITE))
    assert back.rma_number is None and back.service == RequestService.ON_SITE
    assert audit_actions(sessions)[-1][3]["rma_number"] == ["RMA20260001", None]
    with pytest.raises(InvalidRequest):
        requests.edit(opened.id, alice, RequestChanges())
    with pytest.raises(InvalidRequest):
        requests.edit(opened.id, alice, RequestChanges(order_number="not an order"))
    requests.approve(opened.id, alice)
    with pytest.raises(RequestConflict, match="already approved"):
        requests.edit(opened.id, alice, RequestChanges(reason="later"))


def test_the_customer_cancels_a_pending_request_and_nothing_is_sent(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    opened = repair(requests)
    cancelled = requests.cancel(opened.id)
    assert cancelled.status == RequestStatus.CANCELLED and cancelled.decided_by is None
    assert audit_actions(sessions)[-1][:2] == ("customer", "request.cancel")
    assert Outbox(sessions).due() == []
    with pytest.raises(RequestConflict):
        requests.cancel(opened.id)


def test_the_listing_puts_pending_requests_first_oldest_first(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    clock = Clock()
    requests = desk(sessions, clock)
    alice = staff(sessions)
    first = repair(requests, serial_number="RV2406000001")
    clock.now += timedelta(minutes=1)
    second = repair(requests, serial_number="RV2406000002")
    clock.now += timedelta(minutes=1)
    third = repair(requests, serial_number="RV2406000003")
    requests.approve(first.id, alice)
    assert [r.id for r in requests.listing()] == [second.id, third.id, first.id]
    assert [r.id for r in requests.pending()] == [second.id, third.id]
    assert [r.id for r in requests.listing([RequestStatus.APPROVED])] == [first.id]


# Retention and analytics --------------------------------------------------------------------------


def test_a_pending_request_keeps_its_conversation_from_the_purge(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    chat(sessions, "c-2")
    requests = desk(sessions)
    repair(requests, "c-1")
    decided = repair(requests, "c-2")
    requests.cancel(decided.id)
    with sessions() as session:
        assert list(session.scalars(expired(datetime.now(UTC) + timedelta(days=1)))) == ["c-2"]


def test_analytics_count_requests_by_kind_and_status_with_the_approval_rate(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1", channel="web")
    requests = desk(sessions)
    alice = staff(sessions)
    for serial in ("RV2406000001", "RV2406000002", "RV2406000003"):
        opened = repair(requests, serial_number=serial)
        if serial.endswith("1"):
            requests.approve(opened.id, alice)
        elif serial.endswith("2"):
            requests.reject(opened.id, alice, "no")
    requests.approve(requests.open("c-1", RequestKind.RETURN, allowed=True, eligibility={}).id, alice)

    analytics = Analytics(sessions, DeskSettings(), clock=Clock())
    period = Period(NOW - timedelta(days=1), NOW + timedelta(days=1))
    stats = analytics.summary(Scope(period)).requests

    assert stats.total == 4 and (stats.approved, stats.rejected) == (2, 1)
    assert stats.approval_rate == pytest.approx(2 / 3)
    assert {c.key: c.count for c in stats.by_kind} == {"return": 1, "exchange": 0, "repair": 3}
    assert {c.key: c.count for c in stats.by_status} == {"pending": 1, "approved": 2, "rejected": 1, "cancelled": 0}
    assert analytics.requests(Scope(period, channel="api")).total == 0
    assert analytics.requests(Scope(period, language="en")).approval_rate is None


def test_the_confirmation_names_the_rma_number_and_asks_for_photos_when_none_came(
    sessions: sessionmaker[Session],
) -> None:
    chat(sessions, "c-1")
    requests = desk(sessions)
    without = repair(requests)
    text = received_text(without.facts, "zh")
    assert "维修单号 RMA20260001" in text and "照片或视频" in text
    with_photo = repair(requests, serial_number="RV2406000002", attachments=["wechat-media:abc"])
    assert with_photo.attachments == ["wechat-media:abc"] and "照片" not in received_text(with_photo.facts, "zh")
    exchange = requests.open("c-1", RequestKind.EXCHANGE, allowed=True, eligibility={}, quality_problem=False)
    assert received_text(exchange.facts, "en") == (
        f"Your exchange request (no. {exchange.id}) has been submitted; an agent will review it and tell you "
        "the result here."
    )


def test_an_approved_repair_is_filed_in_the_built_in_store_for_p19_lookups(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    store = OrderStore(sessions)
    store.put_order(OrderBody.model_validate(order_body()).to_order("LM202611260001"))
    clock = Clock()
    requests = ServiceRequests(sessions, AuditLog(sessions, clock), clock, repair_book=store)
    filed = repair(requests)
    unknown_order = repair(requests, "c-1", order_number="LM202611269999", serial_number="RV2406000009")
    no_serial = repair(requests, "c-1", serial_number=None, sku="RV-S7")
    for opened in (filed, unknown_order, no_serial):
        requests.approve(opened.id, staff(sessions))
    ticket = store.repair(filed.rma_number)
    assert ticket is not None and ticket.stage == "created" and ticket.serial_number == "RV2406123456"
    assert ticket.order_number == "LM202611260001" and ticket.events[0].at == NOW
    assert store.repair(unknown_order.rma_number) is None and store.repair(no_serial.rma_number) is None


def test_a_rejected_repair_is_not_filed(sessions: sessionmaker[Session]) -> None:
    chat(sessions, "c-1")
    store = OrderStore(sessions)
    store.put_order(OrderBody.model_validate(order_body()).to_order("LM202611260001"))
    requests = ServiceRequests(sessions, AuditLog(sessions), repair_book=store)
    opened = repair(requests)
    requests.reject(opened.id, staff(sessions), "序列号与订单不符")
    assert store.repair(opened.rma_number) is None
