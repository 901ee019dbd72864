"""The web chat's WebSocket protocol (`/chat/ws`), its widget and demo page, through Starlette's
TestClient: sessions, refusals, history, idempotent resends, agent replies pushed live."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from channels.webchat.origins import OriginPolicy
from channels.webchat.session import CONVERSATION_ID
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket import FrameRate
from desk.models import Role
from tests.api.staff import services_of, token_for
from tests.api.test_escalations_api import escalate
from tests.channels.webchat.support import VOTES, webchat_app, webchat_rasa
from tests.database_outage import database_down, desk_url
from tests.fake_rasa import FakeRasa

Frame = dict[str, Any]
FRAMES_PER_SECOND = 40


@pytest.fixture
def rasa() -> FakeRasa:
    return webchat_rasa()


@pytest.fixture
def chat(tmp_path: Path, rasa: FakeRasa) -> Iterator[TestClient]:
    """The app with the web chat and a scripted Rasa (and room for the tests' bursts of frames)."""
    settings = WebChatSettings(max_frames_per_second=FRAMES_PER_SECOND)
    with TestClient(webchat_app(tmp_path, rasa=rasa, settings=settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def chat_without_rasa(tmp_path: Path) -> Iterator[TestClient]:
    """The app with the web chat and Rasa unreachable (human-owned conversations need none)."""
    with TestClient(webchat_app(tmp_path), raise_server_exceptions=False) as client:
        yield client


def receive(ws: WebSocketTestSession, timeout: float = 10.0) -> Frame:
    """The next frame, or a test failure after `timeout` (TestClient's own receive waits forever)."""

    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    frame: Frame = json.loads(message["text"])
    return frame


def receive_until(ws: WebSocketTestSession, kind: str | Frame, timeout: float = 10.0) -> list[Frame]:
    """Frames up to and including the first of type `kind` (or equal to it)."""
    frames = [receive(ws, timeout)]
    while kind not in (frames[-1]["type"], frames[-1]):
        frames.append(receive(ws, timeout))
    return frames


TYPING_OFF = {"type": "typing", "on": False}


def hello(ws: WebSocketTestSession, **fields: Any) -> tuple[Frame, Frame]:
    ws.send_json({"type": "hello", **fields})
    session, history = receive(ws), receive(ws)
    assert session["type"] == "session" and history["type"] == "history", (session, history)
    return session, history


def say(ws: WebSocketTestSession, text: str, reference: str) -> list[Frame]:
    """The frames of one turn: typing on … typing off."""
    ws.send_json({"type": "message", "text": text, "client_message_id": reference})
    return receive_until(ws, TYPING_OFF)


def ack_in(frames: list[Frame]) -> Frame:
    return next(f for f in frames if f["type"] == "ack")


def messages_in(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f["type"] == "message"]


def test_a_widget_gets_a_fresh_session_with_an_id_the_server_issued(chat: TestClient) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        session, history = hello(ws, language="zh")
    assert CONVERSATION_ID.match(session["conversation_id"])
    assert session["resumed"] is False and session["status"] == "bot" and session["max_length"] == 2000
    assert history["messages"] == []

    # An id of the right shape that no web conversation has, another channel's conversation, or
    # garbage: each gets a fresh id, never the one asked for.
    escalate(chat, "c-1")  # an `api` conversation
    for asked in ("web:" + "A" * 24, "c-1", "web:../../etc", session["conversation_id"]):
        with chat.websocket_connect("/chat/ws") as ws:
            fresh, _ = hello(ws, conversation_id=asked)
        assert fresh["conversation_id"] != asked and fresh["resumed"] is False


def test_bad_frames_get_error_frames_and_the_socket_stays_open(chat: TestClient, rasa: FakeRasa) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "message", "text": "hi", "client_message_id": "m-0"})
        assert receive(ws)["code"] == "no_session"
        hello(ws)
        for bad in (
            "not json",
            "[]",
            '{"type": "shout"}',
            '{"type": "message", "text": "no id"}',
            '{"type": "message", "text": 5, "client_message_id": "m-1"}',
            '{"type": "hello"}',  # a second hello
        ):
            ws.send_text(bad)
            frame = receive(ws)
            assert frame["type"] == "error" and frame["code"] == "invalid_frame", (bad, frame)
        ws.send_bytes(b'{"type": "ping"}')
        assert receive(ws)["code"] == "invalid_frame"
        ws.send_text(json.dumps({"type": "message", "text": "x" * 20_000, "client_message_id": "m-2"}))
        assert receive(ws)["code"] == "too_large"
        for index, text in enumerate(("", "   ", "/restart", "a\x00b", "x" * 2001)):
            reference = f"m-bad-{index}"
            ws.send_json({"type": "message", "text": text, "client_message_id": reference})
            frame = receive(ws)
            assert frame["code"] == "invalid_message" and frame["client_message_id"] == reference, (text, frame)
            assert "retry_after" not in frame
        ws.send_json({"type": "message", "text": "hi", "client_message_id": "has space"})
        assert receive(ws)["code"] == "invalid_message"
        ws.send_json({"type": "button", "payload": "/vote{}", "title": "👍", "client_message_id": "m-3"})
        frames = receive_until(ws, "error")
        assert frames[-1]["code"] == "unknown_payload" and frames[-1]["client_message_id"] == "m-3"
        assert receive(ws) == TYPING_OFF
        # Still open and working.
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
        assert messages_in(say(ws, "How long is the battery warranty?", "m-4"))
    assert len(rasa.sent) == 1  # nothing refused reached Rasa


def test_a_typed_command_never_reaches_rasa(chat: TestClient, rasa: FakeRasa) -> None:
    """Text starting with "/" is refused (a button press comes as a `button` frame, checked against the
    buttons offered), and so is a button whose title is a command."""
    with chat.websocket_connect("/chat/ws") as ws:
        hello(ws)
        for index, text in enumerate(("/EXTERNAL_resolved", " /greet", '/vote{"faq_id":"x","vote":"down"}')):
            ws.send_json({"type": "message", "text": text, "client_message_id": f"m-{index}"})
            assert receive(ws)["code"] == "invalid_message", text
        ws.send_json({"type": "button", "payload": VOTES[0]["payload"], "title": "/greet", "client_message_id": "b"})
        assert receive(ws)["code"] == "invalid_message"
    assert rasa.sent == []


def test_foreign_origins_are_refused(tmp_path: Path) -> None:
    settings = WebChatSettings(allowed_origins=["https://shop.example.com"], allow_localhost=False)
    with TestClient(webchat_app(tmp_path, settings=settings)) as client:
        for origin in (
            "https://evil.example",
            "null",
            "https://shop.example.com.evil.example",
            "http://localhost:3000",
        ):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                client.websocket_connect("/chat/ws", headers={"origin": origin}),
            ):
                pass
            assert refused.value.code == 1008, origin
        for origin in ("http://testserver", "https://shop.example.com", "https://SHOP.example.com/"):
            with client.websocket_connect("/chat/ws", headers={"origin": origin}) as ws:
                ws.send_json({"type": "ping"})
                assert receive(ws) == {"type": "pong"}


def test_the_origin_policy() -> None:
    default = OriginPolicy([], allow_localhost=True)
    assert default.allows(None, "chat.example.com")  # not a browser
    assert default.allows("https://chat.example.com", "chat.example.com")
    assert default.allows("http://localhost:5173", "chat.example.com")
    assert default.allows("http://127.0.0.1:8080", "chat.example.com")
    assert not default.allows("https://evil.example", "chat.example.com")
    assert not default.allows("null", "chat.example.com")
    assert not default.allows("https://chat.example.com:8443", "chat.example.com")
    assert OriginPolicy(["*"], allow_localhost=False).allows("https://anything.example", None)


def test_flooding_closes_the_socket(chat: TestClient) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        for _ in range(FRAMES_PER_SECOND + 1):
            ws.send_json({"type": "ping"})
        frames = [receive(ws) for _ in range(FRAMES_PER_SECOND)]
        assert all(f == {"type": "pong"} for f in frames)
        assert receive(ws)["code"] == "rate_limited"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 1008


def test_the_frame_rate_is_per_second() -> None:
    now = [0.0]
    rate = FrameRate(2, clock=lambda: now[0])
    assert rate.allow() and rate.allow() and not rate.allow()
    now[0] = 1.0
    assert rate.allow()


def test_bot_answers_buttons_and_the_history_after_a_reconnect(chat: TestClient, rasa: FakeRasa) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws, language="en")
        conversation_id = session["conversation_id"]
        frames = say(ws, "How long is the battery warranty?", "m-1")
        assert [f["type"] for f in frames] == ["typing", "message", "ack", "typing"]
        assert frames[0] == {"type": "typing", "on": True} and frames[-1] == {"type": "typing", "on": False}
        answer = frames[1]
        assert answer["sender"] == "bot" and answer["text"].startswith("The battery has a 1-year warranty")
        assert answer["buttons"] == VOTES
        assert frames[2] == {"type": "ack", "client_message_id": "m-1", "status": "bot"}
        assert rasa.sent[0][0] == conversation_id and rasa.sent[0][2]["channel"] == "web"

        ws.send_json({"type": "button", "client_message_id": "m-2", **VOTES[0]})
        thanks = messages_in(receive_until(ws, "ack"))
        assert [m["text"] for m in thanks] == ["Thanks for your feedback!"]
        assert rasa.sent[-1][1] == VOTES[0]["payload"]

    # A reload: the whole history, the customer's messages included (a pressed button by its title).
    with chat.websocket_connect("/chat/ws") as ws:
        session, history = hello(ws, conversation_id=conversation_id)
        assert session == {
            "type": "session",
            "conversation_id": conversation_id,
            "resumed": True,
            "status": "bot",
            "max_length": 2000,
        }
        shown = [(m["sender"], m["text"]) for m in history["messages"]]
        assert shown == [
            ("customer", "How long is the battery warranty?"),
            ("bot", answer["text"]),
            ("customer", "👍 Helpful"),
            ("bot", "Thanks for your feedback!"),
        ]
    # A reconnect after the answer: only what came later.
    with chat.websocket_connect("/chat/ws") as ws:
        _, history = hello(ws, conversation_id=conversation_id, last_message_id=answer["id"])
        assert [m["text"] for m in history["messages"]] == ["👍 Helpful", "Thanks for your feedback!"]
    assert services_of(chat).conversations.get(conversation_id).channel == "web"  # type: ignore[union-attr]


def test_a_resent_message_is_stored_and_answered_once(chat: TestClient, rasa: FakeRasa) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws)
        conversation_id = session["conversation_id"]
        first = messages_in(say(ws, "How long is the battery warranty?", "m-1"))
    # The ack was lost with the connection: the widget resends under the same id after reconnecting.
    with chat.websocket_connect("/chat/ws") as ws:
        _, history = hello(ws, conversation_id=conversation_id, last_message_id=0)
        again = say(ws, "How long is the battery warranty?", "m-1")
        # The replayed answer was in the history already: not sent twice on this socket.
        assert messages_in(again) == [] and ack_in(again)["client_message_id"] == "m-1"
        assert [m["id"] for m in history["messages"]][-1] == first[0]["id"]
    transcript = services_of(chat).conversations.transcript(conversation_id)
    assert [m.sender for m in transcript] == ["customer", "bot"]
    assert len(rasa.sent) == 1


def test_a_message_sent_while_rasa_is_down_is_retried_not_lost(chat: TestClient, rasa: FakeRasa) -> None:
    rasa.down = True
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws)
        ws.send_json({"type": "message", "text": "How long is the battery warranty?", "client_message_id": "m-1"})
        refused = receive_until(ws, "error")[-1]
        assert refused["code"] == "assistant_unavailable" and refused["retry_after"] == 5
        assert refused["client_message_id"] == "m-1"
        receive(ws)  # typing off
        rasa.down = False
        answered = say(ws, "How long is the battery warranty?", "m-1")
        assert messages_in(answered)[0]["text"].startswith("The battery has")
    transcript = services_of(chat).conversations.transcript(session["conversation_id"])
    assert [m.sender for m in transcript] == ["customer", "bot"]


def test_a_message_the_database_could_not_store_is_not_acknowledged_but_resent(
    chat: TestClient, rasa: FakeRasa, tmp_path: Path
) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws)
        with database_down(desk_url(tmp_path)):
            ws.send_json({"type": "message", "text": "How long is the battery warranty?", "client_message_id": "m-1"})
            frames = receive_until(ws, "error")
            refused = frames[-1]
            # No ack (the widget keeps the message pending) and a resend asked for: the same id, in 5 s.
            assert not any(f["type"] == "ack" for f in frames)
            assert refused["code"] == "message_not_stored" and refused["client_message_id"] == "m-1"
            assert refused["retry_after"] == 5 and "send it again" in refused["message"]
            assert receive(ws) == TYPING_OFF
        answered = say(ws, "How long is the battery warranty?", "m-1")  # the widget's resend
        assert ack_in(answered)["client_message_id"] == "m-1"
        assert messages_in(answered)[0]["text"].startswith("The battery has")
    transcript = services_of(chat).conversations.transcript(session["conversation_id"])
    assert [m.sender for m in transcript] == ["customer", "bot"] and len(rasa.sent) == 1


def test_an_agent_reply_and_the_rating_question_are_pushed_live(chat: TestClient) -> None:
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws, language="zh")
        conversation_id = session["conversation_id"]
        escalation_id = escalate(chat, conversation_id, channel="web")
        agent = token_for(chat, Role.AGENT, "alice")

        # The conversation is in the queue: the router answers with the customer's place, no Rasa.
        waiting = say(ws, "还要等多久？", "m-1")
        notice = messages_in(waiting)
        assert notice and ("第" in notice[0]["text"] or "09:00" in notice[0]["text"])
        assert ack_in(waiting)["status"] == "queued" and {"type": "status", "status": "queued"} in waiting

        assert chat.post(f"/api/v1/escalations/{escalation_id}/claim", headers=agent).status_code == 200
        assert receive(ws) == {"type": "status", "status": "agent"}
        reply = chat.post(
            f"/api/v1/escalations/{escalation_id}/replies", json={"text": "您好，我是 Alice。"}, headers=agent
        )
        assert reply.status_code == 201
        pushed = receive(ws)
        assert pushed["type"] == "message" and pushed["sender"] == "agent" and pushed["text"] == "您好，我是 Alice。"
        assert pushed["id"] == reply.json()["id"]

        resolved = chat.post(f"/api/v1/escalations/{escalation_id}/resolve", json={"code": "answered"}, headers=agent)
        assert resolved.status_code == 200
        frames = [receive(ws)]
        while frames[-1]["type"] != "message":
            frames.append(receive(ws))
        assert {"type": "status", "status": "resolved"} in frames
        rating = frames[-1]
        assert rating["sender"] == "bot" and [b["title"] for b in rating["buttons"]] == ["1", "2", "3", "4", "5"]

    # Delivered, as far as the web chat goes: the transcript is the mailbox.
    case = chat.get(f"/api/v1/escalations/{escalation_id}", headers=agent).json()
    assert [m["delivery"] for m in case["messages"] if m["sender"] == "agent"] == ["delivered"]


def test_a_reply_sent_while_the_widget_was_offline_comes_with_the_history(chat_without_rasa: TestClient) -> None:
    chat = chat_without_rasa
    with chat.websocket_connect("/chat/ws") as ws:
        session, _ = hello(ws)
        conversation_id = session["conversation_id"]
        escalation_id = escalate(chat, conversation_id, channel="web")
        seen = messages_in(say(ws, "hello?", "m-1"))
    agent = token_for(chat, Role.AGENT, "bob")
    chat.post(f"/api/v1/escalations/{escalation_id}/claim", headers=agent)
    chat.post(f"/api/v1/escalations/{escalation_id}/replies", json={"text": "Sorry for the wait!"}, headers=agent)
    last = seen[-1]["id"] if seen else 0
    with chat.websocket_connect("/chat/ws") as ws:
        session, history = hello(ws, conversation_id=conversation_id, last_message_id=last)
    assert session["status"] == "agent"
    assert [(m["sender"], m["text"]) for m in history["messages"]] == [("agent", "Sorry for the wait!")]


def test_the_widget_and_the_demo_page(chat: TestClient) -> None:
    widget = chat.get("/chat/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "/chat/ws" in widget.text and "document.currentScript" in widget.text
    assert "innerHTML" not in widget.text and "eval(" not in widget.text

    page = chat.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/chat/widget.js" defer>']  # one tag, no inline script
    assert "扫地机器人" in page.text and "robot vacuum" in page.text
    assert chat.get("/chat/demo.css").status_code == 200


def test_the_web_chat_can_be_left_out(tmp_path: Path) -> None:
    settings = WebChatSettings(demo_page=False, socketio=False)
    with TestClient(webchat_app(tmp_path, settings=settings)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/socket.io/?EIO=4&transport=polling").status_code == 404
        assert client.get("/chat/widget.js").status_code == 200


def test_the_widgets_language_never_overrides_what_the_message_says(chat: TestClient, rasa: FakeRasa) -> None:
    """The widget's `hello.language` (the browser's UI language) is a hint: it decides only a new
    conversation's message that tells no language of its own."""
    for hint, question, language in (("zh", "How long is the battery warranty?", "en"), ("en", "电池保修多久？", "zh")):
        with chat.websocket_connect("/chat/ws") as ws:
            hello(ws, language=hint)
            say(ws, question, "m-1")
            assert rasa.sent[-1][2]["language"] == language
            say(ws, "LM202611260001", "m-2")  # an order number alone: the conversation's language
            assert rasa.sent[-1][2]["language"] == language
    with chat.websocket_connect("/chat/ws") as ws:
        hello(ws, language="zh")
        say(ws, "LM202611260001", "m-1")  # a new conversation's first message: the hint decides
        assert rasa.sent[-1][2]["language"] == "zh"
