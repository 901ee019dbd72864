"""The WeCom Customer Service channel against a fake WeCom server (bench/fakes/wecom.py), with
wechatpy's work crypto as WeCom's side of the callback: verification, refusals, reading messages with
the cursor kept across restarts and crashes, answers and agents' replies sent, 接待人员 messages
recorded, the desk's statuses mirrored onto the WeCom session. Rasa is scripted."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from wechatpy.utils import WeChatSigner
from wechatpy.work.crypto import PrpCrypto, WeChatCrypto

from bench.fakes.wecom import (
    AES_KEY,
    CORP,
    KF,
    SECRET,
    TOKEN,
    USER,
    FakeWeCom,
    callback_body,
    kf_event,
    serving,
)
from channels.registry import configured_channels
from channels.wecom.adapter import WeComAdapter
from channels.wecom.api import ServiceState
from channels.wecom.messages import Address, chosen_payload, render, target_state
from channels.wecom.settings import WeComSettings
from channels.wecom.state import WeComState
from desk.channel_state import ChannelStateStore
from desk.conversations import ConversationStore
from desk.copy import say
from desk.handoff import HandoffReason
from desk.models import ConversationStatus, Role
from desk.turns import Outcome, TurnRecord, turn_payload
from tests.api.staff import services_of, token_for
from tests.app_factory import build_app
from tests.database_outage import database_down, desk_url
from tests.fake_rasa import FakeRasa
from tests.waiting import wait_until

CONVERSATION = Address(KF, USER).conversation_id
CSAT = [{"title": str(n), "payload": f'/rate_service{{"csat":{n}}}'} for n in range(1, 6)]
CHOICES = [
    {"title": "退货", "payload": '/ask{"topic":"return"}'},
    {"title": "A very long choice", "payload": "/choose" + "x" * 80},
]


def echo_or_hand_off(
    sender: str, message: str, metadata: dict[str, Any], *, hand_off: Callable[[str], object] | None = None
) -> list[dict[str, Any]]:
    """Rasa's part: echoes, offers buttons when asked, hands off when asked (`hand_off` opening the
    escalation as action_handoff does through the app)."""
    if message == "buttons please":
        return [{"text": "Which one?", "buttons": CHOICES}]
    if message == "转人工" and hand_off is not None:
        hand_off(sender)
        # What action_handoff reports beside its message: this turn queued the conversation.
        record = turn_payload(TurnRecord(Outcome.HANDOFF, priority="high", escalated=True))
        return [{"text": "正在为您转接人工客服"}, {"custom": record}]
    return [{"text": f"echo: {message}"}]


def ask_rating(sender: str, intent: str) -> list[dict[str, Any]]:
    """Rasa's part when a conversation is resumed: the rating question."""
    return [{"text": "请为本次服务打分 (1-5)", "buttons": CSAT}]


def wecom_settings(base_url: str, **overrides: Any) -> WeComSettings:
    values: dict[str, Any] = {
        "corp_id": CORP,
        "secret": SecretStr(SECRET),
        "token": SecretStr(TOKEN),
        "encoding_aes_key": SecretStr(AES_KEY),
        "api_base_url": base_url,
        "retry_seconds": 0.3,
        **overrides,
    }
    return WeComSettings(**values)


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    wecom = FakeWeCom(CORP, SECRET)
    with serving(wecom):
        yield wecom


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(echo_or_hand_off, resumed=ask_rating)


@pytest.fixture
def start(tmp_path: Path, fake: FakeWeCom, rasa: FakeRasa) -> Callable[..., Any]:
    """Starts the app with the WeCom channel against the fake (a new adapter each time, same database)."""

    @contextmanager
    def running(**overrides: Any) -> Iterator[TestClient]:
        app = build_app(
            tmp_path,
            rasa=rasa,
            channels=[WeComAdapter(wecom_settings(fake.base_url, **overrides))],
            answer_retry_seconds=0.5,  # the retry loop (engine/retries.py) for messages Rasa missed
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    return running


def notify(client: TestClient, open_kfid: str = KF) -> None:
    body, query = callback_body(kf_event(open_kfid))
    response = client.post("/channels/wecom", params=query, content=body)
    assert response.status_code == 200 and response.text == "success", response.text


def sent_texts(fake: FakeWeCom) -> list[str]:
    return [m["text"]["content"] if m["msgtype"] == "text" else m["msgmenu"]["head_content"] for m in fake.sent]


def transcript(client: TestClient) -> list[dict[str, Any]]:
    """The conversation as staff see it (the public conversation API serves only its own channel)."""
    services = client.app.state.runtime.services  # type: ignore[attr-defined]
    return [asdict(m) for m in services.conversations.transcript(CONVERSATION)]


# -- the callback ------------------------------------------------------------------------------------


def test_the_callback_url_check_echoes_the_decrypted_echostr(start: Callable[..., Any]) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    echostr = PrpCrypto(crypto.key).encrypt("1616140317555161061", CORP).decode()
    stamp, nonce = str(int(time.time())), "1597212914"
    signer = WeChatSigner()
    signer.add_data(TOKEN, stamp, nonce, echostr)
    query = {"msg_signature": signer.signature, "timestamp": stamp, "nonce": nonce, "echostr": echostr}
    with start() as client:
        answer = client.get("/channels/wecom", params=query)
        assert answer.status_code == 200 and answer.text == "1616140317555161061"
        assert client.get("/channels/wecom", params={**query, "msg_signature": "0" * 40}).status_code == 403
        stale = {**query, "timestamp": str(int(stamp) - 3600)}
        assert client.get("/channels/wecom", params=stale).status_code == 403
        other_corp = PrpCrypto(crypto.key).encrypt("123", "wwsomeoneelse").decode()
        signer = WeChatSigner()
        signer.add_data(TOKEN, stamp, nonce, other_corp)
        foreign = {**query, "echostr": other_corp, "msg_signature": signer.signature}
        assert client.get("/channels/wecom", params=foreign).status_code == 403


def test_a_wrong_signature_or_an_old_timestamp_is_refused_and_nothing_is_read(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        body, query = callback_body(kf_event())
        forged = client.post("/channels/wecom", params={**query, "msg_signature": "f" * 40}, content=body)
        assert forged.status_code == 403
        old_body, old_query = callback_body(kf_event(), timestamp=int(time.time()) - 3600)
        assert client.post("/channels/wecom", params=old_query, content=old_body).status_code == 403
        other_body, other_query = callback_body(kf_event(), corp_id="wwanothercorp0000")
        assert client.post("/channels/wecom", params=other_query, content=other_body).status_code == 403
        time.sleep(0.5)
        assert fake.paths("kf/sync_msg") == [] and rasa.sent == []
        assert client.app.state.runtime.services.conversations.get(CONVERSATION) is None  # type: ignore[attr-defined]


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Encrypt>&lol3;</Encrypt></xml>"
)


def test_entity_xml_and_oversized_bodies_are_refused(start: Callable[..., Any], fake: FakeWeCom) -> None:
    with start() as client:
        _, query = callback_body(kf_event())
        assert client.post("/channels/wecom", params=query, content=BILLION_LAUGHS).status_code == 400
        external = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'
        assert client.post("/channels/wecom", params=query, content=external).status_code == 400
        # A DTD inside the encrypted, correctly signed message is refused as well.
        inner = BILLION_LAUGHS.replace("<xml><Encrypt>&lol3;</Encrypt></xml>", kf_event())
        body, signed = callback_body(inner)
        assert client.post("/channels/wecom", params=signed, content=body).status_code == 400
        assert client.post("/channels/wecom", params=query, content=b"<xml>" + b"x" * 40_000).status_code == 413
        chunks = (b"<xml>" + b"y" * 4096 for _ in range(10))  # no Content-Length: counted while read
        assert client.post("/channels/wecom", params=query, content=chunks).status_code == 413
        assert client.post("/channels/wecom", params=query, content="<xml><not-closed>").status_code == 400
        time.sleep(0.3)
        assert fake.paths("kf/sync_msg") == []


def test_a_callback_sent_again_is_ignored(start: Callable[..., Any], fake: FakeWeCom) -> None:
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        body, query = callback_body(kf_event(token="ENCFreshToken"))
        assert client.post("/channels/wecom", params=query, content=body).text == "success"
        wait_until(lambda: len(fake.sent) == 1)
        # Sent again (by whoever captured it) within the window: "success", and no sync on its old Token.
        assert client.post("/channels/wecom", params=query, content=body).text == "success"
        time.sleep(0.3)
        assert len(fake.paths("kf/sync_msg")) == 1
    with start() as restarted:  # kept in the database: a restart (or another replica) knows it too
        time.sleep(0.3)
        syncs = len(fake.paths("kf/sync_msg"))  # the catch-up at start
        assert restarted.post("/channels/wecom", params=query, content=body).text == "success"
        time.sleep(0.3)
        assert len(fake.paths("kf/sync_msg")) == syncs


# -- reading messages --------------------------------------------------------------------------------


def test_messages_are_read_page_by_page_answered_and_the_cursor_kept(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa, tmp_path: Path
) -> None:
    fake.customer_writes(KF, USER, "你好")
    fake.customer_writes(KF, USER, "电池保修多久？")
    fake.customer_sends(KF, USER, "image", {"media_id": "MEDIA_ID"})
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 3)
        # The picture is stored as "[image]" and acknowledged without asking the assistant.
        assert rasa.messages == ["你好", "电池保修多久？"]
        assert sent_texts(fake) == ["echo: 你好", "echo: 电池保修多久？", say("attachment_received", "zh")]
        assert all(m["touser"] == USER and m["open_kfid"] == KF for m in fake.sent)
        syncs = fake.paths("kf/sync_msg")
        assert [c.body["cursor"] for c in syncs] == ["", "2"]
        assert all(c.body["open_kfid"] == KF and c.body["token"].startswith("ENC") for c in syncs)
        sessions = services_of(client).conversations
        state = WeComState(_channel_state(client))
        wait_until(lambda: state.cursor(KF) == "3")
        conversation = sessions.get(CONVERSATION)
        assert conversation is not None and conversation.channel == "wecom"
        # An external_userid is unique within its corp only: the customer id says which corp.
        assert conversation.customer_id == f"wecom:{CORP}:{USER}"
        assert conversation.channel_data == {"open_kfid": KF, "external_userid": USER}
        assert [m["sender"] for m in transcript(client)] == ["customer", "bot"] * 3
        assert transcript(client)[4]["text"] == "[image]"
        # The access token was fetched once and reused.
        assert len(fake.paths("gettoken")) == 1


def test_syncs_of_an_account_run_one_at_a_time(start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa) -> None:
    fake.sync_delay = 0.2
    with start() as client:
        for n in range(5):  # news keeps arriving while the first sync runs
            fake.customer_writes(KF, USER, f"burst {n}")
            notify(client)
        wait_until(lambda: len(fake.sent) == 5)
        time.sleep(0.5)
        assert fake.most_parallel_syncs == 1
        assert rasa.messages == [f"burst {n}" for n in range(5)]
        assert len(fake.paths("kf/sync_msg")) < 10  # notices during a sync ask for one more round, not one each


def test_a_restart_continues_from_the_cursor_without_reading_again(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    for n in range(3):
        fake.customer_writes(KF, USER, f"message {n}")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 3)
    fake.customer_writes(KF, USER, "written while the app was down")
    syncs_before = len(fake.paths("kf/sync_msg"))
    with start() as client:  # a new adapter on the same database catches up at start, unprompted
        wait_until(lambda: len(fake.sent) == 4)
        restarted = fake.paths("kf/sync_msg")[syncs_before:]
        assert restarted[0].body["cursor"] == "3" and "token" not in restarted[0].body
    assert rasa.messages == ["message 0", "message 1", "message 2", "written while the app was down"]
    assert len(fake.paths("gettoken")) == 1  # the cached token survived the restart


def test_a_crash_before_the_cursor_is_saved_reads_the_page_again_harmlessly(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fake.customer_writes(KF, USER, "one")
    fake.repeat(KF, first)  # WeCom hands out the same msgid twice
    fake.customer_writes(KF, USER, "two")
    save = WeComState.save_cursor
    crashes: list[str] = []

    def crash_once(self: WeComState, open_kfid: str, cursor: str) -> None:
        if not crashes:
            crashes.append(cursor)
            raise OSError("disk full")
        save(self, open_kfid, cursor)

    monkeypatch.setattr(WeComState, "save_cursor", crash_once)
    with start() as client:
        notify(client)
        wait_until(lambda: WeComState(_channel_state(client)).cursor(KF) == "3")
        time.sleep(0.3)
        cursors = [c.body["cursor"] for c in fake.paths("kf/sync_msg")]
        assert crashes == ["2"] and cursors[0] == "" and cursors.count("") == 2  # the first page was read twice
        assert rasa.messages == ["one", "two"]  # each message answered once
        assert sent_texts(fake) == ["echo: one", "echo: two"]
        assert [m["text"] for m in transcript(client) if m["sender"] == "customer"] == ["one", "two"]


def test_a_message_that_cannot_be_stored_holds_the_cursor_back(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.customer_writes(KF, USER, "first")
    fake.customer_writes(KF, USER, "second")
    record = ConversationStore.record_inbound
    failures: list[str] = []

    def database_down_once(self: ConversationStore, conversation_id: str, **kwargs: Any) -> Any:
        if kwargs["text"] == "second" and not failures:
            failures.append(kwargs["text"])
            raise OSError("database unavailable")
        return record(self, conversation_id, **kwargs)

    monkeypatch.setattr(ConversationStore, "record_inbound", database_down_once)
    with start() as client:
        notify(client)
        wait_until(lambda: failures and WeComState(_channel_state(client)).cursor(KF) == "2")
        assert rasa.messages == ["first", "second"]  # "second" was not skipped, "first" not asked twice
        assert [c.body["cursor"] for c in fake.paths("kf/sync_msg")] == ["", ""]


def test_a_message_rasa_could_not_answer_is_answered_when_it_is_back(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    rasa.down = True
    fake.customer_writes(KF, USER, "在吗")
    with start() as client:
        notify(client)
        wait_until(lambda: len(services_of(client).conversations.transcript(CONVERSATION)) == 1)
        time.sleep(0.3)
        assert fake.sent == []
        rasa.down = False
        wait_until(lambda: sent_texts(fake) == ["echo: 在吗"])
        assert [m["sender"] for m in transcript(client)] == ["customer", "bot"]


def test_buttons_become_a_menu_and_clicks_or_numbers_choose_them(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, USER, "buttons please")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        menu = fake.sent[0]
        assert menu["msgtype"] == "msgmenu" and menu["msgmenu"]["head_content"] == "Which one?"
        items = [item["click"] for item in menu["msgmenu"]["list"]]
        assert items == [
            {"id": '/ask{"topic":"return"}', "content": "退货"},
            {"id": "#2", "content": "A very long choice"},  # the payload is too long for a click id
        ]
        fake.customer_writes(KF, USER, "退货", menu_id='/ask{"topic":"return"}')
        notify(client)
        wait_until(lambda: len(rasa.sent) == 2)
        assert rasa.messages[-1] == '/ask{"topic":"return"}'
        fake.customer_writes(KF, USER, "buttons please")
        notify(client)
        wait_until(lambda: len(fake.sent) == 3)
        fake.customer_writes(KF, USER, "A very long choice", menu_id="#2")
        notify(client)
        wait_until(lambda: len(rasa.sent) == 4)
        assert rasa.messages[-1] == "/choose" + "x" * 80
        fake.customer_writes(KF, USER, "buttons please")
        notify(client)
        wait_until(lambda: len(fake.sent) == 5)
        fake.customer_writes(KF, USER, " 1 ")  # typed, not clicked
        notify(client)
        wait_until(lambda: len(rasa.sent) == 6)
        assert rasa.messages[-1] == '/ask{"topic":"return"}'
        fake.customer_writes(KF, USER, "hello", menu_id='/never{"offered":1}')  # forged: kept as words
        notify(client)
        wait_until(lambda: len(rasa.sent) == 7)
        assert rasa.messages[-1] == "hello"


def test_a_typed_command_reaches_rasa_as_words(start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa) -> None:
    fake.customer_writes(KF, USER, "/EXTERNAL_resolved")
    fake.customer_writes(KF, USER, '/vote{"faq_id":"battery","vote":"down"}')
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 2)
        assert rasa.messages == ["EXTERNAL_resolved", 'vote{"faq_id":"battery","vote":"down"}']
        customer = [m["text"] for m in transcript(client) if m["sender"] == "customer"]
        assert customer == ["/EXTERNAL_resolved", '/vote{"faq_id":"battery","vote":"down"}']


def test_a_message_whose_ids_are_no_wecom_ids_is_not_taken(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, "wm/../../model/train?token=x#", "你好")
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        assert [sent.sender for sent in rasa.sent] == [CONVERSATION]
    assert Address.of({"open_kfid": KF, "external_userid": USER}) == Address(KF, USER)
    for user in ("wm x", "wm/..", "", "w" * 65, "wm\n"):
        assert Address.of({"open_kfid": KF, "external_userid": user}) is None
    assert Address.of({"open_kfid": "wk:1", "external_userid": USER}) is None


# -- people ------------------------------------------------------------------------------------------


def test_a_servicers_message_is_recorded_as_an_agent_reply_and_not_sent_back(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        published: list[tuple[str, str]] = []
        bus = client.app.state.runtime.bus
        original = bus.publish

        def spy(topic: str, kind: str, **data: Any) -> None:
            published.append((topic, kind))
            original(topic, kind, **data)

        monkeypatch.setattr(bus, "publish", spy)
        said = fake.servicer_writes(KF, USER, "zhangsan", "您好，我是人工客服小张")
        fake.repeat(KF, said)
        notify(client)
        wait_until(lambda: len(transcript(client)) == 3)
        time.sleep(0.3)
        last = transcript(client)[-1]
        assert last["sender"] == "agent" and last["text"] == "[WeCom zhangsan] 您好，我是人工客服小张"
        assert len(transcript(client)) == 3  # read twice, stored once
        messages = services_of(client).conversations.transcript(CONVERSATION)
        assert messages[-1].delivery == "delivered" and messages[-1].author_id is None
        assert (f"staff:{CONVERSATION}", "reply") in published
        assert len(fake.sent) == 1 and rasa.messages == ["你好"]


def escalate(client: TestClient) -> int:
    return (
        services_of(client)
        .escalations.open(CONVERSATION, HandoffReason.COMPLAINT, channel="wecom", language="zh")
        .escalation.id
    )


def case(client: TestClient, escalation_id: int, headers: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/v1/escalations/{escalation_id}", headers=headers).json()
    return found


def test_console_agents_keep_the_session_with_the_api_and_reach_the_customer(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, USER, "我要投诉")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        escalation_id = escalate(client)
        alice = token_for(client, Role.AGENT, "alice")
        assert client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice).status_code == 200
        wait_until(lambda: fake.state_changes() == [(int(ServiceState.ASSISTANT), None)])
        fake.customer_sends(KF, USER, "image", {"media_id": "MEDIA_ID"})  # to the agent, not acknowledged
        notify(client)
        wait_until(lambda: transcript(client)[-1]["text"] == "[image]")
        fake.failures["kf/send_msg"] = 1  # WeCom is busy once
        reply = client.post(
            f"/api/v1/escalations/{escalation_id}/replies", json={"text": "您好，我来处理。"}, headers=alice
        )
        assert reply.status_code == 201
        wait_until(lambda: case(client, escalation_id, alice)["messages"][-1]["delivery"] == "retrying")
        assert "errcode -1" in case(client, escalation_id, alice)["messages"][-1]["last_error"]
        wait_until(lambda: case(client, escalation_id, alice)["messages"][-1]["delivery"] == "delivered")
        assert sent_texts(fake)[-1] == "您好，我来处理。"
        resolved = client.post(f"/api/v1/escalations/{escalation_id}/resolve", json={"code": "answered"}, headers=alice)
        assert resolved.status_code == 200
        # The CSAT question goes out as a menu of 1–5; the customer's click is the rating.
        wait_until(lambda: fake.sent[-1]["msgtype"] == "msgmenu")
        assert [i["click"]["content"] for i in fake.sent[-1]["msgmenu"]["list"]] == ["1", "2", "3", "4", "5"]
        wait_until(lambda: len(fake.paths("kf/service_state/get")) == 2)
        time.sleep(0.2)
        assert fake.state_changes() == [(1, None)]  # resolved: the session already is with the API
        fake.customer_writes(KF, USER, "5")
        notify(client)
        wait_until(lambda: len(rasa.sent) == 2)
        assert rasa.messages[-1] == '/rate_service{"csat":5}'


def test_with_agents_in_the_wecom_client_the_desk_statuses_are_mirrored(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, USER, "转人工")
    with start(human_agents="wecom", servicer_userid="zhangsan") as client:
        opened: list[int] = []
        rasa.reply = functools.partial(echo_or_hand_off, hand_off=lambda sender: opened.append(escalate(client)))
        notify(client)
        # The bot's handoff message goes out first, then the session moves to WeCom's pool.
        wait_until(lambda: fake.state_changes() == [(2, None)])
        order = [c.path for c in fake.calls if c.path in ("kf/send_msg", "kf/service_state/trans")]
        assert order == ["kf/send_msg", "kf/service_state/trans"] and sent_texts(fake) == ["正在为您转接人工客服"]
        # While queued the customer's messages reach the agents; no notice is sent into WeCom's pool.
        fake.customer_writes(KF, USER, "还要等多久")
        notify(client)
        wait_until(lambda: len(transcript(client)) == 4)
        time.sleep(0.3)
        assert len(fake.paths("kf/send_msg")) == 1
        alice = token_for(client, Role.AGENT, "alice")
        client.post(f"/api/v1/escalations/{opened[0]}/claim", headers=alice)
        wait_until(lambda: fake.state_changes() == [(2, None), (3, "zhangsan")])
        # WeCom takes no API message while a 接待人员 has the session: the console sees why.
        client.post(f"/api/v1/escalations/{opened[0]}/replies", json={"text": "hi"}, headers=alice)
        wait_until(lambda: case(client, opened[0], alice)["messages"][-1]["delivery"] == "retrying")
        error = case(client, opened[0], alice)["messages"][-1]["last_error"]
        assert "errcode 95018" in error and "from ip" not in error
        client.post(f"/api/v1/escalations/{opened[0]}/resolve", json={"code": "answered"}, headers=alice)
        wait_until(lambda: fake.state_changes() == [(2, None), (3, "zhangsan"), (4, None)])
        assert fake.sessions[(KF, USER)] == 4


def rate_or_echo(
    sender: str, message: str, metadata: dict[str, Any], *, hand_off: Callable[[str], object] | None = None
) -> list[dict[str, Any]]:
    """Rasa's part, with the rating taken when its button is pressed."""
    if message.startswith("/rate_service"):
        return [{"text": "感谢您的评分！"}]
    return echo_or_hand_off(sender, message, metadata, hand_off=hand_off)


def test_after_a_resolve_the_waiting_reply_goes_first_then_the_rating_then_the_new_answer(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    """Agents in the WeCom client: a console reply written while a 接待人员 holds the session waits
    (WeCom refuses it, 95018), and so does the rating question after the resolve (the session has
    ended). The customer writes again minutes later: the reply goes out first, then the rating
    question, then the answer to the new message, which Rasa reads as a question, not a rating."""
    fake.customer_writes(KF, USER, "转人工")
    with start(human_agents="wecom", servicer_userid="zhangsan") as client:
        opened: list[int] = []
        rasa.reply = functools.partial(rate_or_echo, hand_off=lambda sender: opened.append(escalate(client)))
        notify(client)
        wait_until(lambda: fake.state_changes() == [(2, None)])
        alice = token_for(client, Role.AGENT, "alice")
        client.post(f"/api/v1/escalations/{opened[0]}/claim", headers=alice)
        wait_until(lambda: fake.state_changes() == [(2, None), (3, "zhangsan")])
        reply = {"text": "您的退款已经处理好了。"}
        assert client.post(f"/api/v1/escalations/{opened[0]}/replies", json=reply, headers=alice).status_code == 201
        wait_until(lambda: case(client, opened[0], alice)["messages"][-1]["delivery"] == "retrying")
        client.post(f"/api/v1/escalations/{opened[0]}/resolve", json={"code": "answered"}, headers=alice)
        wait_until(lambda: fake.state_changes()[-1] == (4, None))
        time.sleep(0.5)
        # Not asked while the reply before it waits: Rasa would expect a rating the customer never saw.
        assert rasa.resumptions == [] and sent_texts(fake) == ["正在为您转接人工客服"]

        fake.customer_writes(KF, USER, "我的退款到账了吗")
        notify(client)
        wait_until(lambda: len(fake.sent) == 4)
        time.sleep(0.3)
        assert sent_texts(fake) == [
            "正在为您转接人工客服",
            "您的退款已经处理好了。",
            "请为本次服务打分 (1-5)",
            "echo: 我的退款到账了吗",
        ]
        assert rasa.messages[-1] == "我的退款到账了吗" and [r.intent for r in rasa.resumptions] == ["EXTERNAL_resolved"]
        wait_until(lambda: all(m["delivery"] in (None, "delivered") for m in transcript(client)))
        # The rating question has reached the customer now: its number is a rating.
        fake.customer_writes(KF, USER, "5")
        notify(client)
        wait_until(lambda: sent_texts(fake)[-1] == "感谢您的评分！")
        assert rasa.messages[-1] == '/rate_service{"csat":5}'


def test_a_number_typed_before_the_rating_question_arrived_is_no_rating(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    rasa.reply = rate_or_echo
    fake.customer_writes(KF, USER, "我要投诉")
    with start() as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        escalation_id = escalate(client)
        alice = token_for(client, Role.AGENT, "alice")
        client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice)
        fake.failures["kf/send_msg"] = 1  # WeCom is busy when the rating question first goes out
        client.post(f"/api/v1/escalations/{escalation_id}/resolve", json={"code": "answered"}, headers=alice)
        wait_until(lambda: transcript(client)[-1]["delivery"] == "retrying")
        fake.customer_writes(KF, USER, "2")  # about something else: the customer has seen no rating question
        notify(client)
        wait_until(lambda: len(fake.sent) == 3)
        assert rasa.messages[-1] == "2"
        assert sent_texts(fake)[1:] == ["请为本次服务打分 (1-5)", "echo: 2"]


def test_a_restart_keeps_the_retries_and_each_message_is_delivered_once(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa
) -> None:
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        fake.failures["kf/send_msg"] = 1_000  # WeCom refuses every message: the answer waits, retrying
        notify(client)
        wait_until(lambda: [m["delivery"] for m in transcript(client)] == [None, "retrying"])
        rasa.down = True  # and Rasa goes down: the next message is kept, unanswered
        fake.customer_writes(KF, USER, "在吗")
        notify(client)
        wait_until(lambda: [(m["text"], m["state"]) for m in transcript(client)][-1] == ("在吗", "failed"))
    # The app restarts: nothing of the retries lived only in its memory.
    fake.failures["kf/send_msg"] = 0
    rasa.down = False
    with start() as client:
        wait_until(lambda: len(fake.sent) == 2, timeout=20)
        time.sleep(1.0)
        assert sent_texts(fake) == ["echo: 你好", "echo: 在吗"]  # once each, in order
        assert rasa.messages == ["你好", "在吗"]
        assert all(m["delivery"] in (None, "delivered") for m in transcript(client))


def test_a_callback_the_database_cannot_take_gets_503_and_its_retry_is_read(
    start: Callable[..., Any], fake: FakeWeCom, rasa: FakeRasa, tmp_path: Path
) -> None:
    fake.customer_writes(KF, USER, "你好")
    with start() as client:
        body, query = callback_body(kf_event())
        with database_down(desk_url(tmp_path)):
            assert client.post("/channels/wecom", params=query, content=body).status_code == 503
        # WeCom sends the callback again (the same signature): taken now, the message read and answered.
        assert client.post("/channels/wecom", params=query, content=body).text == "success"
        wait_until(lambda: sent_texts(fake) == ["echo: 你好"])
    # The account was recorded before WeCom heard "success": a restart catches up with it even when
    # the first sync failed (WeCom busy) before any cursor was saved.
    fake.customer_writes(KF, "wmAJ2GCAAAme1XQRC-NI-q0_ZM9other", "你好")
    other_kf = "wkAJ2GCAAASSm4_FhToWMFea0xAOther"
    fake.customer_writes(other_kf, USER, "在吗")
    with start() as client:
        fake.failures["kf/sync_msg"] = 100
        notify(client, other_kf)
        wait_until(lambda: len(fake.paths("kf/sync_msg")) >= 3)
        assert WeComState(_channel_state(client)).cursor(other_kf) == ""
    fake.failures["kf/sync_msg"] = 0
    with start():
        wait_until(lambda: "echo: 在吗" in sent_texts(fake))


def test_refusals_and_wecom_session_events_are_logged_not_fatal(start: Callable[..., Any], fake: FakeWeCom) -> None:
    fake.customer_writes(KF, USER, "你好")
    with structlog.testing.capture_logs() as logs, start(human_agents="wecom") as client:
        notify(client)
        wait_until(lambda: len(fake.sent) == 1)
        alice = token_for(client, Role.AGENT, "alice")
        escalation_id = escalate(client)
        client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice)  # 人工接待 needs a servicer
        wait_until(lambda: any(e["event"] == "wecom_service_state_skipped" for e in logs))
        client.post(f"/api/v1/escalations/{escalation_id}/hand-back", headers=alice)
        wait_until(lambda: fake.state_changes() == [(1, None)])  # 0 → 1 is allowed
        fake.sessions[(KF, USER)] = 2  # meanwhile the session went to WeCom's pool
        escalation_id = escalate(client)
        client.post(f"/api/v1/escalations/{escalation_id}/claim", headers=alice)
        client.post(f"/api/v1/escalations/{escalation_id}/hand-back", headers=alice)  # 2 → 1 is not
        wait_until(lambda: any(e["event"] == "wecom_service_state_refused" for e in logs))
        refused = next(e for e in logs if e["event"] == "wecom_service_state_refused")
        assert "errcode 95016" in refused["error"] and refused["target"] == 1
        fake.event(
            KF, {"event_type": "session_status_change", "open_kfid": KF, "external_userid": USER, "change_type": 3}
        )
        notify(client)
        wait_until(lambda: any(e["event"] == "wecom_session_changed" and e["change"] == "ended" for e in logs))
        fake.expire_tokens()  # WeCom says the token expired: fetched again, the call repeated
        fake.sessions[(KF, USER)] = 4
        fake.customer_writes(KF, USER, "还在吗")
        notify(client)
        wait_until(lambda: sent_texts(fake)[-1] == "echo: 还在吗")
        assert len(fake.paths("gettoken")) == 2
    flat = str(logs)
    for secret in (SECRET, AES_KEY, TOKEN, "ACCESS"):
        assert secret not in flat


# -- the pure parts ----------------------------------------------------------------------------------


def test_rendering_buttons_and_long_texts() -> None:
    assert render("hi", ()) == [{"msgtype": "text", "text": {"content": "hi"}}]
    eleven = [(f"option {n}", f"/p{n}") for n in range(11)]
    numbered = render("pick", eleven)
    assert numbered[0]["msgtype"] == "text" and "11. option 10" in numbered[0]["text"]["content"]
    rating = render("rate", [(str(n), f"/r{n}") for n in range(1, 4)] * 4)[0]["text"]["content"]
    assert rating.endswith("\n1\n2\n3\n4. 1\n5. 2\n6. 3\n7. 1\n8. 2\n9. 3\n10. 1\n11. 2\n12. 3")
    long = render("退" * 1500, ())
    assert len(long) == 3 and all(len(m["text"]["content"].encode()) <= 2048 for m in long)
    assert "".join(m["text"]["content"] for m in long) == "退" * 1500
    head_too_long = render("字" * 400, [("a", "/a")])
    assert head_too_long[0]["msgtype"] == "text" and head_too_long[0]["text"]["content"].endswith("1. a")


def test_choosing_payloads() -> None:
    buttons = [{"title": "退货", "payload": "/return"}, {"title": "换货", "payload": "/exchange"}]
    assert chosen_payload("/return", "退货", buttons) == "/return"
    assert chosen_payload("#2", "换货", buttons) == "/exchange"
    assert chosen_payload("#3", "?", buttons) is None
    assert chosen_payload(None, "2", buttons) == "/exchange"
    assert chosen_payload(None, "2.", buttons) == "/exchange"
    assert chosen_payload(None, "2", []) is None
    assert chosen_payload(None, "2 件", buttons) is None
    reversed_rating = [{"title": str(n), "payload": f"/r{n}"} for n in (5, 4, 3, 2, 1)]
    assert chosen_payload(None, "5", reversed_rating) == "/r5"  # the button titled 5, not the fifth


def test_desk_statuses_map_onto_wecom_session_states() -> None:
    for status in ConversationStatus:
        assert target_state(status, "console") == ServiceState.ASSISTANT
    assert [target_state(s, "wecom") for s in ConversationStatus] == [1, 2, 3, 4]


def test_settings_enable_the_channel_only_when_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WeComSettings().enabled is False
    settings = wecom_settings("https://qyapi.weixin.qq.com/")
    assert settings.enabled and settings.api_base_url == "https://qyapi.weixin.qq.com"
    assert SECRET not in repr(settings) and AES_KEY not in repr(settings) and TOKEN not in repr(settings)
    with pytest.raises(ValidationError, match="WECOM_SECRET"):
        WeComSettings(corp_id=CORP, token=SecretStr(TOKEN), encoding_aes_key=SecretStr(AES_KEY))
    with pytest.raises(ValidationError, match="WECOM_ENCODING_AES_KEY"):
        wecom_settings("http://x", encoding_aes_key=SecretStr("too-short"))
    for name, value in (("CORP_ID", CORP), ("SECRET", SECRET), ("TOKEN", TOKEN), ("ENCODING_AES_KEY", AES_KEY)):
        monkeypatch.setenv(f"WECOM_{name}", value)
    assert any(isinstance(adapter, WeComAdapter) for adapter in configured_channels())


def _channel_state(client: TestClient) -> ChannelStateStore:
    """The store the adapter keeps its state in (the app's, through the port)."""
    return services_of(client).channel_state
