"""Conversations holding a row in every table of customers' data (desk.personal_data), made at a
chosen time, and a Rasa tracker database like Rasa's own: for the purge and forgetting tests."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook
from desk.handoff import HandoffReason
from desk.models import RequestKind, Role
from desk.orders.phone_check import PhoneCheck
from desk.personal_data import CONVERSATION_DATA
from desk.question_labels import QuestionLabels
from desk.service_requests import ServiceRequests
from desk.settings import DeskSettings
from desk.turns import BotMessage, Outcome, TurnRecord
from desk.users import Staff, UserDirectory


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def agent(sessions: sessionmaker[Session]) -> Staff:
    users = UserDirectory(sessions)
    found = users.by_username("alice") or users.create("alice", "correct horse battery", Role.AGENT)
    return Staff.of(found)


def chat(
    sessions: sessionmaker[Session], conversation_id: str, at: datetime, customer_id: str | None = None
) -> ConversationStore:
    """A bot conversation at `at`: a customer message and the bot's answer with its turn record."""
    store = ConversationStore(sessions, Clock(at))
    inbound = store.record_inbound(
        # Each conversation's own words: a question label is one per text.
        conversation_id,
        text=f"电池保修多久？{conversation_id}",
        payload=None,
        language="zh",
        channel="api",
        customer_id=customer_id,
    )
    store.record_reply(
        conversation_id,
        inbound.message.id,
        [BotMessage("电池保修 1 年。")],
        TurnRecord(Outcome.ANSWERED, "p08-warranty-battery", 0.9),
        language="zh",
        latency_ms=12.0,
    )
    # A lead labelled the question (out of scope: no knowledge base needed): the customer's words again.
    labels = QuestionLabels(sessions, AuditLog(sessions, Clock(at)), Clock(at))
    labels.label_messages([inbound.message.id], None, "user:lead")
    # The customer checked an order in the conversation (P19): the case it showed is theirs too.
    PhoneCheck(sessions, Clock(at)).record(conversation_id, "LM202611260001", passed=True, case={"kind": "order"})
    # A repair request the customer opened and withdrew (a pending one would keep the conversation).
    requests = ServiceRequests(sessions, AuditLog(sessions, Clock(at)), Clock(at))
    opened = requests.open(
        conversation_id,
        RequestKind.REPAIR,
        allowed=True,
        eligibility={"rule": "P8-battery", "verdict": "allowed"},
        order_number="LM202611260001",
        serial_number="RV2406123456",
        reason="充不进电 13812345678",
    )
    requests.cancel(opened.id)
    return store


def escalate(sessions: sessionmaker[Session], conversation_id: str, at: datetime, *, resolve: bool) -> None:
    """An escalation with a note, resolved (and rated) or left in the queue."""
    clock = Clock(at)
    handoff = EscalationDesk(sessions, DeskSettings(), clock).open(
        conversation_id, HandoffReason.COMPLAINT, channel="api", language="zh", trigger_text="我要投诉 13812345678"
    )
    if not resolve:
        return
    casework = Casework(sessions, AuditLog(sessions, clock), clock)
    alice = agent(sessions)
    casework.claim(handoff.escalation.id, alice)
    casework.note(handoff.escalation.id, alice, "the customer's address is …")
    casework.resolve(handoff.escalation.id, alice, "answered")
    FeedbackBook(sessions, clock).record(conversation_id, kind="csat", score=5, channel="api", language="zh")


def rows_of(sessions: sessionmaker[Session], conversation_ids: list[str]) -> Counter[str]:
    """Rows per table of customers' data that belong to these conversations."""
    found: Counter[str] = Counter()
    with sessions() as session:
        for holding in CONVERSATION_DATA:
            query = select(func.count()).select_from(holding.model).where(holding.rows(conversation_ids))
            found[holding.name] = session.scalar(query) or 0
    return found


def rasa_tracker(path: Path, senders: dict[str, int]) -> Path:
    """A SQLite file with Rasa's `events` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent),
    holding `senders[id]` events of each sender."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        connection.execute("CREATE INDEX ix_events_sender_id ON events (sender_id)")
        for sender, count in senders.items():
            for n in range(count):
                connection.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
                    (sender, float(n), '{"text": "电池保修多久？"}'),
                )
    return path


def tracker_events(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT sender_id, count(*) FROM events GROUP BY sender_id").fetchall())
