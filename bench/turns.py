"""Turns under load: N concurrent scripted conversations through the product and straight to Rasa.

`python -m bench.turns [--concurrency 1,4,16,64] [--duration S | --conversations K] [--rounds R]`

Starts Rasa and the app on free ports with their own databases (`bench.system.System`, as the
end-to-end tests do) and, for each concurrency N, keeps N conversations going at once (closed loop, no
think time: each conversation sends its next message as soon as the previous reply arrives) against

- the product: the app's conversation API as a browser uses it (`POST /api/v1/conversations` once per
  conversation, untimed; then `POST /api/v1/conversations/{id}/messages` with its key) → Rasa's REST
  channel → the actions at the app's `/webhook` → the retriever, with the transcript and turn record
  stored by the app;
- plain Rasa: the same messages to Rasa's REST channel (`/webhooks/rest/webhook`), same model, same
  server. Rasa still runs the custom actions at the app's `/webhook` (FAQ answers come from them), so
  this is "plain Rasa with our actions": the difference is what the app adds around Rasa.

Phases alternate per level (product, Rasa, Rasa, product, … for `--rounds`), so both see the same
machine state. The Rasa server's and the app's RSS (with child processes) is sampled with psutil
throughout, and their CPU time is read per phase (CPU ms per turn shows where a turn's work goes).
Figures go to bench/results/turns.json, plots to docs/benchmarks/turns-*.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Literal

import httpx

from bench.results import percentile, write
from bench.system import running_system

Target = Literal["product", "rasa"]
TARGETS: tuple[Target, ...] = ("product", "rasa")
MB = 1024 * 1024


@dataclass(frozen=True)
class Script:
    name: str
    language: Literal["zh", "en"]
    turns: tuple[str, ...]


# After-sales conversations the bot answers itself (greetings, FAQ answers, thanks). Nothing here asks
# for a human or complains: a handoff pauses the bot and the rest of the conversation takes another path.
SCRIPTS: tuple[Script, ...] = (
    Script("zh-returns", "zh", ("你好", "买了五天还能七天无理由退货吗？", "退货的运费谁出？", "退款一般几天到账？", "谢谢")),
    Script("zh-warranty", "zh", ("扫地机器人的电池坏了，保修多久？", "空调压缩机保修几年？", "保修要提供什么凭证？", "好的，谢谢")),
    Script("zh-delivery-invoice", "zh", ("几点前下单当天发货？", "用的是什么快递？", "公司可以开增值税专用发票吗？", "谢谢，再见")),
    Script("en-refunds", "en", ("hello", "How long does a refund to WeChat Pay take?", "Do I get my coupon back after a refund?", "thanks")),
    Script("en-warranty", "en", ("What's the warranty on the motor of my air conditioner?", "How do I request a repair?", "Is the pickup for a repair free?", "thank you, bye")),
    Script("en-delivery-invoice", "en", ("How much is shipping for an order under 99 yuan?", "Which courier do you use?", "Can I get a special VAT invoice for my company?", "thanks")),
)  # fmt: skip


# ---------------------------------------------------------------- figures (pure, unit-tested)


def parse_levels(text: str) -> list[int]:
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or any(level < 1 for level in levels):
        raise ValueError(f"concurrency levels must be positive integers, got {text!r}")
    return levels


def phase_order(level_index: int, rounds: int) -> list[Target]:
    """ABBA…: product and Rasa alternate, and the first target alternates from level to level, so slow
    drift of the machine (other work, growing databases) falls on both alike."""
    first, second = TARGETS if level_index % 2 == 0 else TARGETS[::-1]
    order: list[Target] = []
    for round_ in range(rounds):
        order += [first, second] if round_ % 2 == 0 else [second, first]
    return order


def summarise(latencies_ms: Sequence[float], errors: int, wall_s: float) -> dict[str, Any]:
    """Latency percentiles of the successful turns, their rate, and the errors."""
    values = list(latencies_ms)
    attempted = len(values) + errors

    def ms(q: float) -> float | None:
        return round(percentile(values, q), 1) if values else None

    return {
        "turns": len(values),
        "errors": errors,
        "error_rate": round(errors / attempted, 4) if attempted else 0.0,
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "mean_ms": round(sum(values) / len(values), 1) if values else None,
        "wall_s": round(wall_s, 2),
        "turns_per_s": round(len(values) / wall_s, 2) if wall_s > 0 else 0.0,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def strongest_outcome(replies: Sequence[Mapping[str, Any]]) -> str:
    """What the bot did in a turn, from Rasa's REST replies, exactly as the app records it."""
    from desk.turns import read_replies

    return str(read_replies(replies)[1].outcome)


# ---------------------------------------------------------------- process monitor (psutil)


@dataclass
class Watched:
    rss_peak: dict[str, int] = field(default_factory=dict)
    rss_last: dict[str, int] = field(default_factory=dict)


class Monitor:
    """Samples each watched process tree's RSS in a thread; reads CPU time on demand."""

    def __init__(self, pids: Mapping[str, int], interval: float = 0.2) -> None:
        import psutil

        self._processes = {role: psutil.Process(pid) for role, pid in pids.items()}
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.overall = Watched()
        self.window = Watched()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _tree(self, role: str) -> list[Any]:
        import psutil

        root = self._processes[role]
        try:
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return [root]

    def rss(self, role: str) -> int:
        import psutil

        total = 0
        for process in self._tree(role):
            with suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def cpu_seconds(self, role: str) -> float:
        """User + system time of the tree (children's own times included, waited-for children too)."""
        import psutil

        total = 0.0
        for process in self._tree(role):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def sample(self) -> dict[str, int]:
        values = {role: self.rss(role) for role in self._processes}
        values["total"] = sum(values.values())
        with self._lock:
            for watched in (self.overall, self.window):
                watched.rss_last = values
                for role, value in values.items():
                    watched.rss_peak[role] = max(value, watched.rss_peak.get(role, 0))
        return values

    def take_window(self) -> Watched:
        """The peaks since the last call (one phase), and start a new window."""
        self.sample()
        with self._lock:
            window, self.window = self.window, Watched()
        return window

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> Monitor:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_snapshot(self) -> dict[str, float]:
        import psutil

        own = psutil.Process().cpu_times()
        return {
            **{role: self.cpu_seconds(role) for role in self._processes},
            "load generator": own.user + own.system,
        }


# ---------------------------------------------------------------- the load


@dataclass
class TurnRecord:
    script: str
    latency_ms: float
    outcome: str | None
    error: str | None = None


@dataclass
class Phase:
    target: Target
    concurrency: int
    turns: list[TurnRecord]
    wall_s: float
    cpu_s: dict[str, float]
    rss_peak: dict[str, int]


class Budget:
    """Hands out conversations to the workers until the count or the deadline is reached."""

    def __init__(self, conversations: int | None, duration: float | None) -> None:
        self._left = conversations
        self.deadline = time.perf_counter() + duration if duration else None
        self._next = 0

    def expired(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def take(self) -> int | None:
        if self.expired() or self._left == 0:
            return None
        if self._left is not None:
            self._left -= 1
        self._next += 1
        return self._next - 1


@dataclass(frozen=True)
class Conversation:
    id: str
    # The product's conversation key (`Authorization: Bearer …`) and the cookies its start set (a
    # balancer's SERVERID); none for plain Rasa.
    headers: dict[str, str]


class NoCookies(CookieJar):
    """The load's one HTTP client stands for many customers, so it keeps no cookie for all of them: each
    conversation carries the cookies its own start set (`start`), as each customer's browser would.
    A shared jar would pin every conversation to the replica that answered first (`make cluster`'s
    balancer keeps a browser on its replica by a cookie)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


async def start(client: httpx.AsyncClient, target: Target, url: str) -> Conversation:
    """A new conversation: through the product as a browser starts one; for Rasa a fresh sender id."""
    if target == "rasa":
        return Conversation(f"bench-r-{uuid.uuid4().hex[:16]}", {})
    response = await client.post(f"{url}/api/v1/conversations", json={})
    response.raise_for_status()
    started = response.json()
    headers = {"Authorization": f"Bearer {started['access_key']}"}
    if response.cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in response.cookies.items())
    return Conversation(started["conversation_id"], headers)


async def send(
    client: httpx.AsyncClient, target: Target, url: str, conversation: Conversation, text: str, script: Script
) -> str:
    """One customer message; returns the turn's outcome (answered, smalltalk, …)."""
    if target == "product":
        response = await client.post(
            f"{url}/api/v1/conversations/{conversation.id}/messages", json={"text": text}, headers=conversation.headers
        )
        response.raise_for_status()
        return str(response.json()["turn"]["outcome"])
    # The metadata the app would send, so the actions pick the same language.
    body = {"sender": conversation.id, "message": text, "metadata": {"language": script.language, "channel": "api"}}
    response = await client.post(f"{url}/webhooks/rest/webhook", json=body)
    response.raise_for_status()
    replies = response.json()
    if not isinstance(replies, list):
        raise ValueError(f"unexpected reply: {type(replies).__name__}")
    return strongest_outcome(replies)


async def converse(
    client: httpx.AsyncClient, target: Target, url: str, script: Script, budget: Budget, out: list[TurnRecord]
) -> None:
    try:
        # Not a turn: the browser's first call, before the customer writes.
        conversation = await start(client, target, url)
    except (httpx.HTTPError, KeyError, TypeError) as error:
        out.append(TurnRecord(script.name, 0.0, None, describe(error)))
        return
    for text in script.turns:
        if budget.expired():
            return
        started = time.perf_counter()
        try:
            outcome = await send(client, target, url, conversation, text, script)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            out.append(TurnRecord(script.name, (time.perf_counter() - started) * 1000, None, describe(error)))
            return  # the conversation's state is unknown now: start a fresh one
        out.append(TurnRecord(script.name, (time.perf_counter() - started) * 1000, outcome))


def describe(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__


async def run_phase(
    target: Target, url: str, concurrency: int, conversations: int | None, duration: float | None
) -> tuple[list[TurnRecord], float]:
    """`concurrency` conversations at a time; returns every turn and the phase's wall time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    turns: list[TurnRecord] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits, cookies=NoCookies()) as client:
        budget = Budget(conversations, duration)
        started = time.perf_counter()

        async def worker() -> None:
            while (index := budget.take()) is not None:
                await converse(client, target, url, SCRIPTS[index % len(SCRIPTS)], budget, turns)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return turns, time.perf_counter() - started


def measure_phase(
    monitor: Monitor,
    target: Target,
    url: str,
    concurrency: int,
    conversations: int | None,
    duration: float | None,
) -> Phase:
    monitor.take_window()
    cpu_before = monitor.cpu_snapshot()
    turns, wall = asyncio.run(run_phase(target, url, concurrency, conversations, duration))
    cpu_after = monitor.cpu_snapshot()
    window = monitor.take_window()
    cpu = {role: cpu_after[role] - cpu_before[role] for role in cpu_before}
    return Phase(target, concurrency, turns, wall, cpu, window.rss_peak)


def combine(phases: Sequence[Phase]) -> dict[str, Any]:
    """One target at one level over its rounds: latency, throughput, errors, CPU per turn, RSS peak."""
    turns = [t for p in phases for t in p.turns]
    ok = [t.latency_ms for t in turns if t.error is None]
    errors = Counter(t.error for t in turns if t.error is not None)
    figures = summarise(ok, sum(errors.values()), sum(p.wall_s for p in phases))
    cpu: dict[str, float] = {}
    for phase in phases:
        for role, seconds in phase.cpu_s.items():
            cpu[role] = cpu.get(role, 0.0) + seconds
    successful = max(1, len(ok))
    figures["error_kinds"] = dict(errors)
    figures["outcomes"] = dict(Counter(t.outcome for t in turns if t.outcome is not None))
    figures["cpu_ms_per_turn"] = {role: round(seconds * 1000 / successful, 1) for role, seconds in cpu.items()}
    figures["cpu_utilisation"] = {
        role: round(seconds / figures["wall_s"], 2) if figures["wall_s"] else 0.0 for role, seconds in cpu.items()
    }
    peak: dict[str, int] = {}
    for phase in phases:
        for role, value in phase.rss_peak.items():
            peak[role] = max(value, peak.get(role, 0))
    figures["rss_peak_mb"] = {role: round(value / MB) for role, value in peak.items()}
    return figures


def level_figures(concurrency: int, product: dict[str, Any], rasa: dict[str, Any]) -> dict[str, Any]:
    return {
        "concurrency": concurrency,
        "product": product,
        "rasa": rasa,
        "product_over_rasa_p50": ratio(product["p50_ms"], rasa["p50_ms"]),
        "product_over_rasa_p95": ratio(product["p95_ms"], rasa["p95_ms"]),
        "product_over_rasa_throughput": ratio(product["turns_per_s"], rasa["turns_per_s"]),
    }


# ---------------------------------------------------------------- the run


def progress(message: str) -> None:
    print(f"[bench-turns] {message}", file=sys.stderr, flush=True)


def check_scripts(url: str, target: Target) -> list[dict[str, Any]]:
    """Every script once, one turn at a time: warms the target up and shows the path each turn took."""

    async def play() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), cookies=NoCookies()) as client:
            for script in SCRIPTS:
                conversation = await start(client, target, url)
                outcomes = [await send(client, target, url, conversation, text, script) for text in script.turns]
                rows.append({"script": script.name, "outcomes": outcomes})
        return rows

    return asyncio.run(play())


def plot(levels: Sequence[dict[str, Any]]) -> list[str]:
    from bench.plots import line_plot

    x = [level["concurrency"] for level in levels]

    def series(target: str, key: str) -> list[float]:
        return [float(level[target][key] or 0.0) for level in levels]

    latency = line_plot(
        "turns-latency",
        "Turn latency: product vs plain Rasa",
        x,
        {
            "product p50": series("product", "p50_ms"),
            "product p95": series("product", "p95_ms"),
            "Rasa p50": series("rasa", "p50_ms"),
            "Rasa p95": series("rasa", "p95_ms"),
        },
        "concurrent conversations",
        "latency (ms)",
        log_x=True,
        log_y=True,
    )
    throughput = line_plot(
        "turns-throughput",
        "Throughput: product vs plain Rasa",
        x,
        {"product": series("product", "turns_per_s"), "Rasa": series("rasa", "turns_per_s")},
        "concurrent conversations",
        "turns per second",
        log_x=True,
    )
    return [str(path.relative_to(path.parent.parent.parent)) for path in (latency, throughput)]


def run(args: argparse.Namespace, on_phase: Callable[[Phase], None] = lambda _: None) -> dict[str, Any]:
    levels = parse_levels(args.concurrency)
    duration = None if args.conversations else args.duration
    with running_system("bench-turns", args.workdir, progress) as system:
        urls: dict[Target, str] = {"product": system.app_url, "rasa": system.rasa_url}
        assert system.rasa.popen is not None and system.app.popen is not None  # started
        pids = {"rasa": system.rasa.popen.pid, "app": system.app.popen.pid}
        with Monitor(pids) as monitor:
            idle = monitor.sample()
            progress("warm-up: every script once on each target")
            checks = {target: check_scripts(urls[target], target) for target in TARGETS}
            for target, rows in checks.items():
                for row in rows:
                    progress(f"{target:7s} {row['script']:20s} {' '.join(row['outcomes'])}")
            results = []
            for index, concurrency in enumerate(levels):
                phases: dict[Target, list[Phase]] = {target: [] for target in TARGETS}
                for target in phase_order(index, args.rounds):
                    conversations = max(args.conversations, concurrency) if args.conversations else None
                    phase = measure_phase(monitor, target, urls[target], concurrency, conversations, duration)
                    phases[target].append(phase)
                    on_phase(phase)
                    ok = [t.latency_ms for t in phase.turns if t.error is None]
                    figures = summarise(ok, len(phase.turns) - len(ok), phase.wall_s)
                    progress(
                        f"c={concurrency:<3d} {target:7s} {figures['turns']:5d} turns  p50 {figures['p50_ms']} ms  "
                        f"p95 {figures['p95_ms']} ms  {figures['turns_per_s']} turns/s  errors {figures['errors']}"
                    )
                level = level_figures(concurrency, combine(phases["product"]), combine(phases["rasa"]))
                results.append(level)
            end = monitor.sample()
            overall = monitor.overall
    return {
        "scripts": [{"name": s.name, "language": s.language, "turns": list(s.turns)} for s in SCRIPTS],
        "settings": {
            "concurrency": levels,
            "duration_s_per_phase": duration,
            "conversations_per_phase": args.conversations,
            "rounds": args.rounds,
            "think_time_s": 0,
            "cpus": os.cpu_count(),
        },
        "script_check": checks,
        "levels": results,
        "rss_mb": {
            role: {
                "idle": round(idle[role] / MB),
                "peak": round(overall.rss_peak[role] / MB),
                "end": round(end[role] / MB),
            }
            for role in ("rasa", "app", "total")
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--concurrency", default="1,4,16,64", help="comma-separated levels (default 1,4,16,64)")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per phase (default 12)")
    parser.add_argument(
        "--conversations", type=int, help="instead of --duration: conversations per phase (at least the concurrency)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="phases per target and level, alternating (default 2)")
    parser.add_argument("--workdir", type=Path, help="where the temporary databases and logs go")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds < 1 or (args.conversations is not None and args.conversations < 1) or args.duration <= 0:
        parser.error("--rounds, --conversations and --duration must be positive")
    figures = run(args)
    if not args.no_plot:
        figures["plots"] = plot(figures["levels"])
    write("turns", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
