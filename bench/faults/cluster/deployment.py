"""The suite's own cluster (`scripts/cluster.sh up`/`down` with its own directory, databases, port and
private Redis), its faults and how long each recovery takes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.faults.cluster.private_redis import PrivateRedis
from bench.faults.cluster.records import Fault
from bench.faults.plan import progress

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_DIR = ROOT / "var" / "faults-cluster"
REDIS_DIR = ROOT / "var" / "faults-redis"
DATABASE = "lumio_faults"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Every customer comes from 127.0.0.1 through the balancer: one client to the per-client limits. The
# suite's load is bounded by its own size, not by those limits (they are not what it measures).
LIMITS_ENV = {
    "APP_RATE_LIMIT_CONVERSATION_STARTS": "10000/minute",
    "APP_RATE_LIMIT_MESSAGES": "10000/minute",
    "APP_RATE_LIMIT_CLIENT_MESSAGES": "100000/minute",
    "APP_RATE_LIMIT_READS": "10000/minute",
    "APP_RATE_LIMIT_CLIENT_READS": "100000/minute",
    "APP_RATE_LIMIT_ESCALATIONS": "1000/hour",
    "APP_RATE_LIMIT_CLIENT_ESCALATIONS": "100000/hour",
    "WEBCHAT_MAX_SOCKETS_PER_CLIENT": "1000",
    # Failed turns retried every second or two, as in the single-process suite.
    "APP_ANSWER_RETRY_SECONDS": "1",
    "APP_ANSWER_RETRY_LONGEST_SECONDS": "2",
}
# How long a replica may take to come back before the suite calls it not recovered.
RECOVERY_LIMIT_S = 240.0


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_port(preferred: int) -> int:
    """A balancer port whose whole block (the port, +1, +2, +101…, +201…) is free."""
    for port in range(preferred, preferred + 1000, 10):
        if all(port_free(p) for p in (port, port + 1, port + 2, port + 101, port + 102, port + 201, port + 202)):
            return port
    raise SystemExit(f"no free block of ports from {preferred}")


def drop_databases(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True) as pg:
        for database in (name, f"{name}_rasa"):
            pg.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


@dataclass
class Cluster:
    port: int
    redis: PrivateRedis
    directory: Path = CLUSTER_DIR
    database: str = DATABASE

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"{POSTGRES}/{self.database}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **LIMITS_ENV,
            "CLUSTER_DIR": str(self.directory),
            "CLUSTER_PORT": str(self.port),
            "CLUSTER_DATABASE_URL": self.database_url,
            "CLUSTER_REDIS_URL": self.redis.url,
        }

    def script(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pid(self, name: str) -> int:
        return int((self.directory / f"{name}.pid").read_text().strip())

    def app_port(self, i: int) -> int:
        return self.port + 100 + i

    def rasa_port(self, i: int) -> int:
        return self.port + 200 + i

    def log_count(self, name: str, needle: str) -> int:
        path = self.directory / "log" / f"{name}.log"
        try:
            return path.read_text(errors="replace").count(needle)
        except OSError:
            return 0

    # ------------------------------------------------------------------ faults

    def kill_replica(self, name: str, health_url: str) -> Fault:
        """`kill -9` of the replica's pid; recovered when supervisord's new process answers `health_url`
        on the replica's own port."""
        old = self.pid(name)
        fault = Fault(f"{name}_killed", time.time())
        os.kill(old, signal.SIGKILL)
        progress(f"kill -9 {name} (pid {old})")
        restarted = answered = None
        deadline = time.monotonic() + RECOVERY_LIMIT_S
        while time.monotonic() < deadline and answered is None:
            with contextlib.suppress(OSError, ValueError):
                if restarted is None and self.pid(name) != old:
                    restarted = time.time() - fault.started_at
            if restarted is not None and _answers(health_url):
                answered = time.time() - fault.started_at
            time.sleep(0.25)
        fault.recovery = {"new_pid_s": _round(restarted), "ready_s": _round(answered)}
        fault.recovered_at = None if answered is None else fault.started_at + answered
        progress(f"{name}: new pid after {_round(restarted)} s, answering after {_round(answered)} s")
        return fault

    def restart_redis(self, down_s: float = 5.0) -> Fault:
        """SHUTDOWN NOSAVE of the private Redis, started again `down_s` later; recovered when it answers
        PING and, in every app replica, each side of the event bus (publish, subscribe) that logged
        `event_bus_redis_lost` has logged `event_bus_redis_connected` since."""
        apps = ("app1", "app2")
        fault = Fault("redis_restarted", time.time())
        self.redis.shutdown()
        progress(f"redis on {self.redis.port} shut down; starting it again in {down_s:.0f} s")
        time.sleep(down_s)
        self.redis.start()
        ping = time.time() - fault.started_at
        reconnected: dict[str, float | None] = dict.fromkeys(apps)
        deadline = time.monotonic() + RECOVERY_LIMIT_S
        while time.monotonic() < deadline and any(v is None for v in reconnected.values()):
            for name in apps:
                if reconnected[name] is None:
                    reconnected[name] = event_bus_back(self.directory / "log" / f"{name}.log", fault.started_at)
            time.sleep(0.5)
        fault.recovery = {
            "ping_s": _round(ping),
            **{f"{n}_events_s": _round(None if v is None else v - fault.started_at) for n, v in reconnected.items()},
        }
        done = [v for v in reconnected.values() if v is not None]
        fault.recovered_at = max(done) if len(done) == len(apps) else None
        progress(f"redis: PING after {ping:.1f} s, event bus back {fault.recovery}")
        return fault


def event_bus_back(log: Path, since: float) -> float | None:
    """When every side of the replica's event bus lost since `since` was connected again (the log's
    time), or None while one is still away (or none has noticed yet)."""
    import json
    from datetime import datetime

    sides: dict[str, tuple[str, float]] = {}
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        if "event_bus_redis_" not in line:
            continue
        try:
            entry = json.loads(line)
            moment = datetime.fromisoformat(str(entry["timestamp"]).replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        if moment >= since and entry.get("event") in ("event_bus_redis_lost", "event_bus_redis_connected"):
            sides[str(entry.get("side"))] = (str(entry["event"]), moment)
    lost = [s for s in sides.values() if s[0] == "event_bus_redis_lost"]
    if not sides or lost:
        return None
    return max(moment for _, moment in sides.values())


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@contextlib.contextmanager
def running_cluster(model: Path, preferred_port: int) -> Iterator[Cluster]:
    """Private Redis, then `cluster.sh up` with the suite's settings; `down` and Redis stopped on the way
    out, whatever happened."""
    reason = PrivateRedis.missing()
    if reason:
        raise SystemExit(reason)
    redis = PrivateRedis(REDIS_DIR)
    cluster = Cluster(cluster_port(preferred_port), redis)
    redis.start()
    try:
        drop_databases(cluster.database)
        progress(f"cluster.sh up on :{cluster.port}, Redis :{redis.port}, {cluster.database}, {cluster.directory}")
        started = time.monotonic()
        up = cluster.script("up", str(model))
        if up.returncode != 0:
            raise SystemExit(f"cluster.sh up failed ({up.returncode}):\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
        progress(f"cluster healthy after {time.monotonic() - started:.0f} s")
        yield cluster
    finally:
        progress("cluster.sh down")
        down = cluster.script("down")
        if down.returncode != 0:
            progress(f"cluster.sh down: {down.stdout} {down.stderr}")
        redis.stop()
