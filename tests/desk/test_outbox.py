"""Agent replies waiting for delivery: due, taken once, retried with backoff, failed after the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import Delivery, Role
from desk.outbox import Backoff, Outbox
from desk.settings import DeskSettings
from desk.turns import BotMessage, Outcome, TurnRecord
from desk.users import Staff, UserDirectory


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def reply_waiting(sessions: sessionmaker[Session], clock: Clock) -> int:
    store = ConversationStore(sessions, clock)
    store.record_inbound("c-1", text="转人工", payload=None, language="zh", channel="wechat")
    escalation = EscalationDesk(sessions, DeskSettings(), clock).open(
        "c-1", HandoffReason.CUSTOMER_REQUEST, channel="wechat", language="zh"
    )
    agent = Staff.of(UserDirectory(sessions, clock).create("alice", "correct horse battery", Role.AGENT))
    casework = Casework(sessions, AuditLog(sessions, clock), clock)
    casework.claim(escalation.escalation.id, agent)
    return casework.reply(escalation.escalation.id, agent, "您好").id


def test_a_reply_is_due_once_and_taken_by_one_worker(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    message_id = reply_waiting(sessions, clock)
    outbox = Outbox(sessions, clock=clock)
    due = outbox.due()
    assert [(o.message_id, o.channel, o.text) for o in due] == [(message_id, "wechat", "您好")]
    assert outbox.take(message_id) is True
    assert outbox.take(message_id) is False  # a second worker does not send it again
    assert outbox.due() == []
    state = outbox.delivered(message_id)
    assert state.delivery == Delivery.DELIVERED and state.attempts == 1


def test_failures_back_off_then_fail_and_an_agent_can_retry(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    message_id = reply_waiting(sessions, clock)
    outbox = Outbox(sessions, Backoff(first=timedelta(seconds=2), factor=2, max_attempts=3), clock)
    waits = []
    for _ in range(3):
        assert outbox.take(message_id)
        state = outbox.attempt_failed(message_id, "channel unreachable: ConnectError")
        if state.delivery == Delivery.RETRYING:
            assert outbox.due() == []  # not before the backoff
            for waited in range(1, 60):
                clock.now += timedelta(seconds=1)
                if outbox.due():
                    waits.append(waited)
                    break
    assert waits == [2, 4]
    assert state.delivery == Delivery.FAILED and state.attempts == 3 and state.last_error
    assert outbox.due() == []
    retried = outbox.retry_now(message_id)
    assert retried is not None and retried.delivery == Delivery.RETRYING
    assert [o.message_id for o in outbox.due()] == [message_id]


def test_a_later_message_never_overtakes_an_earlier_one_still_on_its_way(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    first = reply_waiting(sessions, clock)
    store = ConversationStore(sessions, clock)
    [second] = store.record_pushed("c-1", [BotMessage("请为本次服务打分")], TurnRecord(Outcome.RESOLVED), language="zh")
    other = store.record_inbound("c-2", text="你好", payload=None, language="zh", channel="wechat").message.id
    [elsewhere] = store.record_reply(
        "c-2", other, [BotMessage("您好")], TurnRecord(Outcome.SMALLTALK), language="zh", latency_ms=1.0
    )
    outbox = Outbox(sessions, Backoff(first=timedelta(seconds=30), max_attempts=2), clock)
    outbox.enqueue([elsewhere.id])
    assert [o.message_id for o in outbox.due()] == [first, second.id, elsewhere.id]  # in order
    assert outbox.in_flight("c-1") and outbox.in_flight("c-2")
    assert outbox.take(first)
    outbox.attempt_failed(first, "errcode 95018")
    # The earlier reply waits out its backoff: the rating question waits behind it, other conversations do not.
    assert [o.message_id for o in outbox.due()] == [elsewhere.id]
    # The customer wrote again: what waits is due now, still in order (the worker sends them in turn).
    assert outbox.retry_waiting("c-1") == [first] and outbox.retry_waiting("c-1") == []
    assert [o.message_id for o in outbox.due()] == [first, second.id, elsewhere.id]
    assert outbox.take(first)
    assert [o.message_id for o in outbox.due()] == [elsewhere.id]  # not while a worker sends the earlier one
    outbox.attempt_failed(first, "errcode 95018")  # given up (max_attempts): it holds nobody back
    assert [o.message_id for o in outbox.due()] == [second.id, elsewhere.id]
    assert outbox.retry_waiting("c-1") == []  # a failed one waits for an agent, not for the customer
    outbox.delivered(second.id)
    assert not outbox.in_flight("c-1")
