"""Conversation store: transcripts, the state machine, idempotent inbound messages (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import ConversationStore, InvalidTransition, move
from desk.models import Conversation, ConversationStatus, utcnow
from desk.turns import BotMessage, TurnRecord


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> ConversationStore:
    return ConversationStore(sessions)


def inbound(store: ConversationStore, text: str, conversation: str = "c-1", message_id: str | None = None):  # type: ignore[no-untyped-def]
    return store.record_inbound(
        conversation, text=text, payload=None, language="zh", channel="api", client_message_id=message_id
    )


def test_first_message_creates_a_bot_owned_conversation(store: ConversationStore) -> None:
    stored = inbound(store, "你好")
    assert stored.conversation.status == ConversationStatus.BOT
    assert stored.message.state == "received"
    assert store.get("c-1") is not None


def test_reply_and_turn_are_stored_with_the_outcome(store: ConversationStore) -> None:
    stored = inbound(store, "电池保修多久")
    store.record_reply(
        "c-1",
        stored.message.id,
        [BotMessage("电池保修 1 年", [{"title": "👍", "payload": "/vote"}])],
        TurnRecord("answered", "p08-warranty-battery", 0.91),
        language="zh",
        latency_ms=42.0,
    )
    transcript = store.transcript("c-1")
    assert [m.sender for m in transcript] == ["customer", "bot"]
    assert transcript[0].state == "answered"
    assert transcript[1].faq_id == "p08-warranty-battery"
    assert transcript[1].confidence == pytest.approx(0.91)
    assert store.offered_payloads("c-1") == {"/vote"}


def test_a_retried_message_id_is_stored_once(store: ConversationStore) -> None:
    first = inbound(store, "hello", message_id="m-1")
    again = inbound(store, "hello", message_id="m-1")
    assert again.duplicate and again.message.id == first.message.id
    assert len(store.transcript("c-1")) == 1


def test_html_is_stored_as_text(store: ConversationStore) -> None:
    inbound(store, "<script>alert(1)</script>")
    assert store.transcript("c-1")[0].text == "<script>alert(1)</script>"


def transition(sessions: sessionmaker[Session], status: ConversationStatus, conversation: str = "c-1") -> None:
    with sessions() as session:
        move(session.get_one(Conversation, conversation), status, utcnow())
        session.commit()


def test_state_machine_allows_the_documented_path(store: ConversationStore, sessions: sessionmaker[Session]) -> None:
    inbound(store, "转人工")
    for state in (ConversationStatus.QUEUED, ConversationStatus.AGENT, ConversationStatus.RESOLVED):
        transition(sessions, state)
    stored = inbound(store, "还有个问题")  # the customer writes again: back to the bot
    assert stored.conversation.status == ConversationStatus.BOT and stored.reopened
    assert not inbound(store, "再问一个").reopened


def test_state_machine_refuses_skipping_the_queue(store: ConversationStore, sessions: sessionmaker[Session]) -> None:
    inbound(store, "hi")
    with pytest.raises(InvalidTransition):
        transition(sessions, ConversationStatus.AGENT)


def test_messages_to_a_human_owned_conversation_are_held(
    store: ConversationStore, sessions: sessionmaker[Session]
) -> None:
    inbound(store, "转人工")
    transition(sessions, ConversationStatus.QUEUED)
    held = inbound(store, "在吗")
    assert held.message.state == "held"
    assert held.conversation.status == ConversationStatus.QUEUED


def test_a_message_is_claimed_for_processing_once(store: ConversationStore) -> None:
    stored = inbound(store, "hello", message_id="m-1")
    assert store.claim(stored.message.id) is True
    assert store.claim(stored.message.id) is False  # a concurrent retry must not process it again
    store.mark(stored.message.id, "failed")
    assert store.claim(stored.message.id) is True  # a failed message may be retried


def test_a_message_abandoned_mid_turn_can_be_taken_over(sessions: sessionmaker[Session]) -> None:
    clock = [utcnow()]
    store = ConversationStore(sessions, lambda: clock[0])
    stored = store.record_inbound(
        "c-9", text="hello", payload=None, language="en", channel="api", client_message_id="m"
    )
    assert store.claim(stored.message.id) is True
    assert store.claim(stored.message.id) is False  # the first process is still answering
    clock[0] += timedelta(minutes=3)  # ... or it died mid-turn
    assert store.claim(stored.message.id) is True


def test_a_message_can_be_stored_already_claimed(store: ConversationStore) -> None:
    stored = store.record_inbound("c-1", text="你好", payload=None, language="zh", channel="api", claim=True)
    assert stored.message.state == "processing"
    assert not store.claim(stored.message.id)  # nobody else takes it
    again = store.record_inbound(
        "c-1", text="你好", payload=None, language="zh", channel="api", client_message_id="m-1", claim=True
    )
    assert store.record_inbound(
        "c-1", text="你好", payload=None, language="zh", channel="api", client_message_id="m-1", claim=True
    ).duplicate
    assert again.message.state == "processing"


def pending(sessions: sessionmaker[Session], intent: str, conversation: str = "c-1") -> None:
    """What an agent's close leaves (desk.casework): an intent to resume Rasa with."""
    with sessions() as session:
        session.get_one(Conversation, conversation).rasa_pending_intent = intent
        session.commit()


def test_the_pending_resume_is_claimed_once_and_released_when_it_fails(sessions: sessionmaker[Session]) -> None:
    clock = [utcnow()]
    store = ConversationStore(sessions, lambda: clock[0])
    assert store.claim_resumption("c-1") is None  # no such conversation
    inbound(store, "转人工")
    assert store.claim_resumption("c-1") is None  # nothing pending
    pending(sessions, "EXTERNAL_resolved")
    assert [c.id for c in store.pending_resumptions()] == ["c-1"]
    assert store.claim_resumption("c-1") == "EXTERNAL_resolved"
    # The others (the retry loop, the customer's turn) skip while it is being resumed.
    assert store.claim_resumption("c-1") is None
    assert store.pending_resumptions() == []
    store.release_resumption("c-1")  # Rasa was down
    assert store.claim_resumption("c-1") == "EXTERNAL_resolved"
    clock[0] += timedelta(minutes=3)  # ... or the process resuming it died
    assert [c.id for c in store.pending_resumptions()] == ["c-1"]
    assert store.claim_resumption("c-1") == "EXTERNAL_resolved"
    store.resumed("c-1", "EXTERNAL_resolved")
    assert store.get("c-1").rasa_pending_intent is None  # type: ignore[union-attr]
    assert store.claim_resumption("c-1") is None


def test_a_newer_close_stays_pending_after_an_older_resume(sessions: sessionmaker[Session]) -> None:
    store = ConversationStore(sessions)
    inbound(store, "转人工")
    pending(sessions, "EXTERNAL_resolved")
    assert store.claim_resumption("c-1") == "EXTERNAL_resolved"
    pending(sessions, "EXTERNAL_handed_back")  # closed again while Rasa was being told of the first
    store.resumed("c-1", "EXTERNAL_resolved")
    assert store.claim_resumption("c-1") == "EXTERNAL_handed_back"
