"""One conversation's turns reach Rasa in the order their messages were stored (engine/turns.py
`_in_order`), however many requests, and replicas (here two turn services with locks of their own
over one database: as two processes without Redis), take them at once; a turn waits for an earlier
message being answered elsewhere, within its deadline, and past it fails as a Rasa timeout does
(the message kept for the retry loop)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.answer_backlog import AnswerBacklog, RetrySchedule
from desk.conversations import ConversationStore
from desk.conversations import Inbound as StoredInbound
from desk.escalations import EscalationDesk
from desk.models import MessageState, Sender
from desk.outbox import Outbox
from desk.settings import DeskSettings
from desk.turns import BotMessage, Outcome, TurnRecord
from engine.conversation_locks import ConversationLocks, LocalLocks
from engine.delivery import DeliveryWorker
from engine.events import EventBus
from engine.metrics import Metrics
from engine.retries import AnswerRetries
from engine.turns import Inbound, ServiceUnavailable, TurnService
from tests.fake_rasa import FakeRasa


class JitteryStore(ConversationStore):
    """A store whose commits take a random while, as a busy database's do: without ordering, the
    second message's turn would often reach Rasa first."""

    def record_inbound(self, *args: Any, **kwargs: Any) -> StoredInbound:
        stored = super().record_inbound(*args, **kwargs)
        time.sleep(random.uniform(0, 0.02))
        return stored


class OrderedRasa(FakeRasa):
    """Rasa that records whether two messages of one conversation were ever inside it at once."""

    def __init__(self) -> None:
        super().__init__(self._answer)
        self.inside: dict[str, int] = {}
        self.overlaps = 0

    async def _answer(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.inside[sender] = self.inside.get(sender, 0) + 1
        self.overlaps += self.inside[sender] > 1
        await asyncio.sleep(random.uniform(0, 0.01))
        self.inside[sender] -= 1
        return [{"text": f"echo: {message}"}]


def service(
    sessions: sessionmaker[Session],
    rasa: FakeRasa,
    *,
    locks: ConversationLocks | None = None,
    deadline: timedelta = timedelta(seconds=20),
) -> TurnService:
    return TurnService(
        JitteryStore(sessions),
        AnswerBacklog(sessions),
        EscalationDesk(sessions, DeskSettings()),
        rasa,
        Metrics(),
        EventBus(),
        deadline=deadline,
        locks=locks,
    )


def customer_messages(sessions: sessionmaker[Session], conversation_id: str) -> list[str]:
    return [m.text for m in ConversationStore(sessions).transcript(conversation_id) if m.sender == Sender.CUSTOMER]


@pytest.mark.parametrize("replicas", [1, 2])
async def test_messages_sent_at_once_reach_rasa_in_the_order_stored(
    sessions: sessionmaker[Session], replicas: int
) -> None:
    rasa = OrderedRasa()
    services = [service(sessions, rasa) for _ in range(replicas)]
    conversations = [f"c-{n}" for n in range(8)]

    async def say(n: int, conversation_id: str, text: str) -> None:
        await services[n % replicas].handle(Inbound(conversation_id, text, language="en"))

    await asyncio.gather(
        *(
            say(n, conversation_id, f"{conversation_id} message {n}")
            for conversation_id in conversations
            for n in range(3)
        )
    )
    assert rasa.overlaps == 0
    for conversation_id in conversations:
        reached = [sent.message for sent in rasa.sent if sent.sender == conversation_id]
        assert len(reached) == 3
        assert reached == customer_messages(sessions, conversation_id)


def in_flight_elsewhere(sessions: sessionmaker[Session], text: str) -> StoredInbound:
    """A message another replica has stored and is answering right now (claimed, not answered)."""
    return ConversationStore(sessions).record_inbound(
        "c-1", text=text, payload=None, language="en", channel="api", claim=True
    )


async def test_a_turn_waits_for_an_earlier_message_being_answered_elsewhere(
    sessions: sessionmaker[Session],
) -> None:
    rasa = FakeRasa(lambda _s, message, _m: [{"text": f"echo: {message}"}])
    first = in_flight_elsewhere(sessions, "one")
    turn = asyncio.create_task(service(sessions, rasa).handle(Inbound("c-1", "two", language="en")))
    await asyncio.sleep(0.5)
    assert rasa.sent == [] and not turn.done()
    # The other replica's turn ends: its reply stored.
    ConversationStore(sessions).record_reply(
        "c-1", first.message.id, [BotMessage("echo: one")], TurnRecord(Outcome.ANSWERED), language="en", latency_ms=1
    )
    result = await asyncio.wait_for(turn, 5)
    assert rasa.messages == ["two"]
    assert [m.text for m in result.messages] == ["echo: two"]


async def test_a_wait_past_the_deadline_is_a_retryable_failure_and_the_message_is_kept(
    sessions: sessionmaker[Session],
) -> None:
    rasa = FakeRasa(lambda _s, message, _m: [{"text": f"echo: {message}"}])
    first = in_flight_elsewhere(sessions, "one")
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as refused:
        await service(sessions, rasa, deadline=timedelta(seconds=0.5)).handle(Inbound("c-1", "two", language="en"))
    assert 0.4 < time.monotonic() - started < 3
    assert refused.value.retry_after == 5
    assert rasa.sent == []
    second = next(m for m in ConversationStore(sessions).transcript("c-1") if m.text == "two")
    assert second.state == MessageState.FAILED  # kept: the retry loop answers it
    # The first one's turn ends; the retry loop answers the second after it.
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    store.record_reply(
        "c-1", first.message.id, [BotMessage("echo: one")], TurnRecord(Outcome.ANSWERED), language="en", latency_ms=1
    )
    schedule = RetrySchedule(first=timedelta(0))
    backlog.failed(second.id, "waited", schedule)  # due now
    bus = EventBus()
    retries = AnswerRetries(
        backlog,
        store,
        service(sessions, rasa),
        DeliveryWorker(Outbox(sessions), {}, bus),
        bus,
        Metrics(),
        schedule,
    )
    assert await retries.retry_due() == 1
    assert rasa.messages == ["two"]


async def test_the_retry_loop_leaves_a_conversation_whose_lock_is_held(sessions: sessionmaker[Session]) -> None:
    rasa = FakeRasa(lambda _s, message, _m: [{"text": f"echo: {message}"}])
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    waiting = in_flight_elsewhere(sessions, "one")
    schedule = RetrySchedule(first=timedelta(0))
    backlog.failed(waiting.message.id, "Rasa is unreachable", schedule)
    locks = LocalLocks()
    bus = EventBus()
    retries = AnswerRetries(
        backlog,
        store,
        service(sessions, rasa, locks=locks),
        DeliveryWorker(Outbox(sessions), {}, bus),
        bus,
        Metrics(),
        schedule,
    )
    async with locks.hold("c-1", wait=1):  # a live turn of the conversation has it
        assert await retries.retry_due() == 0
    assert rasa.sent == []
    assert await retries.retry_due() == 1
    assert rasa.messages == ["one"]
