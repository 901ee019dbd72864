"""A turn never outlasts the claim on its message (desk.conversations.STALE_PROCESSING): its Rasa
requests share one deadline (engine.turns.TURN_DEADLINE), past which the turn fails as a Rasa
timeout does and the message waits for the retry loop. A claim that lapsed during a live turn would
let another process answer the same message again."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.settings import AppSettings
from desk.answer_backlog import AnswerBacklog
from desk.conversations import STALE_PROCESSING, ConversationStore
from desk.escalations import EscalationDesk
from desk.models import MessageState
from desk.settings import DeskSettings
from engine.events import EventBus
from engine.metrics import Metrics
from engine.rasa_gateway import HttpRasaGateway, RasaUnavailable, time_left, turn_deadline
from engine.resumption import TURN_WAIT_SECONDS
from engine.turns import CLAIM_MARGIN, TURN_DEADLINE, Inbound, ServiceUnavailable, TurnService

# What Rasa's REST channel answers, a while after the request (Rasa busy, or an action that hangs).
HANG_SECONDS = 30.0


async def hung_rasa(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(HANG_SECONDS)
    return httpx.Response(200, json=[{"text": "too late"}])


def test_the_claim_outlasts_the_longest_live_turn() -> None:
    rasa_timeout = float(AppSettings.model_fields["rasa_timeout"].default)
    # A usual turn (the language slot, the message with its action calls, a resume) at the default
    # Rasa timeout each is not cut short …
    assert timedelta(seconds=3 * rasa_timeout) <= TURN_DEADLINE
    # … and no turn holds its claim longer than its Rasa deadline plus the time its writes get.
    assert TURN_DEADLINE + CLAIM_MARGIN <= STALE_PROCESSING
    assert timedelta(seconds=10) <= CLAIM_MARGIN
    # Waiting for another request's resume happens inside the deadline, and is shorter than it.
    assert timedelta(seconds=TURN_WAIT_SECONDS) < TURN_DEADLINE
    # What a killed app's customers wait is about a minute.
    assert timedelta(seconds=45) <= STALE_PROCESSING <= timedelta(seconds=90)


async def test_the_deadline_bounds_all_requests_together_and_an_inner_one_cannot_extend_it() -> None:
    assert time_left() == float("inf")
    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=httpx.MockTransport(hung_rasa)) as client:
        gateway = HttpRasaGateway(client, "token")
        started = time.monotonic()
        with turn_deadline(0.2):
            with turn_deadline(60), pytest.raises(RasaUnavailable, match="turn's time"):
                await gateway.send("c-1", "hello", {})
            assert time_left() <= 0
            with pytest.raises(RasaUnavailable, match="time for Rasa is up"):
                await gateway.set_slot("c-1", "language", "zh")
        assert time.monotonic() - started < 5
    assert time_left() == float("inf")


async def test_a_turn_rasa_does_not_finish_in_time_fails_and_gives_its_message_back(
    sessions: sessionmaker[Session],
) -> None:
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=httpx.MockTransport(hung_rasa)) as client:
        turns = TurnService(
            store,
            backlog,
            EscalationDesk(sessions, DeskSettings()),
            HttpRasaGateway(client, "token"),
            Metrics(),
            EventBus(),
            deadline=timedelta(seconds=0.3),
        )
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await turns.handle(Inbound("c-1", "Where is my parcel?", language="en", message_id="m-1"))
        assert time.monotonic() - started < 5
    # No longer "processing": the retry loop has it (and reads Rasa's tracker before sending it again).
    [message] = store.transcript("c-1")
    assert message.state == MessageState.FAILED
    assert backlog.waiting() == 1
