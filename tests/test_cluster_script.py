"""`make cluster`'s configs (scripts/cluster.sh config): what HAProxy, supervisord and Rasa will read,
written without starting anything; and `up` saying everything it misses at once."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from bench.system import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "cluster.sh"
MODEL = "models/bot-test.tar.gz"


def cluster(
    *args: str, directory: Path, check: bool = True, timeout: float = 60, **settings: str
) -> subprocess.CompletedProcess[str]:
    # The caller's CLUSTER_* and secrets never leak in: each test says what it sets.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTER_", "APP_", "DEMO_", "SQL_", "DESK_"))}
    env |= {"CLUSTER_DIR": str(directory), **settings}
    return subprocess.run(
        [str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check, timeout=timeout
    )


def configs(tmp_path: Path, **settings: str) -> Path:
    directory = tmp_path / "cluster"
    cluster("config", MODEL, directory=directory, **settings)
    return directory


def read_env(directory: Path) -> dict[str, str]:
    """The env file as a shell reads it (`set -a; . env`)."""
    shown = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; env -0', "-", str(directory / "env")],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(item.split("=", 1) for item in shown.stdout.split("\0") if "=" in item)


def test_the_settings_file_holds_the_deployments_settings_for_its_owner_only(tmp_path: Path) -> None:
    directory = configs(tmp_path, CLUSTER_PORT="9300", CLUSTER_APPS="3")
    env_file = directory / "env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = read_env(directory)
    assert env["DATABASE_URL"] == "postgresql+psycopg://postgres@127.0.0.1:5432/lumio_cluster"
    assert env["APP_RASA_URL"] == "http://127.0.0.1:9301"  # the balancer's Rasa listener
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:9300/webhook"
    assert env["APP_REDIS_URL"] == "redis://127.0.0.1:6379/0" and "APP_RATE_LIMIT_STORAGE" not in env  # follows it
    assert env["APP_REDIS_PREFIX"] == "lumio_cluster"  # the deployment's channels
    assert env["RASA_TRACKER_DB"] == "postgresql://postgres@127.0.0.1:5432/lumio_cluster_rasa"
    assert env["APP_TRUSTED_PROXIES"] == "127.0.0.1/32" and env["APP_MIGRATE_ON_START"] == "false"
    assert env["KNOWLEDGE_INDEX_DIR"] == str(directory / "index")
    secrets = dict(line.split("=", 1) for line in (directory / "secrets.env").read_text().splitlines())
    assert env["APP_RASA_TOKEN"] == secrets["APP_RASA_TOKEN"] and len(env["APP_SECRET_KEY"]) >= 32
    # Written again, the same secrets (the running replicas and Rasa keep agreeing).
    cluster("config", MODEL, directory=directory)
    assert read_env(directory)["APP_ACTION_TOKEN"] == env["APP_ACTION_TOKEN"]


def test_rasa_shares_a_postgresql_tracker_store_and_redis_locks_and_calls_actions_through_the_balancer(
    tmp_path: Path,
) -> None:
    directory = configs(
        tmp_path,
        CLUSTER_PORT="9400",
        CLUSTER_DATABASE_URL="postgresql://lumio:p%40ss:word@db.internal:6543/support",
        CLUSTER_REDIS_URL="redis://:s3cret@cache.internal:6380/4",
    )
    text = (directory / "endpoints.yml").read_text()
    assert "token: ${APP_ACTION_TOKEN}\n" in text  # unquoted: Rasa substitutes it
    endpoints: dict[str, Any] = yaml.safe_load(text)
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:9400/webhook"
    assert endpoints["tracker_store"] == {
        "type": "rasa_launcher.tracker_store.AsyncPostgresTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6543,
        "db": "support_rasa",
        "username": "lumio",
        "password": "p@ss:word",
    }
    lock_store = endpoints["lock_store"]
    assert lock_store["type"] == "redis" and (lock_store["url"], lock_store["port"]) == ("cache.internal", 6380)
    assert lock_store["db"] == 5 and lock_store["password"] == "s3cret"  # not the app's database index
    assert lock_store["key_prefix"].isalnum()
    env = read_env(directory)
    assert env["DATABASE_URL"] == "postgresql+psycopg://lumio:p%40ss%3Aword@db.internal:6543/support"


def test_supervisord_runs_each_replica_and_the_balancer_with_a_pid_file_and_a_log(tmp_path: Path) -> None:
    directory = configs(tmp_path, CLUSTER_PORT="9500", CLUSTER_APPS="3", CLUSTER_RASAS="2")
    options = ServerOptions()
    options.realize(["-c", str(directory / "supervisord.conf")])
    programs = {group.name: group.process_configs[0] for group in options.process_group_configs}
    assert sorted(programs) == ["app1", "app2", "app3", "balancer", "rasa1", "rasa2"]
    for name, program in programs.items():
        assert program.command.startswith(f"{ROOT}/scripts/cluster-process.sh {directory}/{name}.pid ")
        assert program.autorestart is RestartUnconditionally
        assert program.stdout_logfile == str(directory / "log" / f"{name}.log") and program.redirect_stderr
    assert [programs[f"app{i}"].environment for i in (1, 2, 3)] == [{"APP_PORT": str(9600 + i)} for i in (1, 2, 3)]
    # The first app replica seeds the knowledge base alone; `up` starts the others after it.
    assert [programs[f"app{i}"].autostart for i in (1, 2, 3)] == [True, False, False]
    assert (
        "-p 9702 " in programs["rasa2"].command
        and f"--endpoints {directory}/endpoints.yml" in programs["rasa2"].command
    )
    assert options.pidfile == str(directory / "supervisord.pid")


def test_the_pid_file_names_the_process_itself(tmp_path: Path) -> None:
    pidfile = tmp_path / "app1.pid"
    shown = subprocess.run(
        [str(ROOT / "scripts" / "cluster-process.sh"), str(pidfile), "bash", "-c", "echo $$"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert pidfile.read_text().strip() == shown.stdout.strip()


def test_the_balancer_keeps_browsers_on_their_replica_and_rasa_off_the_public_port(tmp_path: Path) -> None:
    config = (configs(tmp_path, CLUSTER_PORT="9800", CLUSTER_APPS="2", CLUSTER_RASAS="3") / "haproxy.cfg").read_text()
    public, rest = config.split("frontend public", 1)[1].split("frontend rasa_loopback", 1)
    assert "bind 127.0.0.1:9800" in public and "cookie SERVERID insert indirect nocache" in public
    assert "option httpchk GET /readyz" in public and "timeout tunnel" in config
    assert "server app2 127.0.0.1:9902 check cookie app2" in public and "rasa" not in public.split("backend app")[1]
    assert "bind 127.0.0.1:9801" in rest and "server rasa3 127.0.0.1:10003 check" in rest
    assert "%{+Q}HP" in config and "%{+Q}r" not in config  # paths only: no query string (tokens) in the log
    # The balancer's own 502, 503 and 504 say when to send again (the app's Retry-After kept).
    assert "http-after-response set-header Retry-After 2 if { status 502:504 } !{ res.hdr(retry-after)" in public


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (apt-get install haproxy)")
def test_haproxy_accepts_the_config(tmp_path: Path) -> None:
    directory = configs(tmp_path, CLUSTER_APPS="4", CLUSTER_RASAS="3")
    checked = subprocess.run(["haproxy", "-c", "-f", str(directory / "haproxy.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("setting", "value"), [("CLUSTER_APPS", "0"), ("CLUSTER_RASAS", "two"), ("CLUSTER_PORT", "65100")]
)
def test_a_wrong_setting_is_refused_before_anything_is_written(tmp_path: Path, setting: str, value: str) -> None:
    refused = cluster("config", MODEL, directory=tmp_path / "cluster", check=False, **{setting: value})
    assert refused.returncode == 2 and setting in refused.stderr
    assert not (tmp_path / "cluster").exists()


def test_a_database_url_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    refused = cluster("config", MODEL, directory=tmp_path / "cluster", check=False, CLUSTER_DATABASE_URL="sqlite:///x")
    assert refused.returncode == 2 and "CLUSTER_DATABASE_URL must be a PostgreSQL URL" in refused.stderr


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (`up` would install it)")
def test_up_says_everything_it_misses_at_once(tmp_path: Path) -> None:
    nothing = free_port()  # nobody listens there
    refused = cluster(
        "up",
        "models/none.tar.gz",
        directory=tmp_path / "cluster",
        check=False,
        CLUSTER_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{nothing}/lumio_cluster",
        CLUSTER_REDIS_URL=f"redis://127.0.0.1:{nothing}/0",
    )
    assert refused.returncode == 1
    assert "the Rasa model" in refused.stderr and "make model" in refused.stderr
    assert f"PostgreSQL answering at 127.0.0.1:{nothing}" in refused.stderr
    assert f"Redis answering at 127.0.0.1:{nothing}" in refused.stderr
    assert not (tmp_path / "cluster").exists()


def test_down_and_status_are_safe_when_nothing_runs(tmp_path: Path) -> None:
    assert "not running" in cluster("down", directory=tmp_path / "cluster").stdout
    assert "not running" in cluster("down", directory=tmp_path / "cluster").stdout
    status = cluster("status", directory=tmp_path / "cluster", check=False)
    assert status.returncode == 3 and "not running" in status.stdout
