"""The retry loop (engine/retries.py): a message whose turn failed is answered once Rasa is back and
the answer pushed through the conversation's channel; a turn that timed out but ran is not sent
again; a message waiting past the bound is given up where agents and metrics see it; the messages
that waited are answered before the customer's next one; two replicas answer a message once."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.answer_backlog import AnswerBacklog, RetrySchedule
from desk.conversations import ConversationStore, StoredMessage
from desk.database import make_engine
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import Role, Turn
from desk.outbox import Outbox, Outgoing
from desk.settings import DeskSettings
from desk.turns import MESSAGE_ID, Outcome, TurnRecord, turn_payload
from engine.delivery import DeliveryWorker
from engine.events import Event, EventBus, conversation_topic
from engine.metrics import Metrics
from engine.port import AssistantPort, Refusal
from engine.retries import AnswerRetries
from engine.turns import Inbound, TurnService
from tests.api.staff import create_user, services_of, sign_in
from tests.app_factory import build_app
from tests.conversation_api import Started, start_conversation
from tests.engine.test_port import PortHolder
from tests.fake_rasa import FakeRasa
from tests.waiting import wait_until

# The loop's rounds and first wait: short, so a test sees a retry within a second.
FAST = {"answer_retry_seconds": 0.2, "answer_retry_longest_seconds": 0.5}
# A loop that does not come round during a test: what a request does is all that happens.
IDLE = {"answer_retry_seconds": 60.0}


def echo(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"text": f"echo: {message}"}, {"custom": turn_payload(TurnRecord(Outcome.ANSWERED))}]


def retries(client: TestClient, result: str) -> float:
    metrics: Metrics = client.app.state.runtime.metrics  # type: ignore[attr-defined]
    return metrics.registry.get_sample_value("assistant_retries_total", {"result": result}) or 0.0


def waiting(client: TestClient) -> float | None:
    metrics: Metrics = client.app.state.runtime.metrics  # type: ignore[attr-defined]
    return metrics.registry.get_sample_value("assistant_messages_waiting")


def post(client: TestClient, chat: Started, text: str, message_id: str) -> Any:
    return client.post(f"{chat.url}/messages", json={"text": text, "message_id": message_id}, headers=chat.headers)


def transcript(client: TestClient, chat: Started) -> list[dict[str, Any]]:
    response = client.get(chat.url, headers=chat.headers)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["transcript"]
    return messages


def test_an_api_message_rasa_missed_is_answered_once_and_pushed_to_the_event_stream(tmp_path: Path) -> None:
    rasa = FakeRasa(echo, down=True)
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], **FAST)) as client:
        chat = start_conversation(client, language="en")
        refused = post(client, chat, "where is my parcel?", "m1")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        [stored] = transcript(client, chat)
        assert stored["state"] == "failed"
        bus: EventBus = client.app.state.runtime.bus  # type: ignore[attr-defined]

        async def rasa_comes_back() -> Event | None:
            async with bus.subscribe([conversation_topic(chat.id)]) as events:
                rasa.down = False
                while (event := await events.next(10)) is not None:
                    if event.kind == "message":
                        return event
            return None

        pushed = client.portal.call(rasa_comes_back)  # type: ignore[union-attr]
        assert pushed is not None
        question, answer = transcript(client, chat)
        assert (question["state"], answer["text"], answer["id"]) == (
            "answered",
            "echo: where is my parcel?",
            pushed.data["message_id"],
        )
        time.sleep(0.5)  # more rounds of the loop: nothing more happens
        assert rasa.messages == ["where is my parcel?"]
        assert rasa.sent[0].metadata[MESSAGE_ID] == question["id"]
        assert len(transcript(client, chat)) == 2
        assert retries(client, "answered") == 1 and waiting(client) == 0
        # The client's own retry now gets the answer given, without Rasa.
        again = post(client, chat, "where is my parcel?", "m1")
        assert again.status_code == 200 and [m["text"] for m in again.json()["messages"]] == [
            "echo: where is my parcel?"
        ]
        assert len(rasa.sent) == 1


@dataclass
class Platform:
    client: TestClient
    rasa: FakeRasa
    channel: PortHolder

    def answer(self, inbound: Inbound) -> Any:
        port: AssistantPort | None = self.channel.port
        assert port is not None
        return self.client.portal.call(functools.partial(port.answer, inbound, deliver=False))  # type: ignore[union-attr]

    def delivered(self) -> list[str]:
        return [message.text for message in self.channel.delivered]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    """A platform channel (a stub registered with the delivery worker under the name "test")."""
    rasa, channel = FakeRasa(echo), PortHolder()
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[channel], **FAST)) as client:
        yield Platform(client, rasa, channel)


def test_a_platform_message_rasa_missed_is_delivered_through_its_channel(platform: Platform) -> None:
    platform.rasa.down = True
    refused = platform.answer(Inbound("test:1", "is my repair done?", channel="test", message_id="p1"))
    assert refused.refusal == Refusal.UNAVAILABLE
    time.sleep(0.5)  # rounds with Rasa still down
    assert platform.delivered() == [] and retries(platform.client, "failed") >= 1
    platform.rasa.down = False
    assert wait_until(platform.delivered, what="the late answer") == ["echo: is my repair done?"]
    time.sleep(0.5)
    assert platform.delivered() == ["echo: is my repair done?"] and len(platform.rasa.sent) == 1


def test_a_turn_that_timed_out_but_ran_is_not_sent_again(platform: Platform) -> None:
    # Rasa answers after the app stopped waiting: the turn is in its tracker, the app saw a timeout.
    platform.rasa.delay, platform.rasa.timeout = 5.0, 0.1
    refused = platform.answer(Inbound("test:2", "refund status?", channel="test", message_id="p2"))
    assert refused.refusal == Refusal.UNAVAILABLE
    platform.rasa.delay = 0.0  # sent again now, it would be answered (and counted) at once
    assert wait_until(platform.delivered, what="the recovered answer") == ["echo: refund status?"]
    [(sender, message_id)] = platform.rasa.lookups
    assert sender == "test:2" and len(platform.rasa.sent) == 1
    assert retries(platform.client, "recovered") == 1
    [question, answer] = services_of(platform.client).conversations.transcript("test:2")
    assert question.id == message_id and (question.state, answer.text) == ("answered", "echo: refund status?")


def loses_its_first_action() -> Callable[[str, str, dict[str, Any]], list[dict[str, Any]]]:
    """Rasa's turn that ran but lost its action the first time (in the tracker, no bot event after it)."""
    first: list[bool] = []

    def reply(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if not first:
            first.append(True)
            return []
        return echo(sender, message, metadata)

    return reply


@pytest.mark.parametrize(
    ("first_turn", "sends"),
    [
        pytest.param(lambda: echo, 1, id="ran: its answer, not sent again"),
        pytest.param(loses_its_first_action, 2, id="ran but lost its action: sent again"),
    ],
)
def test_a_clients_retry_of_a_turn_that_timed_out_after_it_ran(
    tmp_path: Path, first_turn: Callable[[], Callable[[str, str, dict[str, Any]], list[dict[str, Any]]]], sends: int
) -> None:
    rasa = FakeRasa(first_turn(), delay=5.0, timeout=0.1)
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], **IDLE)) as client:
        chat = start_conversation(client, language="en")
        assert post(client, chat, "refund status?", "m1").status_code == 503
        rasa.delay = 0.0
        again = post(client, chat, "refund status?", "m1")
        assert again.status_code == 200, again.text
        assert [m["text"] for m in again.json()["messages"]] == ["echo: refund status?"]
        assert len(rasa.sent) == sends and len(rasa.lookups) == 1


def test_a_message_waiting_past_the_bound_is_given_up_visibly_and_counted(tmp_path: Path) -> None:
    rasa = FakeRasa(echo, down=True)
    settings = {**FAST, "answer_retry_give_up_hours": 1 / 3600}  # one second
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], **settings)) as client:
        chat = start_conversation(client, language="en")
        assert post(client, chat, "hello?", "m1").status_code == 503
        wait_until(lambda: transcript(client, chat)[0]["state"] == "unanswered", what="giving up")
        assert retries(client, "gave_up") == 1 and retries(client, "failed") >= 1
        wait_until(lambda: waiting(client) == 0, what="the waiting gauge")
        rasa.down = False
        time.sleep(0.5)
        assert rasa.sent == []  # given up: the loop leaves it
        # The agents see it in the conversation's transcript when they take the case.
        services = services_of(client)
        opened = services.escalations.open(chat.id, HandoffReason.CUSTOMER_REQUEST, channel="api", language="en")
        create_user(client, "alice", Role.AGENT)
        sign_in(client, "alice")
        page = client.get(f"/console/escalations/{opened.escalation.id}")
        assert page.status_code == 200 and "unanswered" in page.text


def test_messages_that_waited_are_answered_before_the_customers_new_one(tmp_path: Path) -> None:
    rasa = FakeRasa(echo, down=True)
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], **IDLE)) as client:
        chat = start_conversation(client, language="en")
        assert post(client, chat, "my order is 12345678", "m1").status_code == 503
        rasa.down = False
        reply = post(client, chat, "where is it?", "m2")
        assert reply.status_code == 200, reply.text
        assert [m["text"] for m in reply.json()["messages"]] == ["echo: my order is 12345678", "echo: where is it?"]
        assert rasa.messages == ["my order is 12345678", "where is it?"]
        assert [m["state"] for m in transcript(client, chat) if m["sender"] == "customer"] == ["answered", "answered"]
        assert retries(client, "caught_up") == 1
        # Each message keeps its own answer, for a client's retry of either.
        first = post(client, chat, "my order is 12345678", "m1")
        assert [m["text"] for m in first.json()["messages"]] == ["echo: my order is 12345678"]


def test_when_rasa_fails_after_the_waiting_messages_their_answers_still_reach_the_customer(tmp_path: Path) -> None:
    rasa = FakeRasa(down=True)

    def answer_then_fail(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        rasa.down = True  # Rasa goes away again right after this turn
        return echo(sender, message, metadata)

    rasa.reply = answer_then_fail
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], **IDLE)) as client:
        chat = start_conversation(client, language="en")
        assert post(client, chat, "my order is 12345678", "m1").status_code == 503
        rasa.down = False
        reply = post(client, chat, "where is it?", "m2")
        # The answer to the first message now; the second waits for the retry loop (pushed later).
        assert reply.status_code == 200 and [m["text"] for m in reply.json()["messages"]] == [
            "echo: my order is 12345678"
        ]
        assert [m["state"] for m in transcript(client, chat) if m["sender"] == "customer"] == ["answered", "failed"]


# -- two replicas on one database (SQLite and PostgreSQL) --------------------------------------------


class MeetingBacklog(AnswerBacklog):
    """Both replicas have read what is due before either claims anything: the worst interleaving."""

    def __init__(self, sessions: sessionmaker[Session], barrier: threading.Barrier) -> None:
        super().__init__(sessions)
        self._barrier = barrier

    def due(self, limit: int = 200) -> list[list[StoredMessage]]:
        found = super().due(limit)
        self._barrier.wait()
        return found


@pytest.fixture
def engines(database_url: str) -> Iterator[list[Engine]]:
    """Two replicas' connections to one database."""
    made = [make_engine(database_url) for _ in range(2)]
    yield made
    for engine in made:
        engine.dispose()


@dataclass
class Delivered:
    messages: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> None:
        self.messages.append(message)


def replica(
    engine: Engine, rasa: FakeRasa, barrier: threading.Barrier, channel: Delivered
) -> tuple[AnswerRetries, DeliveryWorker]:
    """One app replica's retry loop and delivery worker, with its own connections to the shared database."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    store, backlog, bus, metrics = ConversationStore(sessions), MeetingBacklog(sessions, barrier), EventBus(), Metrics()
    turns = TurnService(store, backlog, EscalationDesk(sessions, DeskSettings()), rasa, metrics, bus)
    delivery = DeliveryWorker(Outbox(sessions), {"test": channel}, bus)
    return AnswerRetries(backlog, store, turns, delivery, bus, metrics, RetrySchedule()), delivery


async def test_two_replicas_answer_each_message_once_and_in_order(
    sessions: sessionmaker[Session], engines: list[Engine]
) -> None:
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    waited = [
        store.record_inbound(conversation, text=text, payload=None, language="en", channel="test", claim=True)
        for conversation, text in (("test:1", "one"), ("test:1", "two"), ("test:2", "three"))
    ]
    for inbound in waited:  # due at once
        backlog.failed(inbound.message.id, "Rasa is unreachable", RetrySchedule(first=timedelta(0)))
    rasa, barrier, channel = FakeRasa(echo, delay=0.05), threading.Barrier(2, timeout=10), Delivered()
    (first, first_delivery), (second, second_delivery) = (replica(e, rasa, barrier, channel) for e in engines)
    answered = await asyncio.gather(first.retry_due(), second.retry_due())
    assert sum(answered) == 3
    assert sorted(rasa.messages) == ["one", "three", "two"]
    assert rasa.messages.index("one") < rasa.messages.index("two")
    with sessions() as session:
        assert session.scalar(select(func.count(Turn.id))) == 3
    # The delivery workers' rounds (a conversation's replies go out one after the other).
    while sum(await asyncio.gather(first_delivery.deliver_due(), second_delivery.deliver_due())):
        pass
    assert sorted(m.text for m in channel.messages) == ["echo: one", "echo: three", "echo: two"]
    assert [m.text for m in channel.messages if m.conversation_id == "test:1"] == ["echo: one", "echo: two"]
