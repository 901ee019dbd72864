"""How a cluster fault run is judged and tabled (pure, unit-tested): each message's fate from what the
client sent and what the desk database holds, each agent reply's, the phase each belongs to, the
errors customers saw, and the Markdown table."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.faults.cluster.desk_rows import DeskRows
from bench.faults.cluster.records import AgentReply, Fault, Received, SentMessage

BASELINE = "none (baseline)"


@dataclass(frozen=True)
class MessageFate:
    phase: str
    accepted: bool
    stored: int  # rows stored for its id (1 is right)
    answered: bool
    held: bool  # human-owned: held for the agent, not the bot's to answer
    answers: int  # distinct bot answers (a turn stores its messages at one instant)
    delivered_twice: bool  # one bot message delivered twice on the customer's socket
    out_of_order: bool
    state: str

    @property
    def lost(self) -> bool:
        if self.accepted and not self.stored:
            return True
        return bool(self.stored) and not (self.answered or self.held)

    @property
    def duplicated(self) -> bool:
        return self.stored > 1 or self.answers > 1 or self.delivered_twice


@dataclass(frozen=True)
class AgentFate:
    phase: str
    posted: bool
    stored: int
    delivery: str | None
    received: int  # distinct messages with its text on the customer's socket
    frames: int  # frames with its text (a message delivered twice shows twice)

    @property
    def lost(self) -> bool:
        return self.posted and (self.stored == 0 or self.received == 0)

    @property
    def duplicated(self) -> bool:
        return self.stored > 1 or self.frames > 1


def phases(faults: Sequence[Fault], started_at: float) -> list[tuple[str, float]]:
    """Each phase's name and start: the baseline, then each fault until the next one."""
    return [(BASELINE, started_at), *((f.name, f.started_at) for f in faults)]


def phase_of(moment: float, spans: Sequence[tuple[str, float]]) -> str:
    name = spans[0][0]
    for candidate, start in spans:
        if moment >= start:
            name = candidate
    return name


def settled_at(message: SentMessage) -> float:
    """When the message's fate was decided: the end of its last send (a message sent just before a
    fault and answered, or not, while it struck belongs to the fault)."""
    return message.attempts[-1].at if message.attempts else message.first_sent_at


def message_fates(
    messages: Sequence[SentMessage], rows: DeskRows, received: Sequence[Received], spans: Sequence[tuple[str, float]]
) -> list[MessageFate]:
    by_id: dict[str, list[Any]] = defaultdict(list)
    for row in rows.stored:
        by_id[row.client_message_id].append(row)
    replies: dict[int, list[Any]] = defaultdict(list)
    for reply in rows.replies:
        replies[reply.reply_to].append(reply)
    frames = Counter((r.conversation_id, r.message_id) for r in received if r.sender == "bot")
    twice = {message_id for (_, message_id), n in frames.items() if n > 1}
    # Order: within a conversation (a customer's numbered series), a message whose first answer was
    # stored before the first answer of an earlier message, or which was stored before an earlier one.
    first_answer = {
        cid: min(r.id for r in replies[rows_[0].id]) for cid, rows_ in by_id.items() if replies[rows_[0].id]
    }
    disordered: set[str] = set()
    series: dict[str, list[SentMessage]] = defaultdict(list)
    for message in messages:
        series[message.client_message_id.rsplit("-m", 1)[0]].append(message)
    for members in series.values():
        latest_answer = latest_row = 0
        for message in sorted(members, key=lambda m: m.seq):
            stored = by_id.get(message.client_message_id)
            if not stored:
                continue
            if stored[0].id < latest_row:
                disordered.add(message.client_message_id)
            latest_row = max(latest_row, stored[0].id)
            answer = first_answer.get(message.client_message_id)
            if answer is not None:
                if answer < latest_answer:
                    disordered.add(message.client_message_id)
                latest_answer = max(latest_answer, answer)
    fates = []
    for message in messages:
        stored = by_id.get(message.client_message_id, [])
        mine = replies[stored[0].id] if stored else []
        fates.append(
            MessageFate(
                phase=phase_of(settled_at(message), spans),
                accepted=message.accepted,
                stored=len(stored),
                answered=bool(mine),
                held=bool(stored) and stored[0].state == "held",
                answers=len({r.created_at for r in mine}),
                delivered_twice=any(r.id in twice for r in mine),
                out_of_order=message.client_message_id in disordered,
                state=stored[0].state if stored else "",
            )
        )
    return fates


def agent_fates(
    replies: Sequence[AgentReply], rows: DeskRows, received: Sequence[Received], spans: Sequence[tuple[str, float]]
) -> list[AgentFate]:
    fates = []
    for reply in replies:
        stored = [a for a in rows.agent if a.text == reply.text]
        seen = [r for r in received if r.sender == "agent" and r.text == reply.text]
        fates.append(
            AgentFate(
                phase=phase_of(reply.posted_at, spans),
                posted=reply.stored,
                stored=len(stored),
                delivery=stored[0].delivery if stored else None,
                received=len({r.message_id for r in seen}),
                frames=len(seen),
            )
        )
    return fates


def error_counts(
    messages: Sequence[SentMessage], spans: Sequence[tuple[str, float]], phase: str
) -> dict[str, dict[str, int]]:
    """Every answer but a plain 2xx/ack customers got in the phase: by status, with and without Retry-After."""
    counts: dict[str, dict[str, int]] = {}
    for message in messages:
        for attempt in message.attempts:
            if phase_of(attempt.at, spans) != phase or attempt.status in ("ack",) or attempt.status.startswith("2"):
                continue
            entry = counts.setdefault(attempt.status, {"with_retry_after": 0, "without": 0})
            entry["with_retry_after" if attempt.retry_after else "without"] += 1
    return dict(sorted(counts.items()))


def server_errors_without_retry_after(messages: Sequence[SentMessage]) -> int:
    return sum(a.server_error and not a.retry_after for m in messages for a in m.attempts)


def rows(
    messages: Sequence[SentMessage],
    fates: Sequence[MessageFate],
    agents: Sequence[AgentFate],
    faults: Sequence[Fault],
    spans: Sequence[tuple[str, float]],
) -> list[dict[str, Any]]:
    recovery = {f.name: f for f in faults}
    table = []
    for name, _ in spans:
        mine = [f for f in fates if f.phase == name]
        theirs = [a for a in agents if a.phase == name]
        attempts = [a for m in messages for a in m.attempts if phase_of(a.at, spans) == name]
        fault = recovery.get(name)
        table.append(
            {
                "fault": name,
                "messages_sent": len(mine),
                "accepted": sum(f.accepted for f in mine),
                "lost": sum(f.lost for f in mine),
                "duplicated": sum(f.duplicated for f in mine),
                "out_of_order": sum(f.out_of_order for f in mine),
                "agent_replies": len(theirs),
                "agent_replies_lost": sum(a.lost for a in theirs),
                "agent_replies_duplicated": sum(a.duplicated for a in theirs),
                "recovery_s": None
                if fault is None or fault.recovered_at is None
                else round(fault.recovered_at - fault.started_at, 1),
                "recovery": {} if fault is None else fault.recovery,
                "errors": error_counts(messages, spans, name),
                "server_errors_without_retry_after": sum(a.server_error and not a.retry_after for a in attempts),
                "states_of_lost": dict(Counter(f.state or "not stored" for f in mine if f.lost)),
            }
        )
    return table


def _errors_cell(errors: dict[str, dict[str, int]]) -> str:
    parts = []
    for status, counts in errors.items():
        bits = []
        if counts["with_retry_after"]:
            bits.append(f"{counts['with_retry_after']} with Retry-After")
        if counts["without"]:
            bits.append(f"{counts['without']} without")
        parts.append(f"{status}: {', '.join(bits)}")
    return "; ".join(parts) or "none"


def markdown(table: Sequence[dict[str, Any]]) -> str:
    header = [
        "fault",
        "messages sent",
        "lost",
        "duplicated",
        "out of order",
        "agent replies (lost, twice)",
        "recovery time (s)",
        "errors customers saw",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        recovery = (
            ""
            if row["fault"] == BASELINE
            else ("not recovered" if row["recovery_s"] is None else str(row["recovery_s"]))
        )
        cells = [
            row["fault"],
            str(row["messages_sent"]),
            str(row["lost"]),
            str(row["duplicated"]),
            str(row["out_of_order"]),
            f"{row['agent_replies']} ({row['agent_replies_lost']}, {row['agent_replies_duplicated']})",
            recovery,
            _errors_cell(row["errors"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
