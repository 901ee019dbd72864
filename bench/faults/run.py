"""The command line: each fault played on one running stack, a row per channel and fault, the table
on stdout and the record in bench/results/faults.json."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bench.faults
from bench.faults.customers.base import Sent
from bench.faults.plan import CHANNELS, DEADLINE_S, FAULTS, PLATFORMS, RETRY_ENV, FaultName, progress
from bench.faults.play import await_answers, send_through_fault
from bench.faults.scoring import COLUMNS, Fate, markdown, tally
from bench.faults.stack import Stack, running_stack
from bench.results import write


def run_fault(stack: Stack, fault: FaultName, n: int, quick: bool, resend_unacknowledged: bool) -> list[dict[str, Any]]:
    async def play() -> tuple[list[Sent], list[Fate]]:
        sent, recovered_at = await send_through_fault(
            stack, fault, n, quick, resend_unacknowledged=resend_unacknowledged
        )
        progress(f"{fault}: waiting up to {DEADLINE_S[fault]:.0f} s for the answers")
        fates = await await_answers(stack.system.database_url, sent, recovered_at, DEADLINE_S[fault], stack)
        return sent, fates

    sent, fates = asyncio.run(play())
    rows = []
    for channel in CHANNELS:
        mine = [(s, f) for s, f in zip(sent, fates, strict=True) if s.channel == channel]
        if not mine:  # the stack has no such channel
            continue
        row: dict[str, Any] = {"channel": channel, "fault": fault, **tally([f for _, f in mine])}
        row["responses"] = dict(sorted(_count(s.response for s, _ in mine).items()))
        delays = [f.answer_delay_s for _, f in mine if f.answer_delay_s is not None]
        row["slowest_answer_after_recovery_s"] = round(max(delays), 1) if delays else None
        if channel in PLATFORMS:
            row["answer_delivered_to_platform"] = sum(bool(f.delivered) for _, f in mine)
        row["resend_responses"] = dict(sorted(_count(s.resend_response for s, _ in mine if s.resent).items()))
        row["messages"] = [{**asdict(s), **asdict(f), "lost": f.lost} for s, f in mine]
        progress(f"{fault} {channel}: " + ", ".join(f"{c} {row[c]}" for c in COLUMNS))
        rows.append(row)
    return rows


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=(bench.faults.__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--messages", type=int, default=5, help="messages per channel and fault (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 messages per channel and fault, short outages")
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, of {', '.join(FAULTS)}")
    parser.add_argument(
        "--no-resend", action="store_true", help="clients do not send unacknowledged messages again after a fault"
    )
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--workdir", type=Path, help="where the temporary databases and logs go")
    args = parser.parse_args(argv)
    requested = [f for f in args.faults.split(",") if f]
    if unknown := [f for f in requested if f not in FAULTS]:
        parser.error(f"unknown faults: {unknown}")
    faults = [f for f in FAULTS if f in requested]
    n = 2 if args.quick else args.messages
    if n < 1:
        parser.error("--messages must be positive")
    rows: list[dict[str, Any]] = []
    with running_stack(args.database, args.workdir) as stack:
        for fault in faults:
            rows += run_fault(stack, fault, n, args.quick, not args.no_resend)
    table = markdown(rows)
    settings = {
        "messages": n,
        "faults": faults,
        "database": args.database,
        "resend_unacknowledged": not args.no_resend,
        "retry_env": RETRY_ENV,
        "outage_s": {f: stack.outage_s(f, args.quick) for f in faults},
        "answer_deadline_s": {f: DEADLINE_S[f] for f in faults},
    }
    with contextlib.redirect_stdout(sys.stderr):  # results.write prints the record: stdout is the table's
        write("faults", {"settings": settings, "table": table, "rows": rows})
    print(table)
    failed = sum(r.get("lost", 0) + r.get("answered_twice", 0) for r in rows)
    return 1 if failed else 0
