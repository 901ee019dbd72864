"""A throw-away PostgreSQL server of the bench's own (never the machine's shared one), on a free
loopback port, that can be stopped and started again: the database outage of `bench.faults`.

PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user (`runuser`),
in a data directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.system import free_port

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"))
USER = "postgres"


def binary(name: str) -> Path | None:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return directory / name
    return None


def missing() -> str | None:
    """Why a private server cannot run here, or None."""
    if binary("initdb") is None or binary("pg_ctl") is None:
        return "initdb/pg_ctl not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            return f"running as root and there is no {USER!r} user to run PostgreSQL as"
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.port = free_port()
        # Its own directory under /tmp (the bench's work directory is root's, closed to `postgres`).
        self.base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        if os.geteuid() == 0:
            entry = pwd.getpwnam(USER)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, name: str, *args: str) -> None:
        command = [str(binary(name)), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.base)

    def init(self) -> None:
        # trust: loopback only, a throw-away server; --no-sync: its data need not survive a crash.
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        # fast: open connections are cut at once, as when the database host goes away.
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
