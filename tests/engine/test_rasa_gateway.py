"""The Rasa gateway's HTTP requests (engine/rasa_gateway.py), seen by an httpx MockTransport where Rasa
would be: every conversation id stays one path segment of `/conversations/<id>/…`, whatever it holds.

Rasa 3.6 (Sanic 21.12) passes the path parameter on still percent-encoded, so the segment Rasa reads
is the tracker's id: an ordinary id must go as it is (checked here), not encoded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from engine.rasa_gateway import HttpRasaGateway, TrackedTurn, path_segment

TOKEN = "rasa-token"


class RecordingRasa:
    """Answers like Rasa's HTTP API and keeps each request's raw path (with its query)."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path)
        if request.url.path.endswith("/trigger_intent"):
            return httpx.Response(200, json={"messages": [{"text": "How would you rate us?"}]})
        return httpx.Response(200, json=[])


@pytest.fixture
def rasa() -> RecordingRasa:
    return RecordingRasa()


@pytest.fixture
async def gateway(rasa: RecordingRasa) -> AsyncIterator[HttpRasaGateway]:
    async with httpx.AsyncClient(base_url="http://rasa.invalid:5005", transport=httpx.MockTransport(rasa)) as client:
        yield HttpRasaGateway(client, TOKEN)


async def test_a_sender_with_slashes_dots_query_and_fragment_stays_in_its_conversation(
    gateway: HttpRasaGateway, rasa: RecordingRasa
) -> None:
    sender = "wechat:x/../../model/train?token=stolen#frag"
    encoded = b"wechat:x%2F..%2F..%2Fmodel%2Ftrain%3Ftoken%3Dstolen%23frag"
    await gateway.set_slot(sender, "language", "zh")
    assert await gateway.resume_with(sender, "EXTERNAL_resolved") == [{"text": "How would you rate us?"}]
    query = f"?token={TOKEN}".encode()
    assert rasa.paths == [
        b"/conversations/" + encoded + b"/tracker/events" + query,
        b"/conversations/" + encoded + b"/tracker/events" + query,
        b"/conversations/" + encoded + b"/trigger_intent" + query,
    ]


@pytest.mark.parametrize(
    "sender",
    ["int:crm:abc", "wechat:oLumio_customer-01", "slack:T1:D1:1700000000.000100", "web:AbC-_dEf012345678901234"],
)
async def test_conversation_ids_reach_rasa_as_they_are(
    gateway: HttpRasaGateway, rasa: RecordingRasa, sender: str
) -> None:
    # Rasa reads the segment as it arrives: encoding ":" would move the slots to another tracker than
    # the REST channel's messages (whose sender is the JSON body's).
    await gateway.set_slot(sender, "language", "en", new_conversation=True)
    assert rasa.paths == [f"/conversations/{sender}/tracker/events?token={TOKEN}".encode()]


async def test_the_rest_channel_gets_the_sender_in_its_body(rasa: RecordingRasa) -> None:
    bodies: list[dict[str, object]] = []

    def rest_channel(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return rasa(request)

    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=httpx.MockTransport(rest_channel)) as client:
        await HttpRasaGateway(client, TOKEN).send("wechat:x/../y", "hello", {"channel": "wechat"})
    assert rasa.paths == [b"/webhooks/rest/webhook"]
    assert bodies == [{"sender": "wechat:x/../y", "message": "hello", "metadata": {"channel": "wechat"}}]


def test_a_whole_dot_segment_is_encoded() -> None:
    assert [path_segment(s) for s in (".", "..", "...", "a.b")] == ["%2E", "%2E%2E", "...", "a.b"]
    assert path_segment("100%/é") == "100%25%2F%C3%A9"


# A tracker as Rasa 3.6 returns it (`GET /conversations/<id>/tracker`), trimmed to what is read.
TRACKER = {
    "sender_id": "wechat:x/y",
    "events": [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "battery warranty?", "metadata": {"message_id": 7, "channel": "wechat"}},
        {"event": "action", "name": "action_answer_faq"},
        {
            "event": "bot",
            "text": "One year.",
            "data": {"buttons": [{"title": "👍", "payload": "/vote"}], "custom": None, "image": None},
        },
        {"event": "bot", "text": None, "data": {"custom": {"turn": {"outcome": "answered"}}}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "thanks", "metadata": {"message_id": 8}},
        {"event": "bot", "text": "You're welcome!", "data": {}},
        # Message 10 ran twice: its first turn lost an action (no bot event), the second answered.
        {"event": "user", "text": "refund?", "metadata": {"message_id": 10}},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "refund?", "metadata": {"message_id": 10}},
        {"event": "bot", "text": "Within 7 days.", "data": {}},
    ],
}


async def test_what_rasa_answered_a_message_is_read_from_its_tracker(rasa: RecordingRasa) -> None:
    def tracker(request: httpx.Request) -> httpx.Response:
        rasa.paths.append(request.url.raw_path)
        return httpx.Response(200, json=TRACKER)

    async with httpx.AsyncClient(base_url="http://rasa.invalid", transport=httpx.MockTransport(tracker)) as client:
        gateway = HttpRasaGateway(client, TOKEN)
        answered = await gateway.turn_in_tracker("wechat:x/y", 7)
        assert await gateway.turn_in_tracker("wechat:x/y", 8) == TrackedTurn([{"text": "You're welcome!"}], runs=1)
        assert await gateway.turn_in_tracker("wechat:x/y", 9) is None  # never reached Rasa
        assert await gateway.turn_in_tracker("wechat:x/y", 10) == TrackedTurn([{"text": "Within 7 days."}], runs=2)
    # The REST channel's form: what `desk.turns.read_replies` reads of a live turn.
    assert answered is not None and answered.runs == 1
    assert answered.replies == [
        {"text": "One year.", "buttons": [{"title": "👍", "payload": "/vote"}]},
        {"custom": {"turn": {"outcome": "answered"}}},
    ]
    assert rasa.paths[0] == f"/conversations/wechat:x%2Fy/tracker?token={TOKEN}".encode()
