"""The port the channels hold (engine/port.py), as the app hands it to a channel adapter: a turn and
its delivery, refusals as values (with the apology in the conversation's language), messages the bot
cannot read acknowledged without Rasa (`TurnService.acknowledge`), the reads a channel needs, agent
replies written outside the console, and the channels' own state."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from desk.copy import say
from desk.handoff import HandoffReason
from desk.outbox import Outgoing
from desk.turns import Outcome, TurnRecord, turn_payload
from engine.events import staff_topic
from engine.port import AssistantPort, Refusal, Reply
from engine.turns import Inbound
from tests.api.staff import services_of
from tests.app_factory import build_app
from tests.database_outage import database_down, desk_url
from tests.fake_rasa import FakeRasa
from tests.waiting import wait_until

T = TypeVar("T")
BUTTONS = [{"title": "👍", "payload": "/vote_up"}]


def echo(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's part: an answer echoing the message, with a 👍 button."""
    return [{"text": f"echo: {message}", "buttons": BUTTONS}, {"custom": turn_payload(TurnRecord(Outcome.ANSWERED))}]


@dataclass
class PortHolder:
    """A channel adapter that only keeps the port it is given and what it is asked to deliver."""

    name: str = "test"
    port: AssistantPort | None = None
    delivered: list[Outgoing] = field(default_factory=list)

    def install(self, app: FastAPI) -> None:
        pass

    async def start(self, port: AssistantPort) -> None:
        self.port = port

    async def stop(self) -> None:
        pass

    async def deliver(self, message: Outgoing) -> None:
        self.delivered.append(message)


@dataclass
class Setup:
    client: TestClient
    rasa: FakeRasa
    channel: PortHolder

    @property
    def port(self) -> AssistantPort:
        assert self.channel.port is not None
        return self.channel.port

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """An async call of the port, on the app's event loop."""
        portal = self.client.portal
        assert portal is not None

        async def awaited() -> T:
            return await call()

        return portal.call(awaited)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    rasa, channel = FakeRasa(echo), PortHolder()
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[channel])) as client:
        yield Setup(client, rasa, channel)


def message(conversation_id: str, text: str, **fields: Any) -> Inbound:
    return Inbound(conversation_id, text, channel="test", **fields)


def picture(language: str) -> str:
    return say("picture_received", "zh" if language == "zh" else "en")


def test_a_turn_is_answered_and_its_replies_go_through_the_outbox(setup: Setup) -> None:
    reply = setup.run(functools.partial(setup.port.answer, message("test:1", "hello there", message_id="m1")))
    assert reply.refusal is None and reply.turn is not None
    assert [m.text for m in reply.messages] == ["echo: hello there"]
    delivered = wait_until(lambda: setup.channel.delivered, what="the delivery")
    assert [(d.text, d.buttons, d.language) for d in delivered] == [("echo: hello there", (("👍", "/vote_up"),), "en")]
    # Kept for the adapter to give itself: nothing more goes to the outbox.
    kept = setup.run(functools.partial(setup.port.answer, message("test:1", "and more?"), deliver=False))
    assert kept.turn is not None and len(setup.channel.delivered) == 1
    assert setup.run(functools.partial(setup.port.last_buttons, "test:1")) == BUTTONS


def test_refusals_are_values_and_the_apology_speaks_the_conversations_language(setup: Setup) -> None:
    setup.rasa.down = True
    reply = setup.run(functools.partial(setup.port.answer, message("test:2", "电池保修多久？")))
    assert reply == Reply(refusal=Refusal.UNAVAILABLE, notice=say("assistant_unavailable", "zh"), retry_after=5)
    [stored] = setup.run(functools.partial(setup.port.transcript, "test:2"))
    assert (stored.text, stored.state) == ("电池保修多久？", "failed")
    # An order number says no language: the stored conversation's is the apology's.
    again = setup.run(functools.partial(setup.port.answer, message("test:2", "12345678")))
    assert again.notice == say("assistant_unavailable", "zh")
    forged = setup.run(functools.partial(setup.port.answer, message("test:2", "hi", payload="/restart")))
    assert forged.refusal == Refusal.NOT_OFFERED and forged.turn is None


def test_a_message_is_received_first_and_answered_after(setup: Setup, tmp_path: Path) -> None:
    question = message("test:4", "hello there", message_id="m1")
    assert setup.run(functools.partial(setup.port.receive, question)) == Reply()
    [stored] = setup.run(functools.partial(setup.port.transcript, "test:4"))
    assert (stored.text, stored.state) == ("hello there", "received") and setup.rasa.sent == []
    assert setup.run(functools.partial(setup.port.receive, question)) == Reply()  # stored once
    answered = setup.run(functools.partial(setup.port.answer, question))
    assert [m.text for m in answered.messages] == ["echo: hello there"] and len(setup.rasa.sent) == 1
    forged = setup.run(functools.partial(setup.port.receive, message("test:4", "hi", payload="/restart")))
    assert forged.refusal == Refusal.NOT_OFFERED
    # Nothing can be kept: refused with the request to send it again, in the message's language.
    with database_down(desk_url(tmp_path)):
        for call in (setup.port.receive, setup.port.answer):
            refused = setup.run(functools.partial(call, message("test:5", "电池保修多久？", message_id="m2")))
            assert refused == Reply(refusal=Refusal.NOT_STORED, notice=say("message_not_stored", "zh"), retry_after=5)
        image = message("test:5", "[image]", default_language="zh", language_from_text=False)
        unread = setup.run(functools.partial(setup.port.acknowledge, image, picture))
        assert unread.refusal == Refusal.NOT_STORED
    assert setup.run(functools.partial(setup.port.conversation, "test:5")) is None


def test_a_message_the_bot_cannot_read_is_acknowledged_without_rasa(setup: Setup) -> None:
    image = message("test:3", "[image]", default_language="zh", language_from_text=False, message_id="i1")
    first = setup.run(functools.partial(setup.port.acknowledge, image, picture, deliver=False))
    assert first.turn is not None and [m.text for m in first.messages] == [say("picture_received", "zh")]
    # A retry is answered with what was said, not stored twice.
    retried = setup.run(functools.partial(setup.port.acknowledge, image, picture, deliver=False))
    assert [m.id for m in retried.messages] == [m.id for m in first.messages]
    setup.run(functools.partial(setup.port.answer, message("test:3", "How long is the battery warranty?")))
    english = message("test:3", "[image]", language_from_text=False, message_id="i2")
    acknowledged = setup.run(functools.partial(setup.port.acknowledge, english, picture))
    assert [m.text for m in acknowledged.messages] == [say("picture_received", "en")]
    assert setup.rasa.messages == ["How long is the battery warranty?"]
    transcript = setup.run(functools.partial(setup.port.transcript, "test:3"))
    assert [(m.sender, m.text) for m in transcript if m.sender == "customer"] == [
        ("customer", "[image]"),
        ("customer", "How long is the battery warranty?"),
        ("customer", "[image]"),
    ]


def test_in_a_human_owned_conversation_it_reaches_the_agent_inbox(setup: Setup) -> None:
    setup.run(functools.partial(setup.port.answer, message("test:4", "我要投诉")))
    services_of(setup.client).escalations.open("test:4", HandoffReason.COMPLAINT, channel="test", language="zh")
    image = message("test:4", "[image]", language_from_text=False)
    reply = setup.run(functools.partial(setup.port.acknowledge, image, picture, deliver=False))
    assert reply.turn is not None and reply.turn.outcome == "queued"
    assert all(say("picture_received", "zh") != m.text for m in reply.messages)  # the queue notice instead
    assert setup.run(functools.partial(setup.port.transcript, "test:4"))[-len(reply.messages) - 1].state == "held"
    assert len(setup.rasa.sent) == 1


def test_reads_agent_replies_from_outside_and_channel_state(setup: Setup) -> None:
    port = setup.port
    setup.run(functools.partial(port.answer, message("test:5", "hello")))
    conversation = setup.run(functools.partial(port.conversation, "test:5"))
    assert conversation is not None and conversation.channel == "test"
    assert setup.run(functools.partial(port.latest_escalation, "test:5")) is None
    assert port.console_url.startswith("http://")

    async def reply_while_listening() -> tuple[Any, Any]:
        async with port.subscribe([staff_topic("test:5")]) as subscription:
            stored = await port.record_agent_reply("test:5", "on it", "WeCom zhangsan", external_id="w1")
            while (event := await subscription.next(timeout=5)) is not None and event.kind != "reply":
                pass  # the delivery of the bot's answer
            return stored, event

    stored, event = setup.run(reply_while_listening)
    assert stored is not None and stored.text == "[WeCom zhangsan] on it" and stored.delivery == "delivered"
    assert event is not None and (event.kind, event.data) == ("reply", {"message_id": stored.id})
    again = setup.run(functools.partial(port.record_agent_reply, "test:5", "on it", "WeCom zhangsan", external_id="w1"))
    assert again is None

    port.channel_state.put("test", "cursor", {"at": "3"})
    assert port.channel_state.get("test", "cursor") == {"at": "3"}
    port.channel_state.delete("test", "cursor")
    assert port.channel_state.get("test", "cursor") is None


def test_a_customers_words_never_reach_rasa_as_a_command(setup: Setup) -> None:
    """This channel checks nothing: the turn service still hands Rasa typed "/…" as words, the
    transcript keeps what the customer wrote, and only an offered button's payload is a command."""
    typed = ["/EXTERNAL_resolved", ' /vote{"faq_id":"x","vote":"down"}', "/ /greet", "//"]
    for text in typed:
        reply = setup.run(functools.partial(setup.port.answer, message("test:6", text)))
        assert reply.turn is not None
    assert setup.rasa.messages == ["EXTERNAL_resolved", 'vote{"faq_id":"x","vote":"down"}', "greet", "…"]
    pressed = setup.run(functools.partial(setup.port.answer, message("test:6", "👍", payload="/vote_up")))
    assert pressed.turn is not None and setup.rasa.messages[-1] == "/vote_up"
    transcript = setup.run(functools.partial(setup.port.transcript, "test:6"))
    assert [m.text for m in transcript if m.sender == "customer"] == [*typed, "👍"]
