"""Escalations: priority, SLA, identifiers, queue order (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import ConversationStatus, Priority
from desk.settings import DeskSettings

# 10:00 Beijing time: agents on duty.
IN_HOURS = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
# 23:00 Beijing time: agents off duty.
AFTER_HOURS = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def desk_at(sessions: sessionmaker[Session], now: datetime) -> tuple[ConversationStore, EscalationDesk]:
    clock = Clock(now)
    return ConversationStore(sessions, clock), EscalationDesk(sessions, DeskSettings(agents_on_duty=1), clock)


def test_escalation_records_reason_priority_sla_and_identifiers(sessions: sessionmaker[Session]) -> None:
    store, desk = desk_at(sessions, IN_HOURS)
    store.record_inbound(
        "c-1", text="订单LM202611260001的空调冒烟了，电话13812345678", payload=None, language="zh", channel="api"
    )
    handoff = desk.open(
        "c-1", HandoffReason.SAFETY, channel="api", language="zh", candidates=[{"faq_id": "p17-smoke", "score": 0.4}]
    )
    escalation = handoff.escalation
    assert (escalation.reason, escalation.priority) == ("safety", Priority.URGENT)
    assert escalation.sla_due_at - escalation.created_at == timedelta(minutes=5)
    assert escalation.identifiers == {"order_number": ["LM202611260001"]}  # the phone number is not copied
    assert escalation.candidates == [{"faq_id": "p17-smoke", "score": 0.4}]
    assert store.get("c-1").status == ConversationStatus.QUEUED  # type: ignore[union-attr]
    assert handoff.place.in_service_hours and handoff.place.position == 1


def test_queue_position_puts_urgent_cases_first(sessions: sessionmaker[Session]) -> None:
    store, desk = desk_at(sessions, IN_HOURS)
    for conversation in ("a", "b"):
        store.record_inbound(conversation, text="转人工", payload=None, language="zh", channel="api")
        desk.open(conversation, HandoffReason.CUSTOMER_REQUEST, channel="api", language="zh")
    store.record_inbound("c", text="冒烟了", payload=None, language="zh", channel="api")
    urgent = desk.open("c", HandoffReason.SAFETY, channel="api", language="zh")
    assert urgent.place.position == 1
    store.record_inbound("d", text="转人工", payload=None, language="zh", channel="api")
    last = desk.open("d", HandoffReason.CUSTOMER_REQUEST, channel="api", language="zh")
    assert last.place.position == 4
    assert last.place.expected_wait_minutes == 24  # one agent, six minutes a customer


def test_a_second_trigger_keeps_one_escalation_and_raises_its_priority(sessions: sessionmaker[Session]) -> None:
    store, desk = desk_at(sessions, IN_HOURS)
    store.record_inbound("c-1", text="转人工", payload=None, language="zh", channel="api")
    first = desk.open("c-1", HandoffReason.CUSTOMER_REQUEST, channel="api", language="zh")
    second = desk.open("c-1", HandoffReason.SAFETY, channel="api", language="zh")
    assert not second.created
    assert second.escalation.id == first.escalation.id
    assert second.escalation.priority == Priority.URGENT


def test_after_hours_the_customer_is_told_when_agents_return(sessions: sessionmaker[Session]) -> None:
    store, desk = desk_at(sessions, AFTER_HOURS)
    store.record_inbound("c-1", text="转人工", payload=None, language="zh", channel="api")
    handoff = desk.open("c-1", HandoffReason.CUSTOMER_REQUEST, channel="api", language="zh")
    assert not handoff.place.in_service_hours
    assert handoff.place.opens_at is not None and handoff.place.opens_at.hour == 9
