"""Rasa, started as `make run` starts it (rasa_launcher, through bench/system.py): its HTTP API wants
the token, and the token is on no process's command line (`ps` shows those to every user)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from bench.system import System


def test_rasas_token_is_required_and_never_on_a_command_line(system: System) -> None:
    assert httpx.get(f"{system.rasa_url}/status", timeout=10).status_code == 401
    assert httpx.get(f"{system.rasa_url}/status", params={"token": system.token}, timeout=10).status_code == 200
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert "rasa_launcher" in listing and system.token not in listing
    assert system.rasa.popen is not None
    assert system.token.encode() not in Path(f"/proc/{system.rasa.popen.pid}/cmdline").read_bytes()
