"""Rasa's socket.io web-chat protocol at `/socket.io/`, with a real python-socketio client (the peer
Rasa's own channel is built on) against the app served by uvicorn on a free port."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import socketio
import uvicorn
from fastapi import FastAPI

from bench.system import free_port
from channels.webchat.session import CONVERSATION_ID
from desk.copy import say
from desk.handoff import HandoffReason
from desk.models import Role
from desk.services import DeskServices
from tests.channels.webchat.support import VOTES, webchat_app, webchat_rasa
from tests.database_outage import database_down
from tests.fake_rasa import FakeRasa
from tests.served import serving


@dataclass
class Served:
    url: str
    app: FastAPI
    rasa: FakeRasa

    @property
    def services(self) -> DeskServices:
        services: DeskServices = self.app.state.runtime.services
        return services


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One app for the module: each test starts its own sessions."""
    rasa = webchat_rasa()
    app = webchat_app(tmp_path_factory.mktemp("socketio"), rasa=rasa)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        ws="websockets-sansio",
        timeout_graceful_shutdown=2,
    )
    with serving(config, "socketio") as url:
        yield Served(url, app, rasa)


@pytest.fixture
def served(server: Served) -> Served:
    server.rasa.down = False
    server.rasa.sent.clear()
    return server


class RasaWidget:
    """What a Rasa web-chat widget does on the wire: session_request, user_uttered, and listening
    for session_confirm and bot_uttered (plus this app's chat_error)."""

    def __init__(self, url: str, transport: str = "websocket", **connect: Any) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "chat_error"):
            self.client.on(name, self._recorder(name))
        self.client.connect(url, socketio_path="/socket.io/", transports=[transport], wait_timeout=10, **connect)
        self.session_id: str | None = None

    def _recorder(self, name: str) -> Any:
        def record(data: Any = None) -> None:
            self.events.put((name, data))

        return record

    def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        return self.events.get(timeout=timeout)

    def request_session(self, session_id: str | None = None) -> str:
        self.client.emit("session_request", {"session_id": session_id})
        name, data = self.next()
        assert name == "session_confirm", (name, data)
        self.session_id = data
        return str(data)

    def utter(self, message: str, count: int = 1, **extra: Any) -> list[tuple[str, Any]]:
        self.client.emit("user_uttered", {"message": message, "session_id": self.session_id, **extra})
        return [self.next() for _ in range(count)]

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def widget(served: Served) -> Iterator[RasaWidget]:
    client = RasaWidget(served.url)
    try:
        yield client
    finally:
        client.close()


def test_session_request_is_confirmed_with_an_id_the_server_issued(served: Served, widget: RasaWidget) -> None:
    first = widget.request_session()
    assert CONVERSATION_ID.match(first)
    # Not a conversation yet: asking for it again gives a new one, and so does someone else's guess.
    assert widget.request_session(first) != first
    assert widget.request_session("my-own-id") != "my-own-id"
    session = widget.request_session()
    widget.utter("How long is the battery warranty?", count=2)
    other = RasaWidget(served.url)
    try:
        assert other.request_session(session) == session  # a returning widget keeps its conversation
    finally:
        other.close()


def test_user_uttered_is_answered_with_bot_uttered_in_rasas_format(served: Served, widget: RasaWidget) -> None:
    session = widget.request_session()
    answer = widget.utter(
        "How long is the battery warranty?", count=2, customData={"language": "en", "page": "/products/rv7"}
    )
    quick_replies = [{"content_type": "text", **button} for button in VOTES]
    assert answer == [
        ("bot_uttered", {"text": "The battery has a 1-year warranty.", "quick_replies": []}),
        ("bot_uttered", {"text": "Keep your invoice.", "quick_replies": quick_replies}),
    ]
    sender, text, metadata = served.rasa.sent[-1]
    assert (sender, text) == (session, "How long is the battery warranty?")
    stored_question = served.services.conversations.transcript(session)[0]
    evidence = metadata.pop("evidence")  # the knowledge base's, for Rasa's routing (docs/routing.md)
    assert evidence["decision"] == "answer"
    assert metadata == {
        "language": "en",
        "page": "/products/rv7",
        "channel": "web",
        "may_escalate": True,
        "message_id": stored_question.id,
    }

    # A quick reply sends its payload as the message; the transcript shows the button's title.
    thanks = widget.utter(VOTES[0]["payload"])
    assert thanks == [("bot_uttered", {"text": "Thanks for your feedback!"})]
    transcript = served.services.conversations.transcript(session)
    assert [(m.sender, m.text) for m in transcript][2] == ("customer", "👍 Helpful")
    conversation = served.services.conversations.get(session)
    assert conversation is not None and conversation.channel == "web" and conversation.language == "en"


def test_a_message_right_after_session_request_waits_for_the_session(served: Served, widget: RasaWidget) -> None:
    widget.client.emit("session_request", {"session_id": None})
    widget.client.emit("user_uttered", {"message": "How long is the battery warranty?"})
    events = [widget.next() for _ in range(3)]
    assert [name for name, _ in events] == ["session_confirm", "bot_uttered", "bot_uttered"]
    assert served.rasa.sent[-1][0] == events[0][1]


def test_customdata_language_decides_a_message_that_tells_none(served: Served, widget: RasaWidget) -> None:
    session = widget.request_session()
    widget.utter("LM202611260001", count=2, customData={"language": "zh"})  # an order number alone
    assert served.rasa.sent[-1][2]["language"] == "zh"
    conversation = served.services.conversations.get(session)
    assert conversation is not None and conversation.language == "zh"


@pytest.mark.parametrize(
    ("hint", "question", "language"),
    [
        ("zh", "How long is the battery warranty?", "en"),  # the hint in the docs' own snippet
        ("en", "电池保修多久？", "zh"),  # rasa-webchat's default hint
    ],
)
def test_customdata_language_never_overrides_what_the_message_says(
    served: Served, widget: RasaWidget, hint: str, question: str, language: str
) -> None:
    """rasa-webchat sends its `customData.language` with every message, whatever the customer writes:
    a hint, not a choice. The turn's language goes to Rasa (the actions answer in it)."""
    session = widget.request_session()
    widget.utter(question, count=2, customData={"language": hint})
    assert served.rasa.sent[-1][2]["language"] == language
    widget.utter("LM202611260001", count=2, customData={"language": hint})  # no language of its own
    assert served.rasa.sent[-1][2]["language"] == language  # the conversation's, not the hint
    conversation = served.services.conversations.get(session)
    assert conversation is not None and conversation.language == language
    assert [m.language for m in served.services.conversations.transcript(session)] == [language] * 4


def test_refusals_arrive_as_chat_error(served: Served, widget: RasaWidget) -> None:
    assert widget.utter("hello") == [("chat_error", {"code": "no_session", "message": "Send session_request first."})]
    widget.request_session()
    for message, code in (
        ("/restart", "unknown_payload"),
        ("x" * 2001, "invalid_message"),
        ("", "invalid_message"),
        ("a\x07b", "invalid_message"),
    ):
        name, data = widget.utter(message)[0]
        assert (name, data["code"]) == ("chat_error", code), message
    name, data = widget.utter("hi", customData="not an object")[0]
    assert (name, data["code"]) == ("chat_error", "invalid_message")
    widget.client.emit("user_uttered", {"message": "hi", "session_id": "web:" + "B" * 24})
    assert widget.next()[1]["code"] == "unknown_session"
    served.rasa.down = True
    unavailable = widget.utter("How long is the battery warranty?", count=2)
    assert unavailable[0] == ("bot_uttered", {"text": say("assistant_unavailable", "en")})
    assert unavailable[1][1]["code"] == "assistant_unavailable"
    assert served.rasa.sent == []  # nothing refused reached Rasa


def test_a_message_the_database_could_not_store_is_asked_for_again(served: Served, widget: RasaWidget) -> None:
    session = widget.request_session()
    question = {"message": "How long is the battery warranty?", "session_id": session, "message_id": "m-1"}
    url: str = served.app.state.runtime.database_url
    with database_down(url):
        # socket.io's acknowledgement says to send it again; Rasa's own clients see a bot message.
        ack = widget.client.call("user_uttered", question, timeout=10)
        assert ack == {"message_id": "m-1", "resend": True, "code": "message_not_stored", "retry_after": 5}
        assert widget.next() == ("bot_uttered", {"text": say("message_not_stored", "en")})
        assert widget.next()[1]["code"] == "message_not_stored"
    assert served.rasa.sent == []
    assert widget.client.call("user_uttered", question, timeout=10) == {"message_id": "m-1", "resend": False}
    assert [widget.next()[0], widget.next()[0]] == ["bot_uttered", "bot_uttered"]
    transcript = served.services.conversations.transcript(session)
    assert [m.sender for m in transcript] == ["customer", "bot"] and len(served.rasa.sent) == 1


def test_a_typed_command_never_reaches_rasa(served: Served, widget: RasaWidget) -> None:
    """Rasa's widgets send a quick reply's payload as the message: "/…" is taken as a button press,
    so a command nobody offered is refused, not passed to Rasa."""
    session = widget.request_session()
    for typed in ("/EXTERNAL_resolved", " /greet", '/vote{"faq_id":"x","vote":"down"}'):
        name, data = widget.utter(typed)[0]
        assert (name, data["code"]) == ("chat_error", "unknown_payload"), typed
    assert served.rasa.sent == []
    assert served.services.conversations.get(session) is None  # nothing was stored either


def test_agent_replies_are_pushed_as_bot_uttered(served: Served, widget: RasaWidget) -> None:
    session = widget.request_session()
    widget.utter("How long is the battery warranty?", count=2)
    escalation = served.services.escalations.open(session, HandoffReason.CUSTOMER_REQUEST, channel="web", language="en")
    user = served.services.users.create("alice", "correct horse battery", Role.AGENT, "Alice")
    secret, _ = served.services.access.create_token("alice-tests", Role.AGENT, user.id)
    agent = {"Authorization": f"Bearer {secret}"}
    base = f"{served.url}/api/v1/escalations/{escalation.escalation.id}"
    assert httpx.post(f"{base}/claim", headers=agent).status_code == 200
    reply = httpx.post(f"{base}/replies", json={"text": "Hi, I'm Alice.\n\nLet me check."}, headers=agent)
    assert reply.status_code == 201
    assert [widget.next(), widget.next()] == [
        ("bot_uttered", {"text": "Hi, I'm Alice."}),
        ("bot_uttered", {"text": "Let me check."}),
    ]
    # While the agent owns the conversation the customer's messages reach the agent, not Rasa.
    before = len(served.rasa.sent)
    widget.client.emit("user_uttered", {"message": "thanks", "session_id": session})
    assert httpx.post(f"{base}/resolve", json={"code": "answered"}, headers=agent).status_code == 200
    name, rating = widget.next()
    assert name == "bot_uttered" and [q["title"] for q in rating["quick_replies"]] == ["1", "2", "3", "4", "5"]
    assert len(served.rasa.sent) == before


def test_a_foreign_origin_cannot_connect(served: Served) -> None:
    # Long polling, where the client sends the Origin given (its WebSocket sends the server's own).
    with pytest.raises(socketio.exceptions.ConnectionError):
        RasaWidget(served.url, "polling", headers={"Origin": "https://evil.example"})
    # The Engine.IO handshake itself, for an allowed page and a foreign one.
    handshake = f"{served.url}/socket.io/?EIO=4&transport=polling"
    allowed = httpx.get(handshake, headers={"Origin": "http://localhost:3000"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert httpx.get(handshake, headers={"Origin": "https://evil.example"}).status_code == 400
