"""The pieces docs/benchmarks.md is written with (`bench.report`): tables and cells, where a figure
comes from, and a target's line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Record = Mapping[str, Any]

# The page every section is written to; its plots are in docs/benchmarks/.
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
# The throughput target (issue 5), which the replicas' stretch target (issue 15) repeats.
THROUGHPUT_TARGET = 25.0
THROUGHPUT_AT = 16


@dataclass(frozen=True)
class Target:
    what: str
    figure: str
    status: str  # met, missed, not run


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return lines


def provenance(record: Record) -> str:
    machine = record.get("machine") or {}
    return (
        f"Measured {record.get('measured_at', '?')} at commit `{record.get('commit') or '?'}` on "
        f"{machine.get('cpus', '?')} CPUs, {machine.get('platform', '?')}, Python {machine.get('python', '?')}."
    )


def cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")
