"""`bench.faults.cluster`: how a cluster fault run's messages and agent replies are judged (no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.faults.cluster.desk_rows import AgentRow, DeskRows, ReplyRow, StoredRow, all_settled
from bench.faults.cluster.records import AgentReply, Attempt, Fault, Received, SentMessage
from bench.faults.cluster.verdict import (
    BASELINE,
    agent_fates,
    error_counts,
    markdown,
    message_fates,
    phase_of,
    phases,
    rows,
    server_errors_without_retry_after,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def sent(seq: int, at: float, *attempts: Attempt, conversation: str = "c1", series: str = "c00-v01") -> SentMessage:
    message = SentMessage(0, "api", "en", conversation, f"cf-run-{series}-m{seq:02d}", seq, "q", at)
    message.attempts.extend(attempts or [Attempt(at, "200", True, False, False)])
    return message


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_message_belongs_to_the_phase_it_was_first_sent_in() -> None:
    faults = [Fault("app1_killed", 100.0), Fault("rasa1_killed", 200.0)]
    spans = phases(faults, 0.0)
    assert [name for name, _ in spans] == [BASELINE, "app1_killed", "rasa1_killed"]
    assert phase_of(50, spans) == BASELINE
    assert phase_of(100, spans) == "app1_killed"
    assert phase_of(250, spans) == "rasa1_killed"


def test_answered_once_in_order_is_neither_lost_nor_duplicated_nor_out_of_order() -> None:
    messages = [sent(1, 1), sent(2, 2)]
    desk = DeskRows(
        [StoredRow(10, "c1", "cf-run-c00-v01-m01", "answered"), StoredRow(12, "c1", "cf-run-c00-v01-m02", "answered")],
        [ReplyRow(11, 10, at(1)), ReplyRow(13, 12, at(2))],
        [],
    )
    fates = message_fates(messages, desk, [], phases([], 0))
    assert [(f.lost, f.duplicated, f.out_of_order) for f in fates] == [(False, False, False)] * 2
    assert all_settled(desk)


def test_accepted_but_not_stored_or_stored_and_never_answered_is_lost_held_is_not() -> None:
    messages = [sent(1, 1), sent(2, 2), sent(3, 3)]
    desk = DeskRows(
        [StoredRow(12, "c1", "cf-run-c00-v01-m02", "failed"), StoredRow(14, "c1", "cf-run-c00-v01-m03", "held")],
        [],
        [],
    )
    fates = message_fates(messages, desk, [], phases([], 0))
    assert [f.lost for f in fates] == [True, True, False]
    assert not all_settled(desk)
    refused = sent(1, 1, Attempt(1, "502", False, False, True), series="c01-v01")
    assert not message_fates([refused], DeskRows([], [], []), [], phases([], 0))[0].lost  # never accepted


def test_stored_twice_answered_twice_or_delivered_twice_is_duplicated() -> None:
    messages = [sent(1, 1), sent(2, 2), sent(3, 3)]
    desk = DeskRows(
        [
            StoredRow(10, "c1", "cf-run-c00-v01-m01", "answered"),
            StoredRow(11, "c1", "cf-run-c00-v01-m01", "answered"),
            StoredRow(20, "c1", "cf-run-c00-v01-m02", "answered"),
            StoredRow(30, "c1", "cf-run-c00-v01-m03", "answered"),
        ],
        [
            ReplyRow(12, 10, at(1)),
            ReplyRow(21, 20, at(2)),
            ReplyRow(22, 20, at(2)),  # one turn's two messages
            ReplyRow(31, 30, at(3)),
            ReplyRow(35, 30, at(9)),  # a second answer
            ReplyRow(36, 20, at(2)),
        ],
        [],
    )
    received = [Received("c1", 21, "bot", "a", 2), Received("c1", 21, "bot", "a", 3)]
    fates = message_fates(messages, desk, received, phases([], 0))
    assert [f.stored for f in fates] == [2, 1, 1]
    assert [f.answers for f in fates] == [1, 1, 2]
    assert [f.delivered_twice for f in fates] == [False, True, False]
    assert all(f.duplicated for f in fates)


def test_an_answer_before_an_earlier_messages_answer_is_out_of_order() -> None:
    messages = [sent(1, 1), sent(2, 2), sent(3, 3), sent(1, 4, series="c01-v01")]
    desk = DeskRows(
        [
            StoredRow(10, "c1", "cf-run-c00-v01-m01", "answered"),
            StoredRow(12, "c1", "cf-run-c00-v01-m02", "answered"),
            StoredRow(14, "c1", "cf-run-c00-v01-m03", "answered"),
            StoredRow(5, "c2", "cf-run-c01-v01-m01", "answered"),
        ],
        # The first message failed and was answered by the retry loop after the second and third.
        [ReplyRow(20, 10, at(9)), ReplyRow(13, 12, at(2)), ReplyRow(15, 14, at(3)), ReplyRow(6, 5, at(4))],
        [],
    )
    fates = message_fates(messages, desk, [], phases([], 0))
    assert [f.out_of_order for f in fates] == [False, True, True, False]


def test_an_agent_reply_is_lost_when_not_stored_or_never_received_and_twice_when_shown_twice() -> None:
    replies = [AgentReply("c1", 1, f"Agent reply {k} for c1", 5.0, ["201"], True) for k in (1, 2, 3, 4)]
    desk = DeskRows(
        [],
        [],
        [
            AgentRow(40, "c1", "Agent reply 1 for c1", "delivered"),
            AgentRow(41, "c1", "Agent reply 2 for c1", "delivered"),
            AgentRow(42, "c1", "Agent reply 3 for c1", "delivered"),
        ],
    )
    received = [
        Received("c1", 40, "agent", "Agent reply 1 for c1", 6),
        Received("c1", 41, "agent", "Agent reply 2 for c1", 6),
        Received("c1", 41, "agent", "Agent reply 2 for c1", 7),
    ]
    fates = agent_fates(replies, desk, received, phases([], 0))
    assert [(f.lost, f.duplicated) for f in fates] == [(False, False), (False, True), (True, False), (True, False)]


def test_errors_are_counted_by_status_and_retry_after_and_a_5xx_without_it_is_flagged() -> None:
    messages = [
        sent(
            1,
            1,
            Attempt(1, "502", False, False, True),
            Attempt(2, "409", False, True, False),
            Attempt(3, "503", True, True, True),
            Attempt(4, "200", True, False, False),
        )
    ]
    spans = phases([], 0)
    assert error_counts(messages, spans, BASELINE) == {
        "409": {"with_retry_after": 1, "without": 0},
        "502": {"with_retry_after": 0, "without": 1},
        "503": {"with_retry_after": 1, "without": 0},
    }
    assert server_errors_without_retry_after(messages) == 1


def test_the_table_has_a_row_per_phase_with_its_recovery() -> None:
    fault = Fault("app1_killed", 10.0, 31.5, {"ready_s": 21.5})
    messages = [sent(1, 1), sent(2, 12)]
    desk = DeskRows([StoredRow(10, "c1", "cf-run-c00-v01-m01", "answered")], [ReplyRow(11, 10, at(1))], [])
    spans = phases([fault], 0)
    table = rows(messages, message_fates(messages, desk, [], spans), [], [fault], spans)
    assert [(r["fault"], r["messages_sent"], r["lost"], r["recovery_s"]) for r in table] == [
        (BASELINE, 1, 0, None),
        ("app1_killed", 1, 1, 21.5),
    ]
    text = markdown(table)
    assert "| app1_killed | 1 | 1 | 0 | 0 | 0 (0, 0) | 21.5 | none |" in text


def test_the_event_bus_is_back_when_every_side_lost_since_the_fault_is_connected_again(tmp_path: Path) -> None:
    from bench.faults.cluster.deployment import event_bus_back

    def line(event: str, side: str, second: int) -> str:
        return json.dumps({"side": side, "event": event, "timestamp": f"2026-12-07T09:00:{second:02d}.000000Z"})

    log = tmp_path / "app1.log"
    since = T0.timestamp() + 10
    log.write_text("\n".join([line("event_bus_redis_connected", "subscribe", 1), "Loading faiss."]) + "\n")
    assert event_bus_back(log, since) is None  # nothing noticed since the fault
    with log.open("a") as out:
        out.write(
            "\n".join([line("event_bus_redis_lost", "subscribe", 11), line("event_bus_redis_lost", "publish", 12)])
        )
        out.write("\n" + line("event_bus_redis_connected", "subscribe", 18) + "\n")
    assert event_bus_back(log, since) is None  # the publishing side is still away
    with log.open("a") as out:
        out.write(line("event_bus_redis_connected", "publish", 27) + "\n")
    assert event_bus_back(log, since) == T0.timestamp() + 27


def test_a_message_sent_just_before_a_fault_and_settled_during_it_belongs_to_the_fault() -> None:
    spans = phases([Fault("app1_killed", 10.0)], 0)
    late = sent(1, 9.5, Attempt(10.5, "ack", True, False, False))
    unsent = SentMessage(0, "webchat", "zh", "c1", "cf-run-c00-v01-m02", 2, "q", 3.0)
    fates = message_fates([late, unsent], DeskRows([], [], []), [], spans)
    assert [f.phase for f in fates] == ["app1_killed", BASELINE]
