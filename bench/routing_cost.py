"""What the routing evidence costs a turn, side by side (`python -m bench.routing_cost [--rounds N]`).

Issue 14 allows an FAQ turn's p50 at most +15 ms for the routing. Starts two systems at once
(`bench.system.System`, each its own Rasa and app, the same model): one as the product runs (the app
sends the knowledge base's evidence with each message, docs/routing.md) and one with
`APP_ROUTING_EVIDENCE=false` (Rasa routes on DIET alone). Round after round, one message at a time,
each in a new conversation, both systems get the same FAQ question (bench/lookups.py's questions,
answered by both) and the same greeting (no FAQ search of its own: with the evidence it pays a whole
search); which system goes first alternates per round. A turn that took another path than expected
is counted as a mismatch and not timed. Figures (p50, p90 per system and kind, the p50 differences
against the target) go to bench/results/routing_cost.json.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.lookups import FAQ_QUESTIONS, Client, after_warm_up, rounds_main, spread
from bench.system import running_system

TARGET_MS = 15.0
GREETINGS = ("你好", "hi there", "早上好", "hello")
# What each kind of turn must do in both systems (the turn record's outcome).
EXPECTED = {"faq": "answered", "greeting": "smalltalk"}
SYSTEMS = {"evidence": {}, "diet_only": {"APP_ROUTING_EVIDENCE": "false"}}


def progress(message: str) -> None:
    print(f"[bench-routing-cost] {message}", file=sys.stderr, flush=True)


def measure(clients: dict[str, Client], rounds: int, offset: int = 0) -> dict[str, Any]:
    times: dict[str, dict[str, list[float]]] = {name: {kind: [] for kind in EXPECTED} for name in clients}
    mismatches: list[str] = []
    order = list(clients)
    for index in range(offset, offset + rounds):
        messages = {"faq": FAQ_QUESTIONS[index % len(FAQ_QUESTIONS)], "greeting": GREETINGS[index % len(GREETINGS)]}
        for name in order if index % 2 == 0 else reversed(order):
            for kind, text in messages.items():
                elapsed, outcome = clients[name].timed(clients[name].start(), text)
                if outcome == EXPECTED[kind]:
                    times[name][kind].append(elapsed)
                else:
                    mismatches.append(f"{name}: {text!r} → {outcome}")
        if (index - offset + 1) % 10 == 0:
            progress(f"{index - offset + 1}/{rounds} rounds")
    return {"times": times, "mismatches": mismatches}


def figures(measured: dict[str, Any]) -> dict[str, Any]:
    times = measured["times"]
    summary: dict[str, Any] = {
        name: {kind: spread(values) if values else {"n": 0} for kind, values in kinds.items()}
        for name, kinds in times.items()
    }
    for kind in EXPECTED:
        with_evidence, without = summary["evidence"][kind], summary["diet_only"][kind]
        if with_evidence["n"] and without["n"]:
            summary[f"{kind}_p50_added_ms"] = round(with_evidence["p50_ms"] - without["p50_ms"], 1)
    summary["faq_within_target"] = summary.get("faq_p50_added_ms", TARGET_MS + 1) <= TARGET_MS
    summary["mismatches"] = len(measured["mismatches"])
    summary["mismatch_examples"] = measured["mismatches"][:10]
    return summary


def run(rounds: int, warmup: int, workdir: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {"rounds": rounds, "target_added_ms": TARGET_MS}
    with ExitStack() as stack:
        http = stack.enter_context(httpx.Client(timeout=60))
        clients = {
            name: Client(
                http, stack.enter_context(running_system(f"bench-routing-{name}", workdir, progress, env)).app_url
            )
            for name, env in SYSTEMS.items()
        }
        measured = after_warm_up(lambda count, first: measure(clients, count, first), rounds, warmup, progress)
        results.update(figures(measured))
    progress(
        f"FAQ turn p50 +{results.get('faq_p50_added_ms')} ms, greeting +{results.get('greeting_p50_added_ms')} ms"
        f" with the evidence (target +{TARGET_MS} ms on an FAQ turn); mismatches {results['mismatches']}"
    )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    return rounds_main("routing_cost", __doc__, run, lambda r: r["faq_within_target"] and not r["mismatches"], argv)


if __name__ == "__main__":
    raise SystemExit(main())
