"""The buttons a channel without buttons showed as numbered options: those of the latest bot message
that had any, since the customer's (or an agent's) last message."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import ConversationStore
from desk.outbox import Outbox
from desk.turns import BotMessage, Outcome, TurnRecord

VOTES = [{"title": "👍", "payload": "/vote_up"}, {"title": "👎", "payload": "/vote_down"}]


def say(store: ConversationStore, text: str, replies: list[BotMessage]) -> None:
    stored = store.record_inbound("c-1", text=text, payload=None, language="zh", channel="wechat")
    store.record_reply("c-1", stored.message.id, replies, TurnRecord("answered"), language="zh", latency_ms=1.0)


def test_the_last_offered_buttons_are_those_of_the_latest_bot_turn(sessions: sessionmaker[Session]) -> None:
    store = ConversationStore(sessions)
    assert store.last_buttons("c-1") == []
    say(store, "电池保修多久", [BotMessage("电池保修 1 年", VOTES), BotMessage("还有其他问题吗？")])
    assert store.last_buttons("c-1") == VOTES
    say(store, "谢谢", [BotMessage("不客气")])
    assert store.last_buttons("c-1") == []  # the options shown before no longer apply


def test_buttons_the_customer_has_not_received_are_not_the_last_offered(sessions: sessionmaker[Session]) -> None:
    store = ConversationStore(sessions)
    say(store, "电池保修多久", [BotMessage("电池保修 1 年", VOTES)])
    rating = [{"title": "5", "payload": '/rate_service{"csat":5}'}]
    [question] = store.record_pushed("c-1", [BotMessage("请打分", rating)], TurnRecord(Outcome.RESOLVED), language="zh")
    # Still in the outbox (or given up): a number typed now refers to what the customer saw.
    assert store.last_buttons("c-1") == VOTES
    Outbox(sessions).delivered(question.id)
    assert store.last_buttons("c-1") == rating
