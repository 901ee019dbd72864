"""How a message's fate is judged and tabled (pure, unit-tested): what counts as acknowledged, lost
and answered twice, the tally per channel and fault, and the Markdown table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def api_acknowledged(status: int, body: str) -> bool:
    """2xx, or the 503 that says the message is stored and will be answered (api/errors.py)."""
    if 200 <= status < 300:
        return True
    if status != 503:
        return False
    try:
        code = json.loads(body).get("error", {}).get("code")
    except (ValueError, AttributeError):
        return False
    return bool(code == "assistant_unavailable")


def webchat_acknowledged(frame: dict[str, Any]) -> bool:
    """`ack`, or the `assistant_unavailable` refusal (stored; the retry loop pushes the answer)."""
    if frame.get("type") == "ack":
        return True
    return frame.get("type") == "error" and frame.get("code") == "assistant_unavailable"


@dataclass(frozen=True)
class Fate:
    """What became of one customer message."""

    acknowledged: bool
    resent: bool
    acknowledged_on_resend: bool
    stored: bool
    # Distinct bot answers stored for it, and whether the first came after the fault ended.
    answers: int
    answered_after_recovery: bool
    # Seconds from the fault's end to the first answer (negative: answered during it).
    answer_delay_s: float | None = None
    # A platform (WeChat, WeCom, Slack) retries a message it got no acknowledgement for, then gives
    # up: one never acknowledged is lost, whoever stored it.
    platform: bool = False
    # Platform channels: copies of its (first stored) answer delivered to the platform, passive
    # replies plus pushes to its send API.
    delivered: int | None = None

    @property
    def lost(self) -> bool:
        told = self.acknowledged or self.acknowledged_on_resend
        if self.platform and not told:
            return True
        return (told and not self.stored) or (self.stored and self.answers == 0)


def tally(fates: Sequence[Fate]) -> dict[str, int]:
    return {
        "sent": len(fates),
        "acknowledged": sum(f.acknowledged for f in fates),
        "resent": sum(f.resent for f in fates),
        "acknowledged_on_resend": sum(f.acknowledged_on_resend for f in fates),
        "stored": sum(f.stored for f in fates),
        "answered": sum(f.answers > 0 for f in fates),
        "answered_after_recovery": sum(f.answered_after_recovery for f in fates),
        "lost": sum(f.lost for f in fates),
        "answered_twice": sum(f.answers > 1 for f in fates),
    }


COLUMNS = (
    "sent",
    "acknowledged",
    "resent",
    "acknowledged_on_resend",
    "stored",
    "answered",
    "answered_after_recovery",
    "lost",
    "answered_twice",
)


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """One line per channel and fault."""
    header = ["channel", "fault", *(c.replace("_", " ") for c in COLUMNS), "slowest answer after recovery (s)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        slowest = row.get("slowest_answer_after_recovery_s")
        cells = [row["channel"], row["fault"], *(str(row[c]) for c in COLUMNS), "" if slowest is None else str(slowest)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def answer_batches(created: Sequence[datetime]) -> list[datetime]:
    """Distinct answers among a message's bot replies: one turn stores its messages at one instant."""
    return sorted(set(created))


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
