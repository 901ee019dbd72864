"""`python -m desk tokens …` from the shell, as an operator runs it: in a subprocess, on a real file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desk.models import Role, Scope, TokenRole
from desk.services import DeskServices
from desk.settings import DeskSettings

ROOT = Path(__file__).resolve().parents[2]


def desk(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    made = desk(url, "users", "create", "root", "--role", "admin", "--password-env", "PW", PW="correct horse battery")
    assert made.returncode == 0, made.stderr
    return url


def test_a_token_made_in_the_shell_is_printed_once_as_the_last_line(database_url: str) -> None:
    made = desk(database_url, "tokens", "create", "crm", "--role", "integration", "--expires", "30")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("lmk_") and "crm" in made.stderr
    services = DeskServices.for_settings(DeskSettings(database_url=database_url))
    caller = services.access.token_caller(secret)
    assert caller is not None and caller.owner.username == "root"
    assert caller.token.role == TokenRole.INTEGRATION and set(caller.token.scopes) == set(Scope)
    assert caller.token.expires_at is not None
    listed = desk(database_url, "tokens", "list")
    assert "crm" in listed.stdout and secret not in listed.stdout + listed.stderr


def test_scopes_repeat_and_an_owner_can_be_named(database_url: str) -> None:
    services = DeskServices.for_settings(DeskSettings(database_url=database_url))
    services.users.create("second", "correct horse battery", Role.ADMIN)
    ambiguous = desk(database_url, "tokens", "create", "shop", "--role", "integration")
    assert ambiguous.returncode == 2 and "--owner" in ambiguous.stderr
    made = desk(
        database_url,
        "tokens", "create", "shop", "--role", "integration", "--scope", "orders", "--scope", "conversations",
        "--owner", "second",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    caller = services.access.token_caller(made.stdout.strip().splitlines()[-1])
    assert caller is not None and caller.owner.username == "second"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Not A Slug", "--role", "integration"], "lower-case"),
        (["report", "--role", "lead", "--scope", "orders"], "scopes are for integration"),
        (["report", "--role", "admin", "--owner", "nobody"], "no active user"),
        (["report", "--role", "agent", "--expires", "0"], "at least 1"),
    ],
)
def test_bad_requests_are_refused_clearly(database_url: str, args: list[str], message: str) -> None:
    refused = desk(database_url, "tokens", "create", *args)
    assert refused.returncode == 2 and message in refused.stderr and "lmk_" not in refused.stdout
