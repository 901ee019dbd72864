"""Question labels on SQLite and PostgreSQL: one per question, replaced when labelled again; only
known entries; what the bot did kept, so wrong answers are counted per entry; gone with their conversation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.conversations import ConversationStore
from desk.knowledge_base import KnowledgeBase
from desk.models import AuditEntry, QuestionLabel
from desk.personal_data import CONVERSATION_DATA, delete_rows
from desk.question_labels import InvalidLabel, LabelNotFound, QuestionLabels
from desk.turns import BotMessage, Outcome, TurnRecord
from tests.knowledge.test_retriever_contract import ENTRIES

LEAD = "user:lead"


@dataclass
class Desk:
    sessions: sessionmaker[Session]
    store: ConversationStore
    labels: QuestionLabels

    def ask(
        self,
        conversation: str,
        text: str,
        outcome: Outcome | None,
        faq_id: str | None = None,
        confidence: float | None = None,
        language: str = "en",
    ) -> int:
        inbound = self.store.record_inbound(conversation, text=text, payload=None, language=language, channel="web")
        if outcome is not None:
            self.store.record_reply(
                conversation,
                inbound.message.id,
                [BotMessage("…")],
                TurnRecord(outcome, faq_id, confidence),
                language=language,
                latency_ms=5.0,
            )
        return inbound.message.id


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    audit = AuditLog(sessions)
    KnowledgeBase(sessions, audit).seed(ENTRIES)
    return Desk(sessions, ConversationStore(sessions), QuestionLabels(sessions, audit))


def test_a_message_is_labelled_with_what_the_bot_did(desk: Desk) -> None:
    message = desk.ask("c1", "where is my receipt", "answered", "battery", 0.41)
    [label] = desk.labels.label_messages([message], "invoice", LEAD)
    assert (label.text, label.language, label.conversation_id, label.message_id) == (
        "where is my receipt",
        "en",
        "c1",
        message,
    )
    assert (label.expected, label.bot_outcome, label.bot_faq_id, label.bot_confidence) == (
        "invoice",
        "answered",
        "battery",
        0.41,
    )
    assert label.answered_wrongly and not label.out_of_scope and label.labelled_by == LEAD
    assert desk.labels.get(label.id) == label


def test_labelling_the_same_question_again_replaces_the_label(desk: Desk) -> None:
    first = desk.ask("c1", "Where is my receipt?", "fallback")
    again = desk.ask("c2", "  where is   my RECEIPT? ", "answered", "battery", 0.3)
    desk.labels.label_messages([first], "invoice", LEAD)
    [replaced] = desk.labels.label_messages([again], None, "user:other-lead")
    assert replaced.out_of_scope and replaced.message_id == again and replaced.labelled_by == "user:other-lead"
    # A group holding both spellings is one question too.
    both = desk.labels.label_messages([first, again], "invoice", LEAD)
    assert len(both) == 1 and both[0].expected == "invoice"
    with desk.sessions() as session:
        assert len(session.scalars(select(QuestionLabel)).all()) == 1
    assert [v.expected for v in desk.labels.labels()] == ["invoice"]
    typed = desk.labels.label_text("where is my receipt?", None, "refund-time", LEAD)
    assert typed.id == replaced.id and typed.conversation_id is None and typed.bot_outcome is None


def test_refusals(desk: Desk) -> None:
    message = desk.ask("c1", "where is my receipt", "fallback")
    button = desk.ask("c1", "   ", "fallback")
    with pytest.raises(InvalidLabel, match="no FAQ entry 'nope'"):
        desk.labels.label_messages([message], "nope", LEAD)
    with pytest.raises(InvalidLabel, match="empty"):
        desk.labels.label_text("  \n ", "en", None, LEAD)
    with pytest.raises(InvalidLabel, match="empty"):
        desk.labels.label_messages([button], None, LEAD)
    with pytest.raises(InvalidLabel, match="language"):
        desk.labels.label_text("hello", "fr", None, LEAD)
    with pytest.raises(InvalidLabel, match="at least one"):
        desk.labels.label_messages([], None, LEAD)
    with pytest.raises(LabelNotFound):
        desk.labels.label_messages([message, 999_999], None, LEAD)
    bot_reply = message + 1  # the bot's answer to it: not a customer's question
    with pytest.raises(LabelNotFound):
        desk.labels.label_messages([bot_reply], None, LEAD)
    with pytest.raises(LabelNotFound):
        desk.labels.remove(12345, LEAD)
    assert desk.labels.labels() == []


def test_wrong_answers_are_counted_per_entry(desk: Desk) -> None:
    wrong_entry = desk.ask("c1", "receipt please", "answered", "battery", 0.5)
    out_of_scope = desk.ask("c1", "write me a poem", "answered", "battery", 0.45)
    right = desk.ask("c2", "battery warranty?", "answered", "battery", 0.55)
    clarified = desk.ask("c2", "money back when", "clarified", "invoice", 0.3)
    fell_back = desk.ask("c3", "weather today", "fallback")
    desk.labels.label_messages([wrong_entry], "invoice", LEAD)
    desk.labels.label_messages([out_of_scope, fell_back], None, LEAD)
    desk.labels.label_messages([right], "battery", LEAD)
    desk.labels.label_messages([clarified], "refund-time", LEAD)  # not an answer: not a wrong one
    assert desk.labels.wrong_answers() == {"battery": 2}
    # The most recently labelled first.
    assert [v.text for v in desk.labels.wrong_answers_of("battery")] == ["write me a poem", "receipt please"]
    assert desk.labels.wrong_answers_of("invoice") == []


def test_lookup_by_text_removal_and_the_audit_log(desk: Desk) -> None:
    message = desk.ask("c1", "where is my receipt", "fallback")
    [label] = desk.labels.label_messages([message], "invoice", LEAD)
    found = desk.labels.of_texts(["Where is my receipt", "unlabelled"])
    assert list(found) == ["Where is my receipt"] and found["Where is my receipt"].id == label.id
    desk.labels.remove(label.id, LEAD)
    assert desk.labels.of_texts(["where is my receipt"]) == {}
    with desk.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("question_label.%"))).all()
    assert [(e.action, e.target) for e in entries] == [
        ("question_label.set", f"question_label:{label.id}"),
        ("question_label.remove", f"question_label:{label.id}"),
    ]
    assert all("receipt" not in str(e.details) for e in entries)  # the customer's words stay out


def test_a_conversations_labels_go_with_it(desk: Desk) -> None:
    kept = desk.labels.label_text("typed by a lead", "en", None, LEAD)
    desk.labels.label_messages([desk.ask("c1", "where is my receipt", "fallback")], "invoice", LEAD)
    with desk.sessions() as session:
        deleted = delete_rows(session, CONVERSATION_DATA, ["c1"])
        session.commit()
    assert deleted["question_labels"] == 1
    assert [v.id for v in desk.labels.labels()] == [kept.id]
