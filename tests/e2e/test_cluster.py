"""`make cluster` for real: two app and two Rasa replicas under supervisord behind HAProxy, on the
machine's PostgreSQL and Redis. Customers are answered through the balancer and stay on their
replica; Rasa's turns and its action calls go round the replicas through the balancer; a replica
killed with SIGKILL is restarted by the supervisor, which rewrites its pid file; `down` stops it all.

1.5–2.5 minutes on two cores (two Rasa servers load their models at once); in `make test`, or alone:
`.venv/bin/python -m pytest -m cluster tests/e2e/test_cluster.py`. Skipped, saying why, without
HAProxy, PostgreSQL at 127.0.0.1:5432 or Redis at 127.0.0.1:6379."""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
import socketio
import websocket

from bench.system import missing_prerequisites, rasa_model
from tests.conversation_api import Started, start_conversation

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "lumio_cluster_test"  # and lumio_cluster_test_rasa: dropped first, never the user's cluster's
REDIS = "redis://127.0.0.1:6379/13"  # Rasa's locks in 14; the other tests use 15


def missing() -> str | None:
    if shutil.which("haproxy") is None:
        return "HAProxy is not installed (apt-get install haproxy; make cluster installs it)"
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        return f"no PostgreSQL at {POSTGRES}: {type(error).__name__}"
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"no Redis at {REDIS}: {type(error).__name__}"
    return missing_prerequisites()


def free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def cluster_port() -> int:
    """A port whose neighbours the cluster takes too are free (+1, +2, +101…, +201…)."""
    for _ in range(50):
        port = random.randint(20000, 40000)
        if all(free(port + offset) for offset in (0, 1, 2, 101, 102, 201, 202)):
            return port
    raise RuntimeError("no free ports for the cluster")


@dataclass
class Cluster:
    directory: Path
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def pid(self, name: str) -> int:
        return int((self.directory / f"{name}.pid").read_text())

    def log(self, name: str) -> str:
        return (self.directory / "log" / f"{name}.log").read_text(errors="replace")


def drop_databases() -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        for name in (DATABASE, f"{DATABASE}_rasa"):
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    drop_databases()
    redis.Redis.from_url(REDIS).flushdb()
    port = cluster_port()
    directory = tmp_path_factory.mktemp("cluster") / "cluster"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTER_", "APP_", "DEMO_", "SQL_", "DESK_"))}
    env |= {
        "CLUSTER_DIR": str(directory),
        "CLUSTER_PORT": str(port),
        "CLUSTER_APPS": "2",
        "CLUSTER_RASAS": "2",
        "CLUSTER_DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "CLUSTER_REDIS_URL": REDIS,
    }
    running = Cluster(directory, port, env)
    started = time.monotonic()
    up = running.script("up", str(rasa_model()), timeout=900)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        print(f"cluster healthy after {time.monotonic() - started:.0f}s")
        yield running
    finally:
        down = running.script("down", timeout=120)
        print(down.stdout, down.stderr)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def served_by(response: httpx.Response) -> str:
    return response.headers["x-served-by"]


class Browser:
    """A browser: its own cookie jar (the balancer's SERVERID), one conversation."""

    def __init__(self, cluster: Cluster) -> None:
        self.client = httpx.Client(base_url=cluster.url, timeout=60)
        self.started: Started = start_conversation(self.client)
        self.replicas: set[str] = set()

    def reconnect(self) -> None:
        """A new connection to the balancer, the same cookies: the kept-alive one went with the replica
        behind it (a browser opens another the same way)."""
        cookies = self.client.cookies
        self.client.close()
        self.client = httpx.Client(base_url=str(self.client.base_url), timeout=60, cookies=cookies)

    def say(self, text: str) -> httpx.Response:
        response = self.client.post(f"{self.started.url}/messages", json={"text": text}, headers=self.started.headers)
        assert response.status_code == 200, response.text
        self.replicas.add(served_by(response))
        return response


@pytest.fixture
def browsers(cluster: Cluster) -> Iterator[list[Browser]]:
    made = [Browser(cluster) for _ in range(4)]
    yield made
    for browser in made:
        browser.client.close()


def test_customers_are_answered_through_the_balancer_and_stay_on_their_replica(
    cluster: Cluster, browsers: list[Browser]
) -> None:
    for browser in browsers:
        for text in ("How long is the battery warranty?", "hello", "Can I return an opened item?"):
            reply = browser.say(text).json()
            assert reply["messages"] and reply["turn"]["outcome"] in {"answered", "smalltalk", "clarified"}
    assert all(len(browser.replicas) == 1 for browser in browsers)
    assert {replica for browser in browsers for replica in browser.replicas} == {"app1", "app2"}
    log = cluster.log("balancer")
    # Rasa's turns went round both Rasa replicas, and their action calls back through the balancer.
    assert "rasa/rasa1" in log and "rasa/rasa2" in log
    assert '"POST" "/webhook"' in log
    env = (cluster.directory / "env").read_text()
    token = next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("APP_ACTION_TOKEN="))
    assert token not in log


def test_socketio_long_polling_stays_on_its_replica_and_the_widgets_websocket_passes(cluster: Cluster) -> None:
    # Without the cookie, round robin would send the session's next poll to the replica that does
    # not know it (engine.io answers 400) and no reply would come.
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    client = socketio.Client(reconnection=False)
    for name in ("session_confirm", "bot_uttered", "chat_error"):
        client.on(name, lambda data=None, name=name: events.put((name, data)))
    client.connect(cluster.url, socketio_path="/socket.io/", transports=["polling"], wait_timeout=10)
    try:
        client.emit("session_request", {"session_id": None})
        name, session = events.get(timeout=30)
        assert name == "session_confirm"
        for text in ("How long is the battery warranty?", "hello", "Can I return an opened item?"):
            client.emit("user_uttered", {"message": text, "session_id": session})
            name, data = events.get(timeout=60)
            assert name == "bot_uttered" and data["text"], (name, data)
    finally:
        client.disconnect()
    widget = websocket.create_connection(cluster.url.replace("http", "ws") + "/chat/ws", timeout=60)
    try:
        widget.send(json.dumps({"type": "hello", "language": "en"}))
        widget.send(
            json.dumps({"type": "message", "text": "How long is the battery warranty?", "client_message_id": "m1"})
        )
        frames = []
        while not frames or frames[-1]["type"] != "ack":
            frames.append(json.loads(widget.recv()))
        assert any(frame["type"] == "message" and frame["text"] for frame in frames), frames
    finally:
        widget.close()


def test_a_killed_replica_is_restarted_its_pid_file_rewritten_its_customers_served_meanwhile(
    cluster: Cluster, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    browser.say("hello")
    (replica,) = browser.replicas
    old = cluster.pid(replica)
    assert "-m api" in Path(f"/proc/{old}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    os.kill(old, signal.SIGKILL)
    # A request that reaches it while it dies (its memory is freed before its socket is closed) gets a
    # 502, which a client sends again: wait until its port refuses connections.
    port = cluster.port + 100 + int(replica.removeprefix("app"))
    while alive(old) or not free(port):
        time.sleep(0.05)
    # Its customer is answered by the other replica meanwhile (the balancer redispatches), still
    # holding the cookie of the replica it had.
    browser.reconnect()
    assert browser.say("How long is the battery warranty?").json()["messages"]
    assert browser.replicas == {"app1", "app2"}
    deadline = time.monotonic() + 180
    while True:
        try:
            new = cluster.pid(replica)
            check = httpx.get(f"{cluster.url}/healthz", cookies={"SERVERID": replica}, timeout=5)
            if new != old and check.status_code == 200 and served_by(check) == replica:
                break
        except (httpx.HTTPError, ValueError, OSError, KeyError):
            pass
        assert time.monotonic() < deadline, cluster.script("status").stdout + cluster.log(replica)[-3000:]
        time.sleep(1)
    assert "-m api" in Path(f"/proc/{new}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    status = cluster.script("status").stdout
    assert any(line.split()[:2] == [replica, "RUNNING"] and str(new) in line for line in status.splitlines()), status


def test_a_new_model_is_rolled_out_replica_by_replica_while_customers_talk(
    cluster: Cluster, browsers: list[Browser], tmp_path: Path
) -> None:
    """`rollout` drains, restarts and readmits each Rasa replica in turn: customers talking meanwhile
    are answered (or told to retry, with Retry-After: never the balancer's bare error)."""
    model = tmp_path / "bot-next.tar.gz"
    shutil.copy(rasa_model(), model)  # "another" model: the same bot under a new name
    before = {name: cluster.pid(name) for name in ("rasa1", "rasa2")}
    seen: list[tuple[int, str | None]] = []
    answered = 0
    rolling = subprocess.Popen(
        [str(ROOT / "scripts" / "cluster.sh"), "rollout", str(model)],
        cwd=ROOT,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    browser = browsers[0]
    while rolling.poll() is None:
        response = browser.client.post(
            f"{browser.started.url}/messages",
            json={"text": "How long is the battery warranty?"},
            headers=browser.started.headers,
        )
        seen.append((response.status_code, response.headers.get("retry-after")))
        answered += response.status_code == 200 and bool(response.json()["messages"])
        time.sleep(2)  # within the conversation's rate limit
    output = rolling.communicate()[0]  # and its pipe closed
    assert rolling.returncode == 0, output
    refused = [(status, retry) for status, retry in seen if status != 200]
    assert all(status in (429, 503) and retry for status, retry in refused), (refused, output)
    assert answered >= len(seen) // 2, seen  # one replica at a time: most turns go on
    after = {name: cluster.pid(name) for name in ("rasa1", "rasa2")}
    assert all(after[name] != before[name] for name in after), output
    assert (cluster.directory / "model.tar.gz").resolve() == model.resolve()
    assert "rasa1 on bot-next.tar.gz" in output and "rasa2 on bot-next.tar.gz" in output
    assert browser.say("thanks").json()["messages"]


def test_without_rasa_the_replicas_stay_in_the_balancer_and_keep_the_message(
    cluster: Cluster, browsers: list[Browser]
) -> None:
    supervisorctl = [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(cluster.directory / "supervisord.conf")]
    stopped = subprocess.run([*supervisorctl, "stop", "rasa1", "rasa2"], capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    time.sleep(8)  # the balancer's checks (every 2 s, 3 failures) have seen Rasa gone
    stats = httpx.get(f"http://127.0.0.1:{cluster.port + 2}/;csv", timeout=5).text
    states = {row[1]: row[17] for row in (line.split(",") for line in stats.splitlines()) if row[0] in {"app", "rasa"}}
    assert states["app1"] == states["app2"] == "UP" and states["rasa1"] == states["rasa2"] == "DOWN", states
    browser = browsers[0]
    answer = browser.client.post(
        f"{browser.started.url}/messages", json={"text": "hello"}, headers=browser.started.headers
    )
    # The replica's own answer (stored, answered once Rasa is back), not the balancer's.
    assert answer.status_code == 503 and answer.headers["retry-after"], answer.text
    assert answer.json()["error"]["code"] == "assistant_unavailable" and served_by(answer) in {"app1", "app2"}


def test_the_projects_clis_reach_the_clusters_database_through_its_env_file(cluster: Cluster) -> None:
    listed = subprocess.run(
        [
            "bash",
            "-c",
            'set -a; . "$1"; set +a; exec .venv/bin/python -m desk users list',
            "-",
            str(cluster.directory / "env"),
        ],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "admin" in listed.stdout and "lead" in listed.stdout


def test_down_stops_every_process_and_is_safe_twice(cluster: Cluster) -> None:
    pids = [cluster.pid(name) for name in ("app1", "app2", "rasa1", "rasa2", "balancer")]
    supervisor = int((cluster.directory / "supervisord.pid").read_text())
    first = cluster.script("down", timeout=120)
    assert first.returncode == 0 and "stopped" in first.stdout, first.stderr
    for pid in [*pids, supervisor]:
        assert not alive(pid), pid
    assert not list(cluster.directory.glob("*.pid"))
    again = cluster.script("down")
    assert again.returncode == 0 and "not running" in again.stdout
