"""Rasa's REST channel answers 200 and an empty list when a turn fails inside Rasa (its lock store
unreachable, an action call refused by a dying replica): the message never reached its tracker. Such
a turn is a failure (the message waits for the retry loop), not an answer of nothing; a turn that did
run and said nothing stays answered."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.answer_backlog import AnswerBacklog
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.models import MessageState
from desk.settings import DeskSettings
from engine.events import EventBus
from engine.metrics import Metrics
from engine.rasa_gateway import HttpRasaGateway
from engine.turns import Inbound, ServiceUnavailable, TurnService


def rasa(records_the_message: bool) -> httpx.MockTransport:
    """Rasa's REST channel answering [] to every message; its tracker holds the message (the turn ran
    and said nothing) or not (the turn failed before it was saved)."""
    tracked: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            if records_the_message:
                tracked.append({"event": "user", "text": body["message"], "metadata": body["metadata"]})
            return httpx.Response(200, json=[])
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"events": tracked})
        return httpx.Response(404)

    return httpx.MockTransport(handle)


async def turn(sessions: sessionmaker[Session], records_the_message: bool) -> tuple[ConversationStore, AnswerBacklog]:
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=rasa(records_the_message)) as client:
        turns = TurnService(
            store,
            backlog,
            EscalationDesk(sessions, DeskSettings()),
            HttpRasaGateway(client, "t"),
            Metrics(),
            EventBus(),
        )
        inbound = Inbound("c-1", "Where is my parcel?", language="en", message_id="m-1")
        if records_the_message:
            await turns.handle(inbound)
        else:
            with pytest.raises(ServiceUnavailable):
                await turns.handle(inbound)
    return store, backlog


async def test_nothing_from_a_turn_rasa_never_recorded_is_a_failure(sessions: sessionmaker[Session]) -> None:
    store, backlog = await turn(sessions, records_the_message=False)
    [message] = store.transcript("c-1")
    assert message.state == MessageState.FAILED
    assert backlog.waiting() == 1


async def test_nothing_from_a_turn_rasa_ran_is_its_answer(sessions: sessionmaker[Session]) -> None:
    store, backlog = await turn(sessions, records_the_message=True)
    [message] = store.transcript("c-1")
    assert message.state == MessageState.ANSWERED
    assert backlog.waiting() == 0
