"""What validating an action server's answer costs Rasa's event loop: jsonschema's own `validate`
(which checks Rasa's schema against the metaschema on every call) against the launcher's
(`rasa_launcher/schema_checks.py`, which checks each schema once), side by side.

Two calls Rasa makes on its event loop: a FAQ action's answer (two slots, two messages) against
`RemoteAction.action_response_format_spec()`, as `_validate_action_result` does once per custom
action; and the events the app posts to `/conversations/{id}/tracker/events` against
`EVENTS_SCHEMA`, as `validate_events_in_request_body` does. For `--rounds` rounds, alternating which
goes first, each validates the same instance `--calls` times; figures are per call (p50, p95, mean
in milliseconds) and go to bench/results/schema_checks.json.

Runs in Rasa's environment: `.venv-rasa/bin/python -m bench.schema_checks [--rounds 30]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from bench.results import percentile, write

WAYS = ("stock", "checked_once")


def faq_answer() -> dict[str, Any]:
    """The FAQ action's answer, with the sizes of a real one."""
    answer = "自签收次日起 7 天内，大部分商品支持无理由退货（需保持商品完好、配件齐全）。" * 2
    turn = {"outcome": "answered", "faq_id": "p06-return-window", "confidence": 0.9192, "language": "zh"}
    return {
        "events": [
            {"event": "slot", "timestamp": None, "name": "last_faq_id", "value": "p06-return-window"},
            {"event": "slot", "timestamp": None, "name": "faq_misses", "value": 0.0},
        ],
        "responses": [
            {"text": answer, "buttons": [{"title": "👍", "payload": "/vote"}]},
            {"custom": {"turn": turn}},
        ],
    }


def posted_events() -> list[dict[str, Any]]:
    """What the app posts when a conversation starts (`RasaGateway.set_slot`: its session, its language)."""
    return [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        {"event": "slot", "name": "language", "value": "zh"},
    ]


def cases() -> dict[str, tuple[Any, Any]]:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    return {
        "action_answer": (faq_answer(), RemoteAction("action_answer_faq", None).action_response_format_spec()),
        "posted_events": (posted_events(), EVENTS_SCHEMA),
    }


def per_call(validate: Callable[[Any, Any], None], instance: Any, schema: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        validate(instance, schema)
    return (time.perf_counter() - started) / calls


def run(rounds: int, calls: int) -> dict[str, Any]:
    from rasa_launcher import schema_checks

    ways: dict[str, Callable[[Any, Any], None]] = {
        "stock": schema_checks.STOCK_VALIDATE,
        "checked_once": schema_checks.validate,
    }
    figures: dict[str, Any] = {"jsonschema": metadata.version("jsonschema")}
    for name, (instance, schema) in cases().items():
        samples: dict[str, list[float]] = {way: [] for way in WAYS}
        for way in WAYS:
            ways[way](instance, schema)  # warm: imports, the one metaschema check
        for index in range(rounds):
            for way in WAYS if index % 2 == 0 else reversed(WAYS):
                samples[way].append(per_call(ways[way], instance, schema, calls))
        figures[name] = {
            way: {
                "p50_ms": round(percentile(values, 50) * 1000, 3),
                "p95_ms": round(percentile(values, 95) * 1000, 3),
                "mean_ms": round(statistics.fmean(values) * 1000, 3),
            }
            for way, values in samples.items()
        }
        stock, once = (figures[name][way]["p50_ms"] for way in WAYS)
        print(f"{name}: stock {stock:.2f} ms, checked once {once:.2f} ms per call", file=sys.stderr)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="rounds per way, alternating (default 30)")
    parser.add_argument("--calls", type=int, default=20, help="calls per round (default 20)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.calls < 1:
        parser.error("--rounds and --calls must be at least 1")
    figures = run(args.rounds, args.calls)
    write("schema_checks", {"command": "python -m bench.schema_checks " + " ".join(sys.argv[1:]), **figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
