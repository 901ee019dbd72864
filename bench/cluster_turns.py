"""Turns under load through `make cluster`: 1×1, 2×1 and 2×2 (app × Rasa) replicas and today's single
process, same load, same run.

`python -m bench.cluster_turns [--concurrency 16] [--duration 45] [--rounds 2] [--port 28080]`

Starts the cluster once with 2 app and 2 Rasa replicas (`scripts/cluster.sh up`, its own port, its own
PostgreSQL databases `lumio_scale` and `lumio_scale_rasa`, its own Redis database and channel prefix) and
today's single process (`bench.system.System`: one app, one Rasa, SQLite, as `bench.turns` runs its
"product" phase). The smaller configurations are the same cluster with replicas stopped through its
supervisord (`supervisorctl stop app2`, `stop rasa2`); the balancer's checks take them out before a
phase starts. Phases run in ABBA order (single, 2×2, 2×1, 1×1, then 1×1, 2×1, 2×2, single for two
rounds), so a slow drift of the shared machine falls on every configuration alike, and only two replica
restarts are needed per two rounds (a cluster start per configuration would cost 1.5–2 minutes each).

Each phase keeps `--concurrency` conversations going at once through the conversation API (closed
loop, no think time: `bench.turns`' load generator and scripts). CPU time is read per process with
psutil before and after each phase: the app and Rasa replicas (their pid files), HAProxy, every
`postgres` process and `redis-server` (both are the machine's, shared with other users: their share
is in the figure, and the single-process phase, which uses neither, shows how large it is), and the
load generator itself. Load averages are recorded with every phase. Figures go to
bench/results/turns_cluster.json; `--markdown` prints the section docs/benchmarks.md carries.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.results import RESULTS, write
from bench.system import ONE_MACHINE_FOR_ALL_CUSTOMERS, ROOT, rasa_model, running_system
from bench.turns import SCRIPTS, Phase, TurnRecord, combine, run_phase, summarise

SINGLE = "single"
# (app replicas, Rasa replicas), the largest first: the cluster starts with it.
CONFIGS: tuple[tuple[int, int], ...] = ((2, 2), (2, 1), (1, 1))
KINDS = ("app", "rasa", "haproxy", "postgres", "redis", "load generator")
# Kinds that other users of the machine share: their CPU includes work that is not this benchmark's.
SHARED_KINDS = ("postgres", "redis")


def label(config: tuple[int, int] | str) -> str:
    return config if isinstance(config, str) else f"{config[0]}×{config[1]}"


# ---------------------------------------------------------------- figures (pure, unit-tested)


def schedule(rounds: int) -> list[str]:
    """Round 0: single, 2×2, 2×1, 1×1; round 1 the reverse; and so on. Every configuration once per
    round, and a replica is started again only when the order turns back up."""
    forward = [SINGLE, *(label(c) for c in CONFIGS)]
    order: list[str] = []
    for round_ in range(rounds):
        order += forward if round_ % 2 == 0 else forward[::-1]
    return order


def replicas(config: str) -> tuple[int, int]:
    apps, rasas = config.split("×")
    return int(apps), int(rasas)


def kind_of(name: str) -> str:
    """The kind of a watched process from its name: app1 → app, rasa2 → rasa, balancer → haproxy."""
    if name == "balancer":
        return "haproxy"
    for kind in ("app", "rasa"):
        if name.startswith(kind) and (name == kind or name[len(kind) :].isdigit()):
            return kind
    return name


# One process's CPU time: name (app1, postgres, …), pid and start time (a reused pid is another process).
ProcessKey = tuple[str, int, float]


def cpu_deltas(before: Mapping[ProcessKey, float], after: Mapping[ProcessKey, float]) -> dict[str, float]:
    """CPU seconds per process name over a phase. A process that started during it counts from zero
    (a new PostgreSQL backend); one that ended during it is missing from `after`, and its time since
    `before` is lost (an undercount, never a double count)."""
    deltas: dict[str, float] = {}
    for key, seconds in after.items():
        spent = max(0.0, seconds - before.get(key, 0.0))
        deltas[key[0]] = deltas.get(key[0], 0.0) + spent
    return deltas


def by_kind(per_name: Mapping[str, float]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for name, seconds in per_name.items():
        kind = kind_of(name)
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def total_cpu_ms(figures: Mapping[str, Any], include_shared: bool = True) -> float:
    """CPU ms per turn over every kind (or without the machine's shared servers)."""
    per_turn: Mapping[str, float] = figures.get("cpu_ms_per_turn") or {}
    return round(sum(v for k, v in per_turn.items() if include_shared or k not in SHARED_KINDS), 1)


def balancer_states(stats_csv: str) -> dict[str, str]:
    """Each app and Rasa server's status in HAProxy's statistics CSV ("app1": "UP", "rasa2": "DOWN")."""
    text = stats_csv.lstrip("# ")
    states: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("pxname") in ("app", "rasa") and row.get("svname") not in ("BACKEND", "FRONTEND"):
            states[row["svname"]] = row.get("status", "")
    return states


def expected_states(config: str, most: tuple[int, int]) -> dict[str, bool]:
    """Which servers must be up (True) and out (False) for a configuration."""
    apps, rasas = replicas(config)
    wanted = {f"app{i}": i <= apps for i in range(1, most[0] + 1)}
    wanted.update({f"rasa{i}": i <= rasas for i in range(1, most[1] + 1)})
    return wanted


# ---------------------------------------------------------------- processes and their CPU


def progress(message: str) -> None:
    print(f"[bench-cluster-turns {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def tree_cpu(pid: int) -> Iterator[tuple[int, float, float]]:
    """(pid, start time, user + system seconds) of a process and its children."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in processes:
        try:
            with process.oneshot():
                times = process.cpu_times()
                yield process.pid, process.create_time(), times.user + times.system
        except psutil.Error:
            continue


def machine_servers() -> Iterator[tuple[str, int, float, float]]:
    """Every PostgreSQL and Redis process on the machine: (kind, pid, start time, CPU seconds)."""
    import psutil

    for process in psutil.process_iter(["name", "create_time", "cpu_times"]):
        name = process.info["name"] or ""
        times = process.info["cpu_times"]
        if times is None:
            continue
        if name == "postgres" or name.startswith("postgres:"):
            yield "postgres", process.pid, process.info["create_time"], times.user + times.system
        elif name == "redis-server":
            yield "redis", process.pid, process.info["create_time"], times.user + times.system


def snapshot(pids: Mapping[str, int]) -> dict[ProcessKey, float]:
    """CPU seconds of every watched process: `pids` by name (trees), the machine's PostgreSQL and Redis,
    and this load generator."""
    import psutil

    values: dict[ProcessKey, float] = {}
    for name, pid in pids.items():
        for child, started, seconds in tree_cpu(pid):
            values[(name, child, started)] = seconds
    for kind, pid, started, seconds in machine_servers():
        values[(kind, pid, started)] = seconds
    own = psutil.Process()
    times = own.cpu_times()
    values[("load generator", own.pid, own.create_time())] = times.user + times.system
    return values


@dataclass
class Cluster:
    """`scripts/cluster.sh` with this benchmark's settings, and its supervisord for the replicas."""

    port: int
    directory: Path
    database_url: str
    redis_url: str
    most: tuple[int, int] = CONFIGS[0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DESK_", "KNOWLEDGE_", "CLUSTER_"))}
        base.pop("DATABASE_URL", None)
        return {
            **base,
            "CLUSTER_APPS": str(self.most[0]),
            "CLUSTER_RASAS": str(self.most[1]),
            "CLUSTER_PORT": str(self.port),
            "CLUSTER_DIR": str(self.directory),
            "CLUSTER_DATABASE_URL": self.database_url,
            "CLUSTER_REDIS_URL": self.redis_url,
            # Every customer of the load comes from this machine, as in bench.system.System.
            **ONE_MACHINE_FOR_ALL_CUSTOMERS,
        }

    def script(self, *args: str) -> None:
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), *args], cwd=ROOT, env=self.env(), check=True)

    def up(self, model: Path) -> None:
        self.script("up", str(model))

    def down(self) -> None:
        self.script("down")

    def supervise(self, *args: str) -> None:
        command = [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(self.directory / "supervisord.conf")]
        subprocess.run([*command, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    def pids(self, config: str) -> dict[str, int]:
        apps, rasas = replicas(config)
        names = ["balancer", *(f"app{i}" for i in range(1, apps + 1)), *(f"rasa{i}" for i in range(1, rasas + 1))]
        return {name: int((self.directory / f"{name}.pid").read_text().strip()) for name in names}

    def states(self) -> dict[str, str]:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port + 2}/;csv", timeout=3)
        except httpx.HTTPError:
            return {}
        return balancer_states(response.text)

    def become(self, config: str, timeout: float = 300.0) -> float:
        """Stop or start replicas until exactly `config`'s are up in the balancer; returns the seconds."""
        started = time.monotonic()
        wanted = expected_states(config, self.most)
        states = self.states()
        stop = [name for name, up in wanted.items() if not up and states.get(name, "").startswith("UP")]
        start = [name for name, up in wanted.items() if up and not states.get(name, "").startswith("UP")]
        if stop:
            self.supervise("stop", *stop)
        if start:
            self.supervise("start", *start)
        while True:
            states = self.states()
            if all(states.get(name, "").startswith("UP") == up for name, up in wanted.items()):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{config}: the balancer shows {states} after {timeout:.0f} s")
            time.sleep(1)


DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lumio_scale"


def drop_databases(database_url: str) -> None:
    """The benchmark's own databases (the default's, `lumio_scale` and `lumio_scale_rasa`) dropped
    before a run, so that every run starts from the same empty tracker store. Another URL is kept."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from desk.database import normalise_url

    url = make_url(normalise_url(database_url))
    if not url.database:
        raise ValueError(f"{database_url} names no database")
    with psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        for name in (url.database, f"{url.database}_rasa"):
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def running_cluster(cluster: Cluster) -> Iterator[Cluster]:
    model = rasa_model()
    if cluster.database_url == DEFAULT_DATABASE_URL:
        progress("dropping the benchmark's databases of an earlier run (lumio_scale, lumio_scale_rasa)")
        drop_databases(cluster.database_url)
    progress(f"starting the cluster ({label(cluster.most)}) on {cluster.url}, state in {cluster.directory}")
    try:
        cluster.up(model)
        yield cluster
    finally:
        progress("stopping the cluster")
        cluster.down()


# ---------------------------------------------------------------- the run


def measure(url: str, pids: Mapping[str, int], concurrency: int, duration: float) -> tuple[Phase, dict[str, Any]]:
    load_before = load_average()
    before = snapshot(pids)
    turns, wall = asyncio.run(run_phase("product", url, concurrency, None, duration))
    after = snapshot(pids)
    per_name = cpu_deltas(before, after)
    phase = Phase("product", concurrency, turns, wall, by_kind(per_name), {})
    extra = {
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "cpu_s_per_process": {name: round(seconds, 2) for name, seconds in sorted(per_name.items())},
    }
    return phase, extra


def warm_up(url: str, seconds: float = 6.0) -> None:
    """Every replica's first turns (lazy loading) out of the figures."""
    turns, _ = asyncio.run(run_phase("product", url, 4, None, seconds))
    failed = [t for t in turns if t.error is not None]
    if failed and len(failed) == len(turns):
        raise RuntimeError(f"the warm-up at {url} failed: {failed[0].error}")


def phase_line(config: str, turns: Sequence[TurnRecord], wall: float, extra: Mapping[str, Any]) -> str:
    ok = [t.latency_ms for t in turns if t.error is None]
    figures = summarise(ok, len(turns) - len(ok), wall)
    return (
        f"{config:6s} {figures['turns']:5d} turns  {figures['turns_per_s']} turns/s  p50 {figures['p50_ms']} ms  "
        f"p95 {figures['p95_ms']} ms  errors {figures['errors']}  load {extra['load_average_after']}"
    )


def run(args: argparse.Namespace, on_phase: Callable[[str, Phase], None] = lambda *_: None) -> dict[str, Any]:
    order = schedule(args.rounds)
    cluster = Cluster(
        port=args.port,
        directory=args.cluster_dir,
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    phases: dict[str, list[Phase]] = {config: [] for config in order}
    records: list[dict[str, Any]] = []
    uptime_start = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    started = time.monotonic()
    switches: list[dict[str, Any]] = []
    with running_system("bench-cluster-turns", args.workdir, progress) as system, running_cluster(cluster):
        assert system.rasa.popen is not None and system.app.popen is not None  # started
        single_pids = {"app": system.app.popen.pid, "rasa": system.rasa.popen.pid}
        warmed: set[str] = set()
        for index, config in enumerate(order):
            if config == SINGLE:
                url, pids = system.app_url, single_pids
            else:
                seconds = cluster.become(config)
                switches.append({"to": config, "seconds": round(seconds, 1)})
                progress(f"cluster is {config} ({seconds:.0f} s to switch)")
                url, pids = cluster.url, cluster.pids(config)
            if config != SINGLE or config not in warmed:
                # After a switch the restarted replica's first turns load lazily: not in the figures.
                warm_up(url)
                warmed.add(config)
            progress(f"phase {index + 1}/{len(order)}: {config}, {args.concurrency} conversations, {args.duration:g} s")
            phase, extra = measure(url, pids, args.concurrency, args.duration)
            phases[config].append(phase)
            records.append({"config": config, "index": index, **extra, **summarise_phase(phase)})
            on_phase(config, phase)
            progress(phase_line(config, phase.turns, phase.wall_s, extra))
    uptime_end = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    configs = [SINGLE, *(label(c) for c in reversed(CONFIGS))]
    results = {}
    for config in configs:
        figures = combine(phases[config])
        figures.pop("rss_peak_mb", None)
        figures["cpu_ms_per_turn_total"] = total_cpu_ms(figures)
        figures["cpu_ms_per_turn_without_shared"] = total_cpu_ms(figures, include_shared=False)
        figures["load_average"] = [r["load_average_after"] for r in records if r["config"] == config]
        results[config] = figures
    return {
        "command": "python -m bench.cluster_turns " + " ".join(sys.argv[1:]),
        "settings": {
            "concurrency": args.concurrency,
            "duration_s_per_phase": args.duration,
            "rounds": args.rounds,
            "order": order,
            "think_time_s": 0,
            "cpus": os.cpu_count(),
            "cluster_port": args.port,
            "database": args.database_url.rsplit("@", 1)[-1],
            "redis": args.redis_url,
            "how": "one scripts/cluster.sh up with 2×2; smaller configurations by supervisorctl stop of replicas",
        },
        "uptime_start": uptime_start,
        "uptime_end": uptime_end,
        "run_minutes": round((time.monotonic() - started) / 60, 1),
        "switches": switches,
        "phases": records,
        "configs": results,
        "scripts": [s.name for s in SCRIPTS],
    }


def summarise_phase(phase: Phase) -> dict[str, Any]:
    ok = [t.latency_ms for t in phase.turns if t.error is None]
    figures = summarise(ok, len(phase.turns) - len(ok), phase.wall_s)
    successful = max(1, len(ok))
    figures["cpu_ms_per_turn"] = {kind: round(s * 1000 / successful, 1) for kind, s in phase.cpu_s.items()}
    return figures


# ---------------------------------------------------------------- the page


def markdown(record: Mapping[str, Any]) -> list[str]:
    """The section of docs/benchmarks.md (bench.report) for a turns_cluster record."""
    settings = record.get("settings") or {}
    configs: Mapping[str, Mapping[str, Any]] = record.get("configs") or {}
    names = {SINGLE: "single process (SQLite)"}
    lines = [
        f"`{record.get('command', 'python -m bench.cluster_turns')}` — {settings.get('concurrency')} conversations, "
        f"{settings.get('duration_s_per_phase')} s per phase, {settings.get('rounds')} round(s), phases in the order "
        f"{', '.join(settings.get('order') or [])}; the conversation API through the balancer (single process: "
        "straight to the app), `bench.turns`' scripts, closed loop. Load averages (1, 5, 15 min) at the start: "
        f"`{record.get('uptime_start', '?')}`; at the end: `{record.get('uptime_end', '?')}`.",
        "",
        "| app × Rasa | turns/s | p50 / p95 ms | turns | errors | turns/s in each phase | load average (1 min) "
        "after each phase |",
        "|---|---|---|---|---|---|---|",
    ]
    phases: Sequence[Mapping[str, Any]] = record.get("phases") or []
    for config, figures in configs.items():
        loads = ", ".join(f"{load[0]:.1f}" for load in figures.get("load_average") or [])
        rates = ", ".join(f"{p['turns_per_s']:.1f}" for p in phases if p.get("config") == config) or "–"
        lines.append(
            f"| {names.get(config, config)} | {figures['turns_per_s']:.1f} | {figures['p50_ms']} / {figures['p95_ms']} "
            f"| {figures['turns']} | {figures['errors']} | {rates} | {loads} |"
        )
    lines += [
        "",
        "CPU ms per successful turn by process kind (cores busy in brackets); PostgreSQL and Redis are the "
        "machine's, shared with other work, so their figures include it (the single process uses neither):",
        "",
        "| app × Rasa | " + " | ".join(KINDS) + " | total | without PostgreSQL and Redis | cores busy |",
        "|---|" + "---|" * (len(KINDS) + 3),
    ]
    for config, figures in configs.items():
        per_turn = figures.get("cpu_ms_per_turn") or {}
        busy = figures.get("cpu_utilisation") or {}
        cells = [f"{per_turn[kind]:.1f} ({busy.get(kind, 0.0):.2f})" if kind in per_turn else "–" for kind in KINDS]
        lines.append(
            f"| {names.get(config, config)} | "
            + " | ".join(cells)
            + f" | {figures.get('cpu_ms_per_turn_total')} | {figures.get('cpu_ms_per_turn_without_shared')}"
            + f" | {sum(busy.values()):.2f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cluster_turns", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--concurrency", type=int, default=16, help="conversations at once (default 16)")
    parser.add_argument("--duration", type=float, default=45.0, help="seconds per phase (default 45)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over every configuration, ABBA (default 2)")
    parser.add_argument("--port", type=int, default=28080, help="the cluster's balancer port (default 28080)")
    parser.add_argument("--cluster-dir", type=Path, default=ROOT / "var" / "scale-cluster")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="the desk database; the default one (and its _rasa) is dropped first, another is kept",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/5", help="the app replicas' Redis (Rasa's locks: next index)"
    )
    parser.add_argument("--workdir", type=Path, help="where the single process's databases and logs go")
    parser.add_argument("--markdown", action="store_true", help="print the section of the last results and stop")
    args = parser.parse_args(argv)
    if args.markdown:
        import json

        print("\n".join(markdown(json.loads((RESULTS / "turns_cluster.json").read_text(encoding="utf-8")))))
        return 0
    if args.rounds < 1 or args.concurrency < 1 or args.duration <= 0:
        parser.error("--rounds, --concurrency and --duration must be positive")
    write("turns_cluster", run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
