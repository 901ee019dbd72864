"""Starting the real system for integration and end-to-end tests: a Rasa server and the app."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Rasa runs through the project's launcher (rasa_launcher/), as `make run` starts it: the API token
# comes from the environment, never the command line.
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PYTHON = ROOT / ".venv" / "bin" / "python"
INDEX_DIR = ROOT / "var" / "index"


PORT_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rasa_model() -> Path:
    """The model for the current training data (trained by `make test` before pytest runs)."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "rasa-model.sh")], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return ROOT / out.stdout.strip()


def missing_prerequisites() -> str | None:
    if not RASA_PYTHON.exists():
        return "the Rasa environment (.venv-rasa) is not installed; run `make test`"
    if not (INDEX_DIR / "manifest.json").exists():
        return "the knowledge index is not built; run `make test`"
    return None


# Per-client limits and caps lifted for `System` (see there).
ONE_MACHINE_FOR_ALL_CUSTOMERS = {
    "APP_RATE_LIMIT_CONVERSATION_STARTS": "1000000/minute",
    "APP_RATE_LIMIT_CLIENT_MESSAGES": "1000000/minute",
    "APP_RATE_LIMIT_CLIENT_READS": "1000000/minute",
    "APP_RATE_LIMIT_CLIENT_ESCALATIONS": "1000000/hour",
    "APP_RATE_LIMIT_SIGN_INS": "1000000/minute",
    "APP_MAX_EVENT_STREAMS_PER_CLIENT": "100000",
    "WEBCHAT_MAX_SOCKETS_PER_CLIENT": "100000",
}


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    handle: IO[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.log.open("ab")
        self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.handle, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class System:
    """Rasa and the app on free loopback ports, with their own databases under `workdir`."""

    workdir: Path
    model: Path
    database_url: str = ""
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.token = secrets.token_urlsafe(16)
        self.app_port = free_port()
        self.rasa_port = free_port()
        self.database_url = self.database_url or f"sqlite:///{self.workdir / 'desk.db'}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DESK_", "KNOWLEDGE_"))}
        base.pop("DATABASE_URL", None)
        self.env = {
            **base,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "APP_PORT": str(self.app_port),
            "APP_RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "APP_RASA_TOKEN": self.token,
            "APP_ACTION_TOKEN": secrets.token_urlsafe(16),
            # Set, so that console sessions survive `restart_app` (unset, each process has its own key).
            "APP_SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.database_url,
            "KNOWLEDGE_INDEX_DIR": str(INDEX_DIR),
            "KNOWLEDGE_RELOAD_INTERVAL": "0.5",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.app_port}/webhook",
            "RASA_TRACKER_DB": str(self.workdir / "rasa-tracker.db"),
            # Every customer of a load run or an end-to-end test comes from this one machine: the
            # per-client limits (sized for one visitor's address) would refuse them. The limits per
            # conversation stay as the product has them; tests/api covers each limit.
            **ONE_MACHINE_FOR_ALL_CUSTOMERS,
            **self.extra_env,
        }
        self.rasa = Process(
            "rasa",
            [
                str(RASA_PYTHON),
                "-m",
                "rasa_launcher",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.rasa_port),
                "--model",
                str(self.model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            self.env,
            self.workdir / "rasa.log",
        )
        self.app = Process("app", [str(PYTHON), "-m", "api"], self.env, self.workdir / "app.log")

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> None:
        """Both processes up and healthy. A port taken between choosing and binding it (an outgoing
        connection's ephemeral port, say) is chosen again."""
        for attempt in range(PORT_ATTEMPTS):
            self.rasa.start()
            self.app.start()
            try:
                self.wait_healthy()
                return
            except RuntimeError as error:
                self.stop()  # closes the logs too
                if attempt + 1 == PORT_ATTEMPTS or "address already in use" not in str(error):
                    raise
                self.__post_init__()  # other free ports

    def wait_healthy(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in (self.rasa, self.app):
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
            try:
                if httpx.get(f"{self.app_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"not healthy after {timeout}s\nrasa:\n{self.rasa.tail()}\napp:\n{self.app.tail()}")

    def restart_app(self) -> None:
        self.app.stop()
        self.app.start()
        self.wait_healthy()

    def restart_rasa(self) -> None:
        self.rasa.stop()
        self.rasa.start()
        self.wait_healthy()

    def stop(self) -> None:
        self.app.stop()
        self.rasa.stop()


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def running_system(
    name: str, workdir: Path | None, progress: Callable[[str], None], extra_env: Mapping[str, str] | None = None
) -> Iterator[System]:
    """Rasa and the app for one benchmark run, in a temporary folder under `workdir` (logs there)."""
    model = rasa_model()
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=workdir) as directory:
        system = System(workdir=Path(directory), model=model, extra_env=extra_env or {})
        progress(f"starting Rasa ({model.name}) and the app; logs in {directory}")
        system.start()
        try:
            yield system
        finally:
            system.stop()
