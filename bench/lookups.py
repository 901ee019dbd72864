"""Order lookups against FAQ answers, side by side: what a passed phone check and its answer cost a
customer compared with an ordinary question (`python -m bench.lookups [--rounds N]`).

Starts Rasa and the app (`bench.system.System`) and, round after round, one at a time:
- an FAQ turn: a new conversation asks a knowledge-base question (timed);
- a lookup: a new conversation sends an order number (the form starts and asks for the phone:
  timed as the "ask" turn), then the phone's last 4 digits (the check passes, the order is read and
  answered: timed as the "lookup" turn, the one the issue's 1.3× target is about).
Which of the two goes first alternates per round. The whole run is done twice: with the built-in
order store (the default) and with the order system over HTTP (the fake merchant system of
bench/fakes/order_system.py on loopback, as a merchant's would be), the app restarted in between.
Figures (p50, p90 and the p50 ratio per mode) go to bench/results/lookups.json.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.results import percentile, write
from bench.system import running_system
from desk.models import utcnow
from desk.orders.demo import demo_set
from desk.orders.records import Order, OrderStatus
from desk.orders.tracking import tracking_stalled
from desk.services import DeskServices
from desk.settings import DeskSettings

FAQ_QUESTIONS = (
    "扫地机器人的电池保修多久？",
    "How long does a refund to WeChat Pay take?",
    "满多少包邮？",
    "Can I get a VAT invoice for my company?",
    "空调安装收费吗？",
    "Which courier do you use?",
)
TARGET_RATIO = 1.3


def progress(message: str) -> None:
    print(f"[bench-lookups] {message}", file=sys.stderr, flush=True)


class Client:
    """A customer of the conversation API, as a browser is one."""

    def __init__(self, http: httpx.Client, base_url: str) -> None:
        self.http = http
        self.base_url = base_url

    def start(self) -> tuple[str, dict[str, str]]:
        started = self.http.post(f"{self.base_url}/api/v1/conversations", json={})
        started.raise_for_status()
        body = started.json()
        return body["conversation_id"], {"Authorization": f"Bearer {body['access_key']}"}

    def say(self, conversation: tuple[str, dict[str, str]], text: str) -> tuple[float, dict[str, Any]]:
        """Milliseconds for one message, and the reply (its messages and the record of the turn)."""
        conversation_id, headers = conversation
        began = time.perf_counter()
        response = self.http.post(
            f"{self.base_url}/api/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=headers
        )
        elapsed = (time.perf_counter() - began) * 1000
        response.raise_for_status()
        reply: dict[str, Any] = response.json()
        return elapsed, reply

    def timed(self, conversation: tuple[str, dict[str, str]], text: str) -> tuple[float, str]:
        """Milliseconds for one message, and the turn's outcome."""
        elapsed, reply = self.say(conversation, text)
        return elapsed, str(reply["turn"]["outcome"])


def orders_for(rounds: int) -> list[Order]:
    """A shipped demo order (tracking moving: no parcel investigation) under fresh numbers, one per
    lookup (each lookup is its own conversation)."""
    now = utcnow()
    shipped = next(
        d.order
        for d in demo_set(now.date()).orders
        if d.order.status is OrderStatus.SHIPPED and not tracking_stalled(d.order, now)
    )
    return [replace(shipped, number=f"LM2099{i:08d}") for i in range(rounds)]


def measure(client: Client, orders: Sequence[Order], progress_every: int = 10) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"faq": [], "ask": [], "lookup": []}
    for index, order in enumerate(orders):
        digits = "".join(ch for ch in order.customer.phone if ch.isdigit())[-4:]

        def faq(index: int = index) -> None:
            question = FAQ_QUESTIONS[index % len(FAQ_QUESTIONS)]
            elapsed, outcome = client.timed(client.start(), question)
            if outcome != "answered":
                raise RuntimeError(f"{question!r} was not answered but {outcome}")
            times["faq"].append(elapsed)

        def lookup(order: Order = order, digits: str = digits) -> None:
            conversation = client.start()
            asked, outcome = client.timed(conversation, f"我的订单{order.number}到哪了")
            answered, final = client.timed(conversation, digits)
            if (outcome, final) != ("lookup", "lookup"):
                raise RuntimeError(f"a lookup was {outcome}, then {final}")
            times["ask"].append(asked)
            times["lookup"].append(answered)

        for step in (faq, lookup) if index % 2 == 0 else (lookup, faq):
            step()
        if (index + 1) % progress_every == 0:
            progress(f"{index + 1}/{len(orders)} rounds")
    return times


def spread(values: list[float]) -> dict[str, Any]:
    """How many turns were timed, and their p50 and p90 in milliseconds."""
    return {"n": len(values), "p50_ms": percentile(values, 50), "p90_ms": percentile(values, 90)}


def figures(times: dict[str, list[float]]) -> dict[str, Any]:
    summary: dict[str, Any] = {kind: spread(values) for kind, values in times.items()}
    ratio = summary["lookup"]["p50_ms"] / summary["faq"]["p50_ms"]
    summary["lookup_to_faq_p50"] = round(ratio, 3)
    summary["within_target"] = ratio <= TARGET_RATIO
    return summary


def run(rounds: int, warmup: int, workdir: Path | None) -> dict[str, Any]:
    from bench.fakes.order_system import running_fake_order_system

    results: dict[str, Any] = {"rounds": rounds, "target_ratio": TARGET_RATIO}
    with running_system("bench-lookups", workdir, progress) as system, httpx.Client(timeout=60) as http:
        client = Client(http, system.app_url)
        book = DeskServices.for_settings(DeskSettings(database_url=system.database_url)).order_book
        orders = orders_for(warmup + rounds)
        for order in orders:
            book.put_order(order)
        progress(f"built-in store: {warmup} warm-up rounds, then {rounds}")
        measure(client, orders[:warmup])
        results["builtin"] = figures(measure(client, orders[warmup:]))
        progress(f"built-in store: lookup/FAQ p50 {results['builtin']['lookup_to_faq_p50']}")

        token = secrets.token_urlsafe(16)
        fresh = [replace(o, number=f"LM2098{i:08d}") for i, o in enumerate(orders)]
        with running_fake_order_system(token, {o.number: o for o in fresh}) as merchant:
            system.env.update(
                {
                    "DESK_ORDER_SYSTEM": "http",
                    "DESK_ORDER_SYSTEM_URL": merchant.base_url,
                    "DESK_ORDER_SYSTEM_TOKEN": token,
                }
            )
            system.restart_app()
            progress(f"order system over HTTP: {warmup} warm-up rounds, then {rounds}")
            measure(client, fresh[:warmup])
            results["http"] = figures(measure(client, fresh[warmup:]))
            progress(f"over HTTP: lookup/FAQ p50 {results['http']['lookup_to_faq_p50']}")
    return results


T = TypeVar("T")


def after_warm_up(rounds_of: Callable[[int, int], T], rounds: int, warmup: int, progress: Callable[[str], None]) -> T:
    """`warmup` rounds untimed, then the measured ones (`rounds_of(count, first_index)`)."""
    progress(f"{warmup} warm-up rounds, then {rounds}")
    rounds_of(warmup, 0)
    return rounds_of(rounds, warmup)


def rounds_arguments(prog: str, description: str | None, argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line of a side-by-side turn benchmark: rounds, warm-up rounds, work directory."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--rounds", type=int, default=60, help="measured rounds (per mode; default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds first (default 5)")
    parser.add_argument("--workdir", type=Path, help="where the run's databases and logs go (default: /tmp)")
    args = parser.parse_args(argv)
    if args.rounds < 2:
        parser.error("--rounds must be at least 2")
    return args


def rounds_main(
    name: str,
    description: str | None,
    run: Callable[[int, int, Path | None], dict[str, Any]],
    passed: Callable[[dict[str, Any]], bool],
    argv: Sequence[str] | None,
) -> int:
    """A side-by-side turn benchmark's command: run it, write bench/results/<name>.json, 0 when it passed."""
    args = rounds_arguments(f"python -m bench.{name}", description, argv)
    results = run(args.rounds, args.warmup, args.workdir)
    write(name, results)
    return 0 if passed(results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    return rounds_main(
        "lookups", __doc__, run, lambda r: r["builtin"]["within_target"] and r["http"]["within_target"], argv
    )


if __name__ == "__main__":
    raise SystemExit(main())
