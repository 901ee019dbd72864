"""Rasa's REST channel answers 200 and an empty list when a turn fails inside Rasa. When its lock store
is unreachable, the message never reached its tracker: the turn is a failure (the message waits for
the retry loop), not an answer of nothing. When an action call failed (a dying app replica), the
message is in the tracker with no bot event after it: Rasa went on without the action, and the
message is run again, a bounded number of times."""

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
from engine.turns import TURN_RUNS, Inbound, ServiceUnavailable, TurnService


def rasa(records_the_message: bool, answers: list[list[dict[str, object]]], sent: list[str]) -> httpx.MockTransport:
    """Rasa's REST channel answering each message with the next of `answers` ([] once they run out);
    its tracker holds the message (the turn ran) or not (the turn failed before it was saved)."""
    tracked: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            sent.append(body["message"])
            replies = answers.pop(0) if answers else []
            if records_the_message:
                tracked.append({"event": "user", "text": body["message"], "metadata": body["metadata"]})
                tracked.extend({"event": "bot", "text": reply["text"], "data": {}} for reply in replies)
            return httpx.Response(200, json=replies)
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"events": tracked})
        return httpx.Response(404)

    return httpx.MockTransport(handle)


async def turn(
    sessions: sessionmaker[Session],
    records_the_message: bool,
    answers: list[list[dict[str, object]]] | None = None,
) -> tuple[ConversationStore, AnswerBacklog, list[str]]:
    store, backlog, sent = ConversationStore(sessions), AnswerBacklog(sessions), list[str]()
    transport = rasa(records_the_message, answers or [], sent)
    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=transport) as client:
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
    return store, backlog, sent


async def test_nothing_from_a_turn_rasa_never_recorded_is_a_failure(sessions: sessionmaker[Session]) -> None:
    store, backlog, sent = await turn(sessions, records_the_message=False)
    [message] = store.transcript("c-1")
    assert message.state == MessageState.FAILED
    assert backlog.waiting() == 1
    assert len(sent) == 1


async def test_a_turn_that_lost_its_action_runs_again(sessions: sessionmaker[Session]) -> None:
    store, backlog, sent = await turn(sessions, records_the_message=True, answers=[[], [{"text": "On its way."}]])
    question, answer = store.transcript("c-1")
    assert question.state == MessageState.ANSWERED
    assert answer.text == "On its way."
    assert sent == ["Where is my parcel?"] * 2
    assert backlog.waiting() == 0


async def test_a_turn_that_says_nothing_every_time_is_answered_with_nothing(sessions: sessionmaker[Session]) -> None:
    store, backlog, sent = await turn(sessions, records_the_message=True)
    [message] = store.transcript("c-1")
    assert message.state == MessageState.ANSWERED
    assert len(sent) == TURN_RUNS
    assert backlog.waiting() == 0
