"""The house's import rules (README, Architecture): imports go downwards only, and heavy or
web-framework libraries stay out of the floors that must not need them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "desk", "actions", "engine", "channels", "api", "bench", "rasa_launcher", "rasa_routing")

# What each package may import of the project (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "knowledge": frozenset(),
    "desk": frozenset({"knowledge"}),
    "actions": frozenset({"knowledge", "desk"}),
    "engine": frozenset({"knowledge", "desk"}),
    "channels": frozenset({"knowledge", "desk", "engine"}),
    "api": frozenset({"knowledge", "desk", "engine", "channels", "actions"}),
    # rasa_routing.decision is plain Python: the routed calibration replays the routing step with it;
    # bench.schema_checks (run in Rasa's environment) measures the launcher's validate.
    "bench": frozenset({"knowledge", "desk", "engine", "api", "rasa_routing", "rasa_launcher"}),
    # Runs in Rasa's environment (Python 3.10, pydantic 1): none of the app's packages, and none of them it.
    "rasa_launcher": frozenset(),
    "rasa_routing": frozenset(),
}
WEB_FRAMEWORKS = ("fastapi", "starlette", "sse_starlette", "uvicorn")


def imports_of(path: Path) -> set[str]:
    """Top-level modules a file imports (absolute imports; the project uses no relative ones)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_floors_below_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imports_of(path)
        if (top := module.split(".")[0]) in PACKAGES and top != package and top not in ALLOWED[package]
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("package", ["knowledge", "desk", "actions", "engine"])
def test_the_floors_below_the_web_know_no_web_framework(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imports_of(path)
        if module.split(".")[0] in WEB_FRAMEWORKS
    }
    assert not wrong, sorted(wrong)


def test_only_the_action_endpoint_imports_the_actions() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "actions"
        for path in sources(package)
        if any(module.split(".")[0] == "actions" for module in imports_of(path))
    }
    assert importers == {"api/routes/action_endpoint.py"}


def test_the_benchmarks_stand_on_the_product_not_on_the_tests() -> None:
    wrong = {str(p.relative_to(ROOT)) for p in sources("bench") if any(m.startswith("tests") for m in imports_of(p))}
    assert not wrong, sorted(wrong)


def test_the_routing_step_is_replayed_without_rasa() -> None:
    """The app's environment has no Rasa: what it imports of rasa_routing must import none either."""
    imported = {
        module
        for package in PACKAGES
        if package != "rasa_routing"
        for path in sources(package)
        for module in imports_of(path)
        if module.split(".")[0] == "rasa_routing"
    }
    assert imported <= {"rasa_routing.decision"}
    for path in (ROOT / "rasa_routing" / "__init__.py", ROOT / "rasa_routing" / "decision.py"):
        assert not any(module.split(".")[0] == "rasa" for module in imports_of(path)), path
