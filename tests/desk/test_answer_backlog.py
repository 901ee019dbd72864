"""The backlog of customer messages whose turn failed (desk/answer_backlog.py), on SQLite and
PostgreSQL: what is due and in which order, the claim that lapses, giving up after the bound."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from desk.answer_backlog import AnswerBacklog, GivenUp, RetrySchedule
from desk.conversations import STALE_PROCESSING, ConversationStore
from desk.models import MessageState, utcnow

SCHEDULE = RetrySchedule(first=timedelta(seconds=5), longest=timedelta(seconds=30), give_up_after=timedelta(hours=1))


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def stored(store: ConversationStore, conversation_id: str, text: str) -> int:
    """A customer message as the turn service stores it: claimed for its turn."""
    message = store.record_inbound(conversation_id, text=text, payload=None, language="en", channel="api", claim=True)
    return message.message.id


def test_the_schedule_doubles_up_to_the_longest_wait() -> None:
    assert [SCHEDULE.after(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 30, 30]


def test_a_failed_message_is_due_after_its_wait_and_conversations_come_in_order(
    sessions: sessionmaker[Session],
) -> None:
    clock = Clock()
    store, backlog = ConversationStore(sessions, clock), AnswerBacklog(sessions, clock)
    first, second = stored(store, "c-1", "my order is 12345678"), stored(store, "c-1", "where is it?")
    other = stored(store, "c-2", "hello")
    for message in (first, second, other):
        assert backlog.failed(message, "Rasa is unreachable", SCHEDULE) == 1
    assert backlog.due() == [] and backlog.waiting() == 3
    clock.advance(timedelta(seconds=5))
    due = backlog.due()
    assert [[m.id for m in messages] for messages in due] == [[first, second], [other]]
    assert due[0][0].last_error == "Rasa is unreachable" and due[0][0].attempts == 1
    assert [m.id for m in backlog.before("c-1", second)] == [first]
    # A second failure waits twice as long.
    assert store.claim(other) and backlog.failed(other, "timeout", SCHEDULE) == 2
    clock.advance(timedelta(seconds=9))
    assert [[m.id for m in messages] for messages in backlog.due()] == [[first, second]]


def test_a_conversation_being_answered_is_left_to_whoever_answers_it(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    store, backlog = ConversationStore(sessions, clock), AnswerBacklog(sessions, clock)
    first = stored(store, "c-1", "one")
    backlog.failed(first, "down", SCHEDULE)
    clock.advance(timedelta(seconds=5))
    stored(store, "c-1", "two")  # the customer's new message: its turn is running now
    assert backlog.due() == []
    assert store.claim(first)
    assert backlog.waiting() == 0
    # Both claims lapse: the processes answering them died mid-turn.
    clock.advance(STALE_PROCESSING + timedelta(seconds=1))
    assert backlog.waiting() == 2
    assert [[m.id for m in messages] for messages in backlog.due()] == [[first, first + 1]]
    assert store.claim(first) and not store.claim(first)


def test_messages_waiting_past_the_bound_are_given_up_once(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    store, backlog = ConversationStore(sessions, clock), AnswerBacklog(sessions, clock)
    old = stored(store, "c-1", "anyone?")
    backlog.failed(old, "down", SCHEDULE)
    clock.advance(timedelta(minutes=59))
    recent = stored(store, "c-2", "hello")
    backlog.failed(recent, "down", SCHEDULE)
    assert backlog.give_up(SCHEDULE) == []
    clock.advance(timedelta(minutes=2))
    assert backlog.give_up(SCHEDULE) == [GivenUp(old, "c-1")]
    assert backlog.give_up(SCHEDULE) == []
    assert [m.state for m in store.transcript("c-1")] == [MessageState.UNANSWERED]
    assert backlog.waiting() == 1
    # The customer's own retry of a given-up message is still answered.
    assert store.claim(old)


def test_an_answered_message_keeps_its_replies_when_newer_messages_came_first(sessions: sessionmaker[Session]) -> None:
    from desk.turns import BotMessage, Outcome, TurnRecord

    store = ConversationStore(sessions)
    first, second = stored(store, "c-1", "one"), stored(store, "c-1", "two")
    record = TurnRecord(Outcome.ANSWERED)
    store.record_reply("c-1", first, [BotMessage("answer to one")], record, language="en", latency_ms=None)
    store.record_reply("c-1", second, [BotMessage("answer to two")], record, language="en", latency_ms=None)
    assert [m.text for m in store.replies_to(first)] == ["answer to one"]
    assert [m.text for m in store.replies_to(second)] == ["answer to two"]


def test_a_message_received_but_never_answered_is_taken_once_its_process_is_gone(
    sessions: sessionmaker[Session],
) -> None:
    """A platform acknowledged first (engine/port.py `receive`) has the message stored unanswered;
    the process that was to answer it died."""
    clock = Clock()
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions, clock)
    received = store.record_inbound("slack:1", text="hi", payload=None, language="en", channel="slack").message
    assert received.state == MessageState.RECEIVED and backlog.due() == []
    clock.advance(STALE_PROCESSING + timedelta(seconds=1))
    assert [[m.id for m in messages] for messages in backlog.due()] == [[received.id]]
    assert store.claim(received.id)
