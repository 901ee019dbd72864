"""The delivery worker (engine/delivery.py): a conversation's messages go out in the order stored,
a failed attempt holding back the ones after it, in the same round too."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import ConversationStore
from desk.models import Delivery
from desk.outbox import Outbox, Outgoing
from desk.turns import BotMessage, Outcome, TurnRecord
from engine.delivery import DeliveryFailed, DeliveryWorker
from engine.events import EventBus


class Flaky:
    """A channel that refuses the first attempt at each message named in `refuse_once`."""

    def __init__(self, refuse_once: set[str]) -> None:
        self.refuse_once = refuse_once
        self.attempts: list[str] = []

    async def deliver(self, message: Outgoing) -> None:
        self.attempts.append(message.text)
        if message.text in self.refuse_once:
            self.refuse_once.discard(message.text)
            raise DeliveryFailed("errcode -1 (system busy)")


def test_a_failed_message_holds_back_its_conversation_in_the_same_round(sessions: sessionmaker[Session]) -> None:
    store = ConversationStore(sessions)
    for conversation in ("c-1", "c-2"):
        store.record_inbound(conversation, text="你好", payload=None, language="zh", channel="wechat")
    pushed = [
        *store.record_pushed(
            "c-1", [BotMessage("one"), BotMessage("two")], TurnRecord(Outcome.RESOLVED), language="zh"
        ),
        *store.record_pushed("c-2", [BotMessage("other")], TurnRecord(Outcome.RESOLVED), language="zh"),
    ]
    channel = Flaky({"one"})
    outbox = Outbox(sessions)
    worker = DeliveryWorker(outbox, {"wechat": channel}, EventBus())

    assert asyncio.run(worker.deliver_due()) == 1
    assert channel.attempts == ["one", "other"]  # "two" was not tried after "one" failed
    asyncio.run(worker.retry_waiting("c-1"))  # the customer wrote again: tried now, in order
    assert asyncio.run(worker.deliver_due()) == 2
    assert channel.attempts == ["one", "other", "one", "two"]
    delivered = [m.delivery for m in store.transcript("c-1") + store.transcript("c-2") if m.sender == "bot"]
    assert delivered == [Delivery.DELIVERED] * 3 and len(pushed) == 3
