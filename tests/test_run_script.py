"""`make run`'s scripts: secrets readable by their owner only, and an instance never started over
another one (a port or an instance directory in use is refused before anything is written)."""

from __future__ import annotations

import fcntl
import os
import socket
import stat
import subprocess
from pathlib import Path

from bench.system import free_port

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["APP_RASA_TOKEN", "APP_ACTION_TOKEN", "APP_SECRET_KEY"] + [
    f"DEMO_{w}_PASSWORD" for w in ("ADMIN", "LEAD", "AGENT")
]


def secrets_of(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_the_secrets_file_is_its_owners_only_and_made_once(tmp_path: Path) -> None:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "secrets.env").write_text("APP_RASA_TOKEN=kept\n")
    (folder / "secrets.env").chmod(0o644)  # written before the script set a mode
    made = subprocess.run(["scripts/secrets.sh", str(folder)], cwd=ROOT, capture_output=True, text=True, check=True)
    path = Path(made.stdout.strip())
    assert path == folder / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = secrets_of(path)
    assert list(first) == NAMES and first["APP_RASA_TOKEN"] == "kept"
    subprocess.run(["scripts/secrets.sh", str(folder)], cwd=ROOT, capture_output=True, check=True)
    assert secrets_of(path) == first


def run_script(instance: Path, app_port: int, rasa_port: int) -> subprocess.CompletedProcess[str]:
    ports = {"APP_HOST": "127.0.0.1", "APP_PORT": str(app_port), "RASA_PORT": str(rasa_port)}
    env = {**os.environ, "INSTANCE_DIR": str(instance), **ports}
    return subprocess.run(
        ["scripts/run.sh", "models/none.tar.gz"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def test_a_port_in_use_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for app_port, rasa_port in ((port, free_port()), (free_port(), port)):
            refused = run_script(tmp_path / "instance", app_port, rasa_port)
            assert refused.returncode == 1 and f"127.0.0.1:{port} is in use" in refused.stderr
    assert not (tmp_path / "instance").exists()


def test_an_instance_directory_in_use_is_refused(tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir()
    with (tmp_path / "instance" / "run.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running scripts/run.sh holds it
        refused = run_script(tmp_path / "instance", free_port(), free_port())
    assert refused.returncode == 1 and "already running" in refused.stderr
    assert not (tmp_path / "instance" / "secrets.env").exists()
