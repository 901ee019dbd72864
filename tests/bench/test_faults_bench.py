"""`bench.faults`: how a message's fate is judged and tabled (no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bench.faults import (
    COLUMNS,
    Fate,
    answer_batches,
    api_acknowledged,
    as_utc,
    markdown,
    not_run_rows,
    slack_signature,
    tally,
    webchat_acknowledged,
    wechat_signature,
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


def test_the_table_has_a_line_per_channel_and_fault_and_says_what_did_not_run() -> None:
    row = {"channel": "api", "fault": "rasa_down", **dict.fromkeys(COLUMNS, 0), "slowest_answer_after_recovery_s": 2.5}
    lines = markdown([row, *not_run_rows()]).splitlines()
    assert lines[0].startswith("| channel | fault | sent |")
    assert lines[2] == "| api | rasa_down |" + " 0 |" * len(COLUMNS) + " 2.5 |"
    assert any("wecom" in line and "not run" in line for line in lines)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
