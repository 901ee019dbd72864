"""`bench.faults`: how a message's fate is judged and tabled (no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bench.faults.customers.slack import slack_signature
from bench.faults.customers.wechat import wechat_signature
from bench.faults.customers.wecom import WeComCustomer, texts_to
from bench.faults.scoring import (
    COLUMNS,
    Fate,
    answer_batches,
    api_acknowledged,
    as_utc,
    markdown,
    tally,
    webchat_acknowledged,
)


def test_the_api_acknowledges_with_2xx_or_the_503_that_stores_the_message() -> None:
    unavailable = json.dumps({"error": {"code": "assistant_unavailable", "message": "later"}})
    assert api_acknowledged(200, "{}")
    assert api_acknowledged(503, unavailable)
    assert not api_acknowledged(503, json.dumps({"error": {"code": "other"}}))
    assert not api_acknowledged(503, "not json")
    assert not api_acknowledged(500, unavailable)


def test_the_web_chat_acknowledges_with_an_ack_or_the_unavailable_refusal() -> None:
    assert webchat_acknowledged({"type": "ack", "client_message_id": "m", "status": "bot"})
    assert webchat_acknowledged({"type": "error", "code": "assistant_unavailable"})
    assert not webchat_acknowledged({"type": "error", "code": "message_not_stored"})
    assert not webchat_acknowledged({"type": "message"})


def test_lost_is_acknowledged_but_not_stored_or_stored_but_never_answered() -> None:
    assert Fate(True, False, False, False, 0, False).lost
    assert Fate(False, True, True, False, 0, False).lost  # acknowledged when the client sent it again
    assert Fate(False, False, False, True, 0, False).lost
    assert not Fate(False, True, False, False, 0, False).lost  # the client was told to send it again
    assert not Fate(True, False, False, True, 1, True).lost


def test_a_platform_message_never_acknowledged_is_lost_for_the_platform_gave_up_on_it() -> None:
    assert Fate(False, True, False, False, 0, False, platform=True).lost
    assert Fate(False, True, False, True, 1, True, platform=True).lost
    assert not Fate(False, True, True, True, 1, True, platform=True).lost


def test_the_wechat_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce() -> None:
    from channels.wechat.protocol import signature_of

    assert wechat_signature("token", "1700000000", "abc") == signature_of("token", "1700000000", "abc")


def test_the_slack_signature_is_the_documented_hmac() -> None:
    from tests.channels.slack.test_slack import sign

    assert slack_signature("secret", "1700000000", b"{}") == sign("secret", "1700000000", b"{}")


def test_a_wecom_customer_is_the_channels_conversation_and_its_answers_are_what_send_msg_got() -> None:
    from bench.fakes.wecom import CORP, KF, SECRET, FakeWeCom
    from channels.wecom.messages import PLATFORM_ID, Address, render

    fake = FakeWeCom(CORP, SECRET)
    customer, other = WeComCustomer("http://app.invalid", fake), WeComCustomer("http://app.invalid", fake)
    assert PLATFORM_ID.fullmatch(customer.external_userid)
    assert customer.conversation_id == Address(KF, customer.external_userid).conversation_id
    assert customer.new_message_id() != customer.new_message_id()
    for user, text, buttons in (
        (customer.external_userid, "Battery: 1 year.", [("👍", "/vote_up")]),
        (other.external_userid, "Not yours.", []),
        (customer.external_userid, "Anything else?", []),
    ):
        fake.sent += [{"touser": user, "open_kfid": KF, **body} for body in render(text, buttons)]
    assert texts_to(fake, customer.external_userid) == ["Battery: 1 year.", "Anything else?"]


def test_the_tally_counts_each_column() -> None:
    fates = [
        Fate(True, False, False, True, 1, True),
        Fate(True, False, False, True, 2, True),
        Fate(False, True, False, False, 0, False),
        Fate(False, True, True, True, 0, False),
    ]
    assert tally(fates) == {
        "sent": 4,
        "acknowledged": 2,
        "resent": 2,
        "acknowledged_on_resend": 1,
        "stored": 3,
        "answered": 2,
        "answered_after_recovery": 2,
        "lost": 1,
        "answered_twice": 1,
    }


def test_one_turn_is_one_answer_however_many_messages_it_stored() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert answer_batches([now, now, now + timedelta(seconds=3)]) == [now, now + timedelta(seconds=3)]
    assert as_utc(datetime(2026, 1, 1, 12)) == now


def test_the_table_has_a_line_per_channel_and_fault() -> None:
    row = {"channel": "api", "fault": "rasa_down", **dict.fromkeys(COLUMNS, 0), "slowest_answer_after_recovery_s": 2.5}
    unanswered = {"channel": "wecom", "fault": "app_killed", **dict.fromkeys(COLUMNS, 1)}
    lines = markdown([row, unanswered]).splitlines()
    assert lines[0].startswith("| channel | fault | sent |")
    assert lines[2] == "| api | rasa_down |" + " 0 |" * len(COLUMNS) + " 2.5 |"
    assert lines[3] == "| wecom | app_killed |" + " 1 |" * len(COLUMNS) + "  |"
    assert all(line.count("|") == lines[0].count("|") for line in lines)
