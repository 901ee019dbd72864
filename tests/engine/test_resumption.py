"""Resuming Rasa after an agent's close happens once, whoever tries (the close, the retry loop, the
customer's next turn), and a failed resume is tried again later (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.answer_backlog import AnswerBacklog
from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import MessageState, Role
from desk.outbox import Outbox
from desk.settings import DeskSettings
from desk.turns import Outcome, TurnRecord, turn_payload
from desk.users import Staff, UserDirectory
from engine.agent_desk import AgentDesk
from engine.delivery import DeliveryWorker
from engine.events import EventBus
from engine.metrics import Metrics
from engine.rasa_gateway import JSON
from engine.turns import Inbound, ServiceUnavailable, TurnService
from tests.fake_rasa import FakeRasa, Resumption, Sent

CSAT = "Please rate the service from 1 to 5:"


async def ask_rating(sender: str, intent: str) -> list[JSON]:
    """Rasa's part when resumed: the rating question, after a moment (the others race meanwhile)."""
    await asyncio.sleep(0.1)
    buttons = [{"title": str(n), "payload": f'/rate_service{{"csat":{n}}}'} for n in range(1, 6)]
    return [{"text": CSAT, "buttons": buttons}, {"custom": turn_payload(TurnRecord(Outcome.RESOLVED))}]


def welcome(sender: str, message: str, metadata: JSON) -> list[JSON]:
    return [{"text": "You're welcome!"}, {"custom": turn_payload(TurnRecord(Outcome.SMALLTALK))}]


@dataclass
class Desk:
    rasa: FakeRasa
    store: ConversationStore
    agents: AgentDesk
    turns: TurnService


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    """An escalation an agent has just resolved: Rasa still has to be resumed (to ask for a rating)."""
    rasa = FakeRasa(welcome, resumed=ask_rating)
    store = ConversationStore(sessions)
    escalations = EscalationDesk(sessions, DeskSettings())
    casework = Casework(sessions, AuditLog(sessions))
    outbox = Outbox(sessions)
    bus = EventBus()
    agents = AgentDesk(casework, store, outbox, rasa, bus, DeliveryWorker(outbox, {}, bus))
    turns = TurnService(store, AnswerBacklog(sessions), escalations, rasa, Metrics(), bus)
    asked = store.record_inbound("c-1", text="I want a human", payload=None, language="en", channel="api")
    store.mark(asked.message.id, MessageState.HELD)  # its turn handed the conversation to a human
    escalation = escalations.open("c-1", HandoffReason.CUSTOMER_REQUEST, channel="api", language="en").escalation
    alice = Staff.of(UserDirectory(sessions).create("alice", "correct horse battery", Role.AGENT))
    casework.claim(escalation.id, alice)
    casework.resolve(escalation.id, alice, "answered")
    return Desk(rasa, store, agents, turns)


def rating_questions(desk: Desk) -> int:
    return sum(m.text == CSAT for m in desk.store.transcript("c-1"))


async def test_the_close_the_retry_and_the_customers_turn_at_once_ask_for_the_rating_once(desk: Desk) -> None:
    _, _, turn = await asyncio.gather(
        desk.agents.resume("c-1"),
        desk.agents.resume_pending(),
        desk.turns.handle(Inbound("c-1", "thanks", language="en")),
    )
    assert desk.rasa.resumptions == [Resumption("c-1", "EXTERNAL_resolved")]
    assert rating_questions(desk) == 1
    # The customer's message reached Rasa after the resume, not into the paused conversation.
    kinds = [type(call) for call in desk.rasa.calls]
    assert kinds.index(Resumption) < kinds.index(Sent)
    assert "You're welcome!" in [m.text for m in turn.messages]
    assert desk.store.get("c-1").rasa_pending_intent is None  # type: ignore[union-attr]


async def test_a_resume_that_fails_is_released_and_retried(desk: Desk) -> None:
    desk.rasa.down = True
    assert await desk.agents.resume("c-1") is False
    # Not left claimed: the next try (the retry loop, the customer's turn) takes it.
    assert [c.id for c in desk.store.pending_resumptions()] == ["c-1"]
    with pytest.raises(ServiceUnavailable):
        await desk.turns.handle(Inbound("c-1", "hello?", language="en"))
    desk.rasa.down = False
    await asyncio.gather(desk.agents.resume_pending(), desk.agents.resume_pending())
    assert desk.rasa.resumptions == [Resumption("c-1", "EXTERNAL_resolved")]
    assert rating_questions(desk) == 1
    assert desk.store.pending_resumptions() == []
