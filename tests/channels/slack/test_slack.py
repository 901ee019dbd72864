"""The Slack channel against a fake Slack Web API (a real HTTP server on loopback, bench/fakes/slack.py)
and a scripted Rasa gateway: request signing (Slack's documented example), URL verification, direct
messages and mentions answered in their thread, retried events stored once, button clicks, agents'
replies with the outbox's retries, rate limits, escalation announcements, and bad input."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from slack_sdk.signature import Clock, SignatureVerifier
from starlette.concurrency import run_in_threadpool

from bench.fakes.slack import FakeSlack, running_fake_slack
from channels.registry import configured_channels
from channels.slack import adapter as adapter_module
from channels.slack.adapter import SlackAdapter
from channels.slack.blocks import message_blocks, plain_text, sections
from channels.slack.events import MAX_FILE_NAME, MAX_FILES, files_of
from channels.slack.settings import SlackSettings
from channels.slack.signing import SlackRequestVerifier
from desk.conversations import ConversationStore
from desk.copy import say
from desk.handoff import HandoffReason
from desk.models import Role
from desk.services import DeskServices
from desk.turns import Outcome, TurnRecord, turn_payload
from tests.api.staff import services_of, token_for
from tests.app_factory import build_app
from tests.database_outage import database_down, desk_url
from tests.fake_rasa import FakeRasa
from tests.waiting import wait_until

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-0000-secret-token"
LEADS = "C0LEADS"
CONSOLE = "https://desk.example.com"
UP = '/vote{"faq_id":"p08-warranty-battery","vote":"up"}'
DOWN = '/vote{"faq_id":"p08-warranty-battery","vote":"down"}'
ANSWER = "The battery is under warranty for 1 year (from the invoice date)."
THREAD = "slack:T1:D1:1700000000.000100"  # the conversation of `dm()`'s first message

# Slack's documented example (docs.slack.dev/authentication/verifying-requests-from-slack).
EXAMPLE_TIMESTAMP = "1531420618"
EXAMPLE_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's signing algorithm, as documented: v0= and HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


async def answer_thank_or_hand_off(
    sender: str, message: str, metadata: dict[str, Any], *, services: DeskServices | None = None
) -> list[dict[str, Any]]:
    """Rasa's REST channel as a script: an answer with 👍/👎, a thanks for a vote, a handoff when asked
    for a human (opening the escalation in `services` as `action_handoff` does)."""
    if message.startswith("/vote"):
        return [{"text": "Thanks for your feedback!"}, {"custom": turn_payload(TurnRecord(Outcome.FEEDBACK))}]
    if "human" in message and services is not None:
        handoff = await run_in_threadpool(
            lambda: services.escalations.open(
                sender, HandoffReason.COMPLAINT, channel="slack", language="en", trigger_text=message
            )
        )
        # What action_handoff reports beside its message.
        record = TurnRecord(
            Outcome.HANDOFF, priority="high", escalation_id=handoff.escalation.id, escalated=handoff.created
        )
        return [{"text": "I'm handing you over to a human agent."}, {"custom": turn_payload(record)}]
    buttons = [{"title": "👍 Helpful", "payload": UP}, {"title": "👎 Not helpful", "payload": DOWN}]
    answered = TurnRecord(Outcome.ANSWERED, faq_id="p08-warranty-battery", confidence=0.93)
    return [{"text": ANSWER, "buttons": buttons}, {"custom": turn_payload(answered)}]


@dataclass
class Slack:
    client: TestClient
    fake: FakeSlack
    rasa: FakeRasa
    adapter: SlackAdapter

    @property
    def services(self) -> DeskServices:
        return services_of(self.client)

    def post(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """A request signed as Slack signs it (now, or at `timestamp`)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return self.client.post(
            path,
            content=body,
            headers={
                "content-type": content_type,
                "x-slack-request-timestamp": stamp,
                "x-slack-signature": sign(SECRET, stamp, body),
                **(headers or {}),
            },
        )

    def event(self, envelope: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        body = json.dumps(envelope).encode()
        return self.post("/channels/slack/events", body, "application/json", headers=headers)

    def click(self, payload: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post("/channels/slack/interactions", body, "application/x-www-form-urlencoded")


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[Slack]:
    """The app (tests/app_factory.py) with the Slack adapter pointing at a fake Slack."""
    rasa = FakeRasa(answer_thank_or_hand_off, down=True)  # until a test brings Rasa up
    with running_fake_slack(TOKEN) as fake:
        adapter = SlackAdapter(
            SlackSettings(
                signing_secret=SecretStr(SECRET),
                bot_token=SecretStr(TOKEN),
                api_base_url=fake.base_url,
                escalation_channel=LEADS,
                console_base_url=CONSOLE + "/",
            )
        )
        app = build_app(tmp_path, rasa=rasa, channels=[adapter])
        with TestClient(app, raise_server_exceptions=False) as client:
            rasa.reply = functools.partial(answer_thank_or_hand_off, services=services_of(client))
            yield Slack(client, fake, rasa, adapter)


def dm(
    text: str,
    *,
    ts: str = "1700000000.000100",
    event_id: str = "Ev0001",
    thread_ts: str | None = None,
    **event: Any,
) -> dict[str, Any]:
    """An `event_callback` envelope of a direct message, as the Events API sends it."""
    body: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "team": "T1",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **event,
    }
    if thread_ts:
        body["thread_ts"] = thread_ts
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "event": body,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
    }


@dataclass
class Replica:
    client: TestClient

    def post_event(self, envelope: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        body = json.dumps(envelope).encode()
        stamp = str(int(time.time()))
        signed = {"x-slack-request-timestamp": stamp, "x-slack-signature": sign(SECRET, stamp, body)}
        return self.client.post(
            "/channels/slack/events",
            content=body,
            headers={"content-type": "application/json", **signed, **(headers or {})},
        )


@contextmanager
def another_replica(slack: Slack, folder: Path) -> Iterator[Replica]:
    """A second app over the same database (in `folder`, the test's `tmp_path`) and the same fake
    Slack: what the app is after a restart, or another replica."""
    adapter = SlackAdapter(
        SlackSettings(signing_secret=SecretStr(SECRET), bot_token=SecretStr(TOKEN), api_base_url=slack.fake.base_url)
    )
    with TestClient(build_app(folder, rasa=slack.rasa, channels=[adapter])) as client:
        yield Replica(client)


def customer_messages(slack: Slack, conversation_id: str) -> list[Any]:
    return [m for m in slack.services.conversations.transcript(conversation_id) if m.sender == "customer"]


def clock_at(now: float) -> Callable[[], float]:
    return lambda: now


# -- signing ---------------------------------------------------------------------------------------


def test_slacks_documented_signing_example_passes() -> None:
    at_example_time = SlackRequestVerifier(SECRET, clock=lambda: float(EXAMPLE_TIMESTAMP))
    body = EXAMPLE_BODY.encode()
    assert at_example_time.signature(EXAMPLE_TIMESTAMP, body) == EXAMPLE_SIGNATURE
    assert at_example_time.is_valid(body, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE)
    assert at_example_time.is_valid_request(
        body, {"x-slack-request-timestamp": EXAMPLE_TIMESTAMP, "x-slack-signature": EXAMPLE_SIGNATURE}
    )

    # The peer: slack_sdk's own verifier agrees on the same example.
    class ExampleClock(Clock):
        def now(self) -> float:
            return float(EXAMPLE_TIMESTAMP)

    assert SignatureVerifier(SECRET, ExampleClock()).is_valid(body, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE)
    assert sign(SECRET, EXAMPLE_TIMESTAMP, body) == EXAMPLE_SIGNATURE  # the tests' own signer
    payload = json.dumps({"text": "扫地机器人 👍"}, ensure_ascii=False).encode()
    assert at_example_time.signature("1700000000", payload) == SignatureVerifier(SECRET).generate_signature(
        timestamp="1700000000", body=payload
    )

    assert not at_example_time.is_valid(body + b"x", EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE)
    assert not at_example_time.is_valid(body, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE[:-1] + "0")
    assert not SlackRequestVerifier("another-secret", clock=lambda: float(EXAMPLE_TIMESTAMP)).is_valid(
        body, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE
    )
    # Five minutes either way, no more.
    for offset, valid in ((300, True), (-300, True), (301, False), (-301, False)):
        verifier = SlackRequestVerifier(SECRET, clock=clock_at(float(EXAMPLE_TIMESTAMP) + offset))
        assert verifier.is_valid(body, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE) is valid


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, EXAMPLE_SIGNATURE),
        (EXAMPLE_TIMESTAMP, None),
        ("", EXAMPLE_SIGNATURE),
        ("15314206l8", EXAMPLE_SIGNATURE),
        ("-1531420618", EXAMPLE_SIGNATURE),
        ("١٥٣١٤٢٠٦١٨", EXAMPLE_SIGNATURE),  # Arabic-Indic digits: isdigit() but not ASCII
        (EXAMPLE_TIMESTAMP, "v0=ä" + EXAMPLE_SIGNATURE[4:]),
        (EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE.removeprefix("v0=")),
        (EXAMPLE_TIMESTAMP, "v1=" + EXAMPLE_SIGNATURE[3:]),
    ],
)
def test_malformed_signature_headers_are_refused_without_errors(timestamp: str | None, signature: str | None) -> None:
    verifier = SlackRequestVerifier(SECRET, clock=lambda: float(EXAMPLE_TIMESTAMP))
    assert verifier.is_valid(EXAMPLE_BODY.encode(), timestamp, signature) is False


def test_url_verification_echoes_the_challenge(slack: Slack) -> None:
    envelope = {
        "token": "legacy",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = slack.event(envelope)
    assert response.status_code == 200 and response.json() == {"challenge": envelope["challenge"]}


def test_unsigned_forged_and_stale_requests_are_refused_and_nothing_is_stored(slack: Slack) -> None:
    body = json.dumps(dm("Where is my parcel?")).encode()
    conversation = "slack:T1:D1:1700000000.000100"
    now = str(int(time.time()))
    forged = sign("not-the-secret", now, body)
    attempts = [
        {},
        {"x-slack-request-timestamp": now},
        {"x-slack-request-timestamp": now, "x-slack-signature": forged},
        {"x-slack-request-timestamp": "soon", "x-slack-signature": forged},
    ]
    for headers in attempts:
        response = slack.client.post(
            "/channels/slack/events", content=body, headers={"content-type": "application/json", **headers}
        )
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    stale = slack.post("/channels/slack/events", body, "application/json", timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    click = slack.client.post(
        "/channels/slack/interactions",
        content=urlencode({"payload": "{}"}).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert click.status_code == 401
    time.sleep(0.3)
    assert slack.services.conversations.get(conversation) is None
    assert slack.fake.calls == []


# -- messages --------------------------------------------------------------------------------------


def test_a_direct_message_is_answered_in_its_thread_with_buttons(slack: Slack) -> None:
    slack.rasa.down = False
    response = slack.event(dm("How long is the battery warranty? <https://lumio.example/p/8|my vacuum>"))
    assert response.status_code == 200 and response.content == b""

    [post] = slack.fake.wait_for("chat.postMessage")
    assert post.token == TOKEN
    assert post.arguments["channel"] == "D1" and post.arguments["thread_ts"] == "1700000000.000100"
    assert ANSWER in post.arguments["text"] and "1. 👍 Helpful" in post.arguments["text"]
    section, actions = post.arguments["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": ANSWER}}
    assert actions["block_id"] == "lumio:0:slack:T1:D1:1700000000.000100"
    assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
        ("👍 Helpful", UP),
        ("👎 Not helpful", DOWN),
    ]

    conversation = slack.services.conversations.get("slack:T1:D1:1700000000.000100")
    assert conversation is not None and conversation.channel == "slack" and conversation.customer_id == "slack:T1:U1"
    assert conversation.channel_data == {"team": "T1", "channel": "D1", "thread_ts": "1700000000.000100"}
    assert slack.rasa.senders_and_messages == [
        ("slack:T1:D1:1700000000.000100", "How long is the battery warranty? my vacuum")
    ]
    reply = wait_until(
        lambda: [
            m
            for m in slack.services.conversations.transcript(conversation.id)
            if m.sender == "bot" and m.delivery == "delivered"
        ]
    )
    assert reply and reply[0].faq_id == "p08-warranty-battery"

    # The customer answers in the thread: the same conversation, answered in the same thread.
    slack.event(dm("and the charger?", ts="1700000009.000200", thread_ts="1700000000.000100", event_id="Ev0002"))
    second = slack.fake.wait_for("chat.postMessage", 2)
    assert len(second) == 2 and second[1].arguments["thread_ts"] == "1700000000.000100"
    assert len(customer_messages(slack, conversation.id)) == 2


def test_a_mention_in_a_channel_is_answered_in_its_thread(slack: Slack) -> None:
    slack.rasa.down = False
    envelope = dm("<@UBOT> how long is the warranty?", ts="1700000001.000300", event_id="Ev0100")
    envelope["event"] |= {"type": "app_mention", "channel": "C1"}
    del envelope["event"]["channel_type"]
    assert slack.event(envelope).status_code == 200
    [post] = slack.fake.wait_for("chat.postMessage")
    assert post.arguments["channel"] == "C1" and post.arguments["thread_ts"] == "1700000001.000300"
    assert slack.rasa.senders_and_messages == [("slack:T1:C1:1700000001.000300", "how long is the warranty?")]


@pytest.mark.parametrize(
    "change",
    [
        {"channel_type": "channel"},  # a channel message without a mention (not subscribed, but ignored)
        {"bot_id": "BBOT"},  # the app's own messages (and other bots')
        {"subtype": "message_changed"},
        {"subtype": "bot_message"},
        {"subtype": "file_share", "bot_id": "BBOT"},  # a bot's file
        {"subtype": "file_share", "channel_type": "channel"},  # a file in a channel, no mention
        {"edited": {"user": "U1", "ts": "1700000000.000900"}},
        {"text": "<@UBOT>"},  # nothing but a mention
        {"type": "reaction_added"},
        {"user": "u1; drop"},
        {"user": "U1\n"},
        {"channel": "D1/../x"},
        {"ts": "yesterday"},
        {"ts": "1700000000.000100\n"},
        {"ts": 1700000000.0001},
        {"text": ["hello"]},
        {"channel": None},
    ],
)
def test_what_the_assistant_does_not_answer_is_acknowledged_and_ignored(slack: Slack, change: dict[str, Any]) -> None:
    slack.rasa.down = False
    envelope = dm("hello")
    envelope["event"] |= change
    assert slack.event(envelope).status_code == 200
    time.sleep(0.3)
    assert slack.rasa.sent == [] and slack.fake.calls == []


def test_other_envelopes_are_acknowledged_and_ignored(slack: Slack) -> None:
    for envelope in (
        {"type": "app_rate_limited", "minute_rate_limited": 1},
        {"type": "something_new"},
        {},
        {"type": "event_callback", "event_id": "Ev9", "event": "not an object"},
        {"type": "event_callback", "event_id": ["Ev9"], "team_id": 5, "event": {"type": "message"}},
    ):
        assert slack.event(envelope).status_code == 200
    time.sleep(0.3)
    assert slack.fake.calls == []


def test_a_retried_event_is_stored_and_answered_once(slack: Slack, tmp_path: Path) -> None:
    slack.rasa.down = False
    envelope = dm("How long is the battery warranty?")
    assert slack.event(envelope).status_code == 200
    for retry in ("1", "2", "3"):
        response = slack.event(envelope, {"x-slack-retry-num": retry, "x-slack-retry-reason": "http_timeout"})
        assert response.status_code == 200
    slack.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    conversation = "slack:T1:D1:1700000000.000100"
    assert len(customer_messages(slack, conversation)) == 1
    assert len(slack.rasa.sent) == 1 and len(slack.fake.calls_to("chat.postMessage")) == 1

    # After a restart, or at another replica, the event is known (in the database): no second answer.
    with another_replica(slack, tmp_path) as replica:
        assert replica.post_event(envelope, {"x-slack-retry-num": "3"}).status_code == 200
        time.sleep(0.5)
    assert len(customer_messages(slack, conversation)) == 1
    assert len(slack.rasa.sent) == 1 and len(slack.fake.calls_to("chat.postMessage")) == 1


def test_a_message_is_stored_before_slack_is_acknowledged(slack: Slack) -> None:
    slack.rasa.down = False
    slack.rasa.delay = 1.0  # the turn runs after the acknowledgement
    assert slack.event(dm("How long is the battery warranty?")).status_code == 200
    [stored] = customer_messages(slack, "slack:T1:D1:1700000000.000100")  # there as Slack hears 200
    assert stored.text == "How long is the battery warranty?" and slack.fake.calls_to("chat.postMessage") == []
    slack.fake.wait_for("chat.postMessage")


def test_with_the_database_down_slack_gets_503_and_its_retry_is_stored_and_answered_once(
    slack: Slack, tmp_path: Path
) -> None:
    slack.rasa.down = False
    envelope = dm("How long is the battery warranty?")
    with database_down(desk_url(tmp_path)):
        refused = slack.event(envelope)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert refused.json()["error"]["code"] == "not_stored"
        # A click cannot be stored either: Slack shows its user the click failed.
        vote = {"type": "button", "block_id": f"lumio:0:{THREAD}", "value": UP, "action_ts": "1700000002.000100"}
        assert slack.click(block_actions_of([vote])).status_code == 503
    time.sleep(0.3)
    assert slack.rasa.sent == [] and slack.fake.calls == []
    # The database is back: Slack's retries (the first is taken, the later ones are known).
    for retry in ("1", "2"):
        response = slack.event(envelope, {"x-slack-retry-num": retry, "x-slack-retry-reason": "http_error"})
        assert response.status_code == 200
    [post] = slack.fake.wait_for("chat.postMessage")
    assert ANSWER in post.arguments["text"]
    time.sleep(0.5)
    assert len(customer_messages(slack, THREAD)) == 1
    assert len(slack.rasa.sent) == 1 and len(slack.fake.calls_to("chat.postMessage")) == 1


def test_storing_slower_than_slacks_deadline_gets_503_and_is_answered_once(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack.rasa.down = False
    monkeypatch.setattr(adapter_module, "ACK_SECONDS", 0.3)
    record = ConversationStore.record_inbound
    slowed: list[str] = []

    def slow(self: ConversationStore, conversation_id: str, **kwargs: Any) -> Any:
        if not slowed:  # a database under load, once: stored after the acknowledgement deadline
            slowed.append(conversation_id)
            time.sleep(0.8)
        return record(self, conversation_id, **kwargs)

    monkeypatch.setattr(ConversationStore, "record_inbound", slow)
    envelope = dm("How long is the battery warranty?")
    assert slack.event(envelope).status_code == 503
    # Stored late all the same, and answered; Slack's retry finds it stored and is not answered again.
    slack.fake.wait_for("chat.postMessage")
    assert slack.event(envelope, {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}).status_code == 200
    time.sleep(1.2)
    assert len(customer_messages(slack, "slack:T1:D1:1700000000.000100")) == 1
    assert len(slack.rasa.sent) == 1 and len(slack.fake.calls_to("chat.postMessage")) == 1


def test_when_rasa_is_down_the_message_is_kept_and_the_customer_told(slack: Slack) -> None:
    assert slack.event(dm("我的扫地机器人电池保修多久？")).status_code == 200
    [notice] = slack.fake.wait_for("chat.postMessage")
    assert notice.arguments["thread_ts"] == "1700000000.000100" and "暂时无法回复" in notice.arguments["text"]
    [stored] = customer_messages(slack, "slack:T1:D1:1700000000.000100")
    assert stored.state == "failed" and stored.text == "我的扫地机器人电池保修多久？"


def file_share(text: str, *files: dict[str, Any], **event: Any) -> dict[str, Any]:
    """A direct message with files, as the Events API sends it: a `message` event of subtype
    `file_share` with Slack's file objects in `files` (and, unlike other messages, no `team`)."""
    envelope = dm(text, subtype="file_share", files=list(files), upload=True, display_as_bot=False, **event)
    envelope["event"] |= {"client_msg_id": "a5a11822-d14e-4621-992b-32d561648aa0"}
    del envelope["event"]["team"]
    return envelope


def slack_file(file_id: str, name: str, mimetype: str, **fields: Any) -> dict[str, Any]:
    """One of Slack's file objects (docs.slack.dev/reference/objects/file-object), as a message carries it."""
    slug = name.lower().replace(" ", "_")
    return {
        "id": file_id,
        "created": 1700000000,
        "timestamp": 1700000000,
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": name.rsplit(".", 1)[-1],
        "user": "U1",
        "user_team": "T1",
        "size": 482113,
        "mode": "hosted",
        "is_external": False,
        "is_public": False,
        "url_private": f"https://files.slack.com/files-pri/T1-{file_id}/{slug}",
        "url_private_download": f"https://files.slack.com/files-pri/T1-{file_id}/download/{slug}",
        "permalink": f"https://lumio.slack.com/files/U1/{file_id}/{slug}",
        "file_access": "visible",
        **fields,
    }


PHOTO = slack_file("F0PHOTO1", "IMG_2031.jpg", "image/jpeg")
PHOTO_LINE = "[image] IMG_2031.jpg (F0PHOTO1) https://lumio.slack.com/files/U1/F0PHOTO1/img_2031.jpg"


def test_a_direct_message_with_a_photo_is_answered_and_the_photo_kept_for_the_agents(slack: Slack) -> None:
    slack.rasa.down = False
    assert slack.event(file_share("Is it under warranty?", PHOTO)).status_code == 200
    [post] = slack.fake.wait_for("chat.postMessage")
    assert post.arguments["thread_ts"] == "1700000000.000100" and ANSWER in post.arguments["text"]
    conversation = "slack:T1:D1:1700000000.000100"
    # Rasa reads the words; the transcript keeps the photo's name, id and permalink for the agents.
    assert slack.rasa.senders_and_messages == [(conversation, "Is it under warranty?")]
    [stored] = customer_messages(slack, conversation)
    assert stored.text == f"Is it under warranty?\n{PHOTO_LINE}" and stored.state == "answered"
    view = slack.services.conversations.get(conversation)
    assert view is not None and view.language == "en"  # from the words, not the file's name


def test_a_photo_without_words_is_acknowledged_in_the_conversations_language(slack: Slack) -> None:
    slack.rasa.down = False
    slack.event(dm("我的扫地机器人电池坏了，保修吗？"))
    slack.fake.wait_for("chat.postMessage")
    in_thread = {"ts": "1700000005.000200", "thread_ts": "1700000000.000100", "event_id": "Ev0002"}
    assert slack.event(file_share("", PHOTO, **in_thread)).status_code == 200
    _, acknowledged = slack.fake.wait_for("chat.postMessage", 2)
    assert acknowledged.arguments["text"] == say("picture_received", "zh")
    assert acknowledged.arguments["thread_ts"] == "1700000000.000100"
    assert len(slack.rasa.sent) == 1  # the photo never reached Rasa
    photo = customer_messages(slack, "slack:T1:D1:1700000000.000100")[-1]
    assert photo.text == PHOTO_LINE and photo.language == "zh"

    # Another kind of file (a PDF invoice), and one a Slack Connect partner shared (its id only).
    invoice = slack_file("F0INVOICE", "Invoice 2026-11.pdf", "application/pdf")
    hidden = {"id": "F0HIDDEN", "mode": "file_access", "file_access": "check_file_info", "created": 0, "user": ""}
    again = {"ts": "1700000009.000300", "thread_ts": "1700000000.000100", "event_id": "Ev0003"}
    slack.event(file_share("", invoice, hidden, **again))
    assert slack.fake.wait_for("chat.postMessage", 3)[-1].arguments["text"] == say("attachment_received", "zh")
    files = customer_messages(slack, "slack:T1:D1:1700000000.000100")[-1]
    assert files.text == (
        "[file] Invoice 2026-11.pdf (F0INVOICE) https://lumio.slack.com/files/U1/F0INVOICE/invoice_2026-11.pdf"
        "\n[file] F0HIDDEN"
    )
    assert len(slack.rasa.sent) == 1


@pytest.mark.parametrize(
    "files",
    [
        [],  # nothing shared after all
        [{"name": "", "id": "not-an-id"}],  # nothing an agent could find
        "not a list",
    ],
)
def test_a_file_share_with_nothing_to_read_or_keep_is_ignored(slack: Slack, files: Any) -> None:
    slack.rasa.down = False
    envelope = file_share("")
    envelope["event"]["files"] = files
    assert slack.event(envelope).status_code == 200
    time.sleep(0.3)
    assert slack.rasa.sent == [] and slack.fake.calls == []
    assert slack.services.conversations.get("slack:T1:D1:1700000000.000100") is None


def test_what_a_file_object_carries_is_cleaned_before_it_reaches_the_transcript() -> None:
    files = files_of(
        {
            "files": [
                {"id": "F1", "name": "broken\nbrush\x00.png", "mimetype": "image/png", "permalink": "javascript:x()"},
                {"id": "F2", "name": "x" * 500, "permalink": "https://lumio.slack.com/files/U1/F2/a b"},
                {"id": "f-3", "title": "notes.txt", "permalink": "https://lumio.slack.com/files/U1/F3/notes.txt"},
                "not an object",
                *({"id": f"F9{n}"} for n in range(20)),
            ]
        }
    )
    assert len(files) == MAX_FILES - 1  # at most Slack's ten; "not an object" is skipped
    assert [f.placeholder for f in files[:3]] == [
        "[image] broken brush.png (F1)",
        f"[file] {'x' * MAX_FILE_NAME} (F2)",
        "[file] notes.txt https://lumio.slack.com/files/U1/F3/notes.txt",
    ]


# -- buttons ---------------------------------------------------------------------------------------


def block_actions(posted: dict[str, Any], button: int, *, value: str | None = None) -> dict[str, Any]:
    """The `block_actions` payload Slack sends when `button` of a posted message is clicked."""
    actions = next(b for b in posted["blocks"] if b["type"] == "actions")
    element = actions["elements"][button]
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "roadrunner", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": posted["ts"],
            "channel_id": "D1",
            "is_ephemeral": False,
            "thread_ts": posted.get("thread_ts"),
        },
        "trigger_id": "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        "team": {"id": "T1", "domain": "lumio"},
        "channel": {"id": "D1", "name": "directmessage"},
        "message": posted,
        "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        "actions": [
            {
                "type": "button",
                "block_id": actions["block_id"],
                "action_id": element["action_id"],
                "text": element["text"],
                "value": element["value"] if value is None else value,
                "action_ts": "1700000050.123456",
            }
        ],
    }


def block_actions_of(actions: list[Any]) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "channel": {"id": "D1"},
        "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": "D1"},
        "actions": actions,
    }


def test_a_typed_command_reaches_rasa_as_words(slack: Slack) -> None:
    slack.rasa.down = False
    slack.event(dm("/EXTERNAL_resolved"))
    mention = dm("<@UBOT> " + UP, ts="1700000002.000400", event_id="Ev0200")  # a vote typed, not pressed
    mention["event"] |= {"type": "app_mention", "channel": "C1"}
    del mention["event"]["channel_type"]
    slack.event(mention)
    slack.fake.wait_for("chat.postMessage", 2)
    assert sorted(slack.rasa.messages) == sorted(["EXTERNAL_resolved", UP.removeprefix("/")])
    typed = customer_messages(slack, "slack:T1:D1:1700000000.000100")
    assert [(m.text, m.payload) for m in typed] == [("/EXTERNAL_resolved", None)]


def test_a_button_click_becomes_the_customers_answer(slack: Slack) -> None:
    slack.rasa.down = False
    slack.event(dm("How long is the battery warranty?"))
    [post] = slack.fake.wait_for("chat.postMessage")
    [posted] = [message for (channel, _), message in slack.fake.messages.items() if channel == "D1"]
    assert post.arguments["blocks"] == posted["blocks"]

    # A forged value (a payload the bot never offered) is refused by the router: nothing stored.
    assert slack.click(block_actions(posted, 0, value='/vote{"faq_id":"x","vote":"up"}')).status_code == 200
    time.sleep(0.3)
    assert len(customer_messages(slack, "slack:T1:D1:1700000000.000100")) == 1

    assert slack.click(block_actions(posted, 0)).status_code == 200
    thanks = slack.fake.wait_for("chat.postMessage", 2)
    assert thanks[1].arguments["text"] == "Thanks for your feedback!"
    assert thanks[1].arguments["thread_ts"] == "1700000000.000100"
    assert slack.rasa.senders_and_messages[-1] == ("slack:T1:D1:1700000000.000100", UP)
    clicked = customer_messages(slack, "slack:T1:D1:1700000000.000100")[-1]
    assert clicked.payload == UP and clicked.text == "👍 Helpful"

    # The message now shows the choice instead of the buttons.
    [update] = slack.fake.wait_for("chat.update")
    assert update.arguments["ts"] == posted["ts"] and update.arguments["channel"] == "D1"
    assert [b["type"] for b in update.arguments["blocks"]] == ["section", "context"]
    assert "👍 Helpful" in update.arguments["blocks"][1]["elements"][0]["text"]


def test_bad_interaction_bodies_get_400_and_other_interactions_200(slack: Slack) -> None:
    form = "application/x-www-form-urlencoded"
    for body in (
        urlencode({"payload": "[" * 100_000}).encode(),
        b"",
        b"payload=",
        b"payload=%7Bnot-json",
        b"other=1",
        b"\xff\xfe",
        urlencode({"payload": "[1]"}).encode(),
    ):
        response = slack.post("/channels/slack/interactions", body, form)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"
    ours = "lumio:0:slack:T1:D1:1700000000.000100"
    for payload in (
        {"type": "view_submission"},
        {"type": "block_actions", "actions": "nope"},
        {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "channel": {"id": "D1"}, "actions": [1]},
        block_actions_of([{"type": "button", "block_id": "theirs", "value": UP, "action_ts": "1.2"}]),
        block_actions_of([{"type": "button", "block_id": ours, "value": UP, "action_ts": "soon"}]),
        block_actions_of([{"type": "button", "block_id": "lumio:0:api-conversation", "value": UP, "action_ts": "1.2"}]),
        block_actions_of([{"type": "static_select", "block_id": ours, "action_ts": "1.2"}]),
    ):
        assert slack.click(payload).status_code == 200
    time.sleep(0.3)
    assert slack.fake.calls == []


# -- agents, delivery ------------------------------------------------------------------------------


def queued_slack_conversation(slack: Slack, thread_ts: str = "1700000000.000100") -> tuple[str, int]:
    """A Slack customer's conversation handed to humans (as `action_handoff` would leave it)."""
    conversation = f"slack:T1:D1:{thread_ts}"
    slack.services.conversations.record_inbound(
        conversation,
        text="I want to complain about my order LM202611260001",
        payload=None,
        language="en",
        channel="slack",
        customer_id="slack:T1:U1",
        client_message_id=f"slack:{thread_ts}",
        channel_data={"team": "T1", "channel": "D1", "thread_ts": thread_ts},
    )
    handoff = slack.services.escalations.open(conversation, HandoffReason.COMPLAINT, channel="slack", language="en")
    return conversation, handoff.escalation.id


def case_of(slack: Slack, escalation_id: int, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = slack.client.get(f"/api/v1/escalations/{escalation_id}", headers=headers).json()
    return body


def test_a_queued_customer_is_told_their_place_in_the_thread(slack: Slack) -> None:
    conversation, _ = queued_slack_conversation(slack)
    slack.event(dm("still there?", ts="1700000020.000100", thread_ts="1700000000.000100", event_id="Ev0200"))
    [notice] = slack.fake.wait_for("chat.postMessage")
    assert notice.arguments["thread_ts"] == "1700000000.000100"
    assert ("number 1" in notice.arguments["text"]) or ("09:00" in notice.arguments["text"])
    assert slack.rasa.sent == [] and len(customer_messages(slack, conversation)) == 2


def test_an_agents_reply_reaches_the_thread_and_is_retried_when_slack_fails(slack: Slack) -> None:
    _, escalation_id = queued_slack_conversation(slack)
    alice = token_for(slack.client, Role.AGENT, "alice")
    assert slack.client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice).status_code == 200

    reply = slack.client.post(
        f"/api/v1/escalations/{escalation_id}/replies", json={"text": "Hello, I'm on it <3 & more"}, headers=alice
    )
    assert reply.status_code == 201
    [post] = slack.fake.wait_for("chat.postMessage")
    assert post.arguments["channel"] == "D1" and post.arguments["thread_ts"] == "1700000000.000100"
    assert post.arguments["text"] == "Hello, I'm on it &lt;3 &amp; more"
    case = wait_until(
        lambda: (c := case_of(slack, escalation_id, alice))["messages"][-1]["delivery"] == "delivered" and c
    )
    assert case and case["messages"][-1]["delivery"] == "delivered"

    # Slack fails the next call: the reply shows `retrying` with the reason, then `delivered`.
    slack.fake.fail_next(error="internal_error")
    second = slack.client.post(
        f"/api/v1/escalations/{escalation_id}/replies", json={"text": "One moment"}, headers=alice
    )
    assert second.status_code == 201
    retrying = wait_until(
        lambda: (c := case_of(slack, escalation_id, alice))["messages"][-1]["delivery"] == "retrying" and c
    )
    assert retrying and "internal_error" in retrying["messages"][-1]["last_error"]
    delivered = wait_until(
        lambda: (c := case_of(slack, escalation_id, alice))["messages"][-1]["delivery"] == "delivered" and c
    )
    assert delivered, "the outbox retries after its backoff"
    posts = slack.fake.calls_to("chat.postMessage")
    assert [p.arguments["text"] for p in posts] == [
        "Hello, I'm on it &lt;3 &amp; more",
        "One moment",
        "One moment",
    ]


def test_a_rate_limit_is_respected(slack: Slack) -> None:
    _, escalation_id = queued_slack_conversation(slack)
    alice = token_for(slack.client, Role.AGENT, "alice")
    slack.client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice)
    slack.fake.fail_next(status=429, error="ratelimited", retry_after=30)
    reply = slack.client.post(f"/api/v1/escalations/{escalation_id}/replies", json={"text": "Hi"}, headers=alice)
    case = wait_until(
        lambda: (c := case_of(slack, escalation_id, alice))["messages"][-1]["delivery"] == "retrying" and c
    )
    assert case and "retry after 30 s" in case["messages"][-1]["last_error"]
    # An agent's "retry now" inside Slack's Retry-After does not call Slack again.
    retried = slack.client.post(
        f"/api/v1/escalations/{escalation_id}/replies/{reply.json()['id']}/retry", headers=alice
    )
    assert retried.status_code == 200
    case = wait_until(lambda: (c := case_of(slack, escalation_id, alice))["messages"][-1]["attempts"] == 2 and c)
    assert case and "rate limit" in case["messages"][-1]["last_error"]
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


# -- escalation announcements ------------------------------------------------------------------------


def test_a_new_escalation_is_announced_in_the_leads_channel(slack: Slack) -> None:
    slack.rasa.down = False
    slack.event(dm("I want a human now, call me on 13812345678", event_id="Ev0300"))
    announcement = wait_until(
        lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.arguments["channel"] == LEADS]
    )
    assert announcement, slack.fake.calls
    escalation = slack.services.escalations.open_for("slack:T1:D1:1700000000.000100")
    assert escalation is not None
    text = json.dumps(announcement[0].arguments["blocks"], ensure_ascii=False)
    assert f"New escalation #{escalation.id}: high priority, complaint" in announcement[0].arguments["text"]
    assert f"<{CONSOLE}/console/escalations/{escalation.id}|" in text
    assert "138******78" in text and "13812345678" not in text
    # The customer was told in their thread too (the handoff reply).
    replies = wait_until(lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.arguments["channel"] == "D1"])
    assert replies and "human agent" in replies[0].arguments["text"]


def test_an_escalation_heard_by_every_replica_is_announced_once(slack: Slack) -> None:
    """With several replicas every announcer hears the event (the shared bus): the desk's record
    lets one of them post it."""
    slack.rasa.down = False
    slack.event(dm("I want a human now", event_id="Ev0350"))
    to_leads = lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.arguments["channel"] == LEADS]  # noqa: E731
    assert wait_until(to_leads)
    conversation = slack.services.escalations.open_for("slack:T1:D1:1700000000.000100")
    assert conversation is not None
    assert slack.client.portal is not None
    slack.client.portal.call(slack.adapter.announce, conversation.conversation_id)  # a second replica's announcer
    time.sleep(0.5)
    assert len(to_leads()) == 1


def test_a_failed_announcement_is_logged_and_the_next_one_still_goes_out(slack: Slack) -> None:
    slack.rasa.down = False
    slack.fake.fail_next(error="not_in_channel", channel=LEADS)
    slack.event(dm("human please", event_id="Ev0400"))
    assert len(slack.fake.wait_for("chat.postMessage", 2)) == 2  # the customer's reply, the failed announcement
    slack.event(dm("a human, please", ts="1700000030.000100", event_id="Ev0401"))
    announcements = wait_until(
        lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.arguments["channel"] == LEADS][1:]
    )
    second = slack.services.escalations.open_for("slack:T1:D1:1700000030.000100")
    assert second is not None and announcements
    assert f"New escalation #{second.id}" in announcements[0].arguments["text"]


# -- bad input -------------------------------------------------------------------------------------


def test_malformed_and_oversized_bodies_get_4xx(slack: Slack) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b'{"type": "url_verification"}', deep):
        response = slack.post("/channels/slack/events", body, "application/json")
        assert response.status_code == 400, body
    huge = b'{"type": "event_callback", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert slack.post("/channels/slack/events", huge, "application/json").status_code == 413
    assert (
        slack.post(
            "/channels/slack/interactions", b"payload=" + b"x" * (1024 * 1024 + 1), "application/x-www-form-urlencoded"
        ).status_code
        == 413
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(20):
            yield b"x" * 65536

    response = slack.client.post(
        "/channels/slack/events", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert slack.client.get("/channels/slack/events").status_code == 405
    assert slack.fake.calls == []


# -- settings --------------------------------------------------------------------------------------


def test_settings_enable_the_channel_only_with_both_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_API_BASE_URL", "SLACK_ESCALATION_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    assert not SlackSettings().enabled
    assert not any(adapter.name == "slack" for adapter in configured_channels())
    with pytest.raises(ValueError, match="half configured"):
        SlackSettings(signing_secret=SecretStr(SECRET))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_BASE_URL", "http://127.0.0.1:9/api")
    settings = SlackSettings()
    assert settings.enabled and settings.api_base_url == "http://127.0.0.1:9/api/"
    assert settings.signature_window_seconds == 300 and settings.escalation_channel is None
    assert SECRET not in repr(settings) and TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    assert [adapter.name for adapter in configured_channels() if adapter.name == "slack"] == ["slack"]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    with pytest.raises(ValueError, match="half configured"):
        SlackSettings()


# -- formats ---------------------------------------------------------------------------------------


def test_slack_markup_becomes_plain_text() -> None:
    assert plain_text("<@UBOT> hi &lt;3 &amp; <https://x.example/a|the page> <mailto:a@b.com|a@b.com>") == (
        " hi <3 & the page a@b.com"
    )
    assert plain_text("see <#C123|general> <!here> <https://x.example>") == "see #general @here https://x.example"


def test_long_messages_and_many_buttons_fit_slacks_limits() -> None:
    text = ("word & " * 1200).strip()
    blocks = sections(text)
    assert len(blocks) > 1 and all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert " ".join(b["text"]["text"] for b in blocks) == text.replace("&", "&amp;")
    buttons = [(f"Option {i} " + "x" * 100, f'/choose{{"n":{i}}}') for i in range(30)]
    rendered = message_blocks("slack:T1:D1:1.1", "Pick one", [*buttons, ("too big", "/x" + "y" * 2000)])
    actions = [b for b in rendered if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert len({e["action_id"] for a in actions for e in a["elements"]}) == 30
    assert all(len(e["text"]["text"]) <= 75 for a in actions for e in a["elements"])
