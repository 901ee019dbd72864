"""The actions Rasa may call, the actions the package registers and the actions the app hosts agree."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

from api.routes.action_endpoint import action_executor
from desk.services import DeskServices
from desk.settings import DeskSettings
from knowledge.live import LiveRetriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]


def domain_actions() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return set(domain.get("actions", []))


def test_package_registers_exactly_the_domain_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == domain_actions()


def test_the_app_hosts_exactly_the_domain_actions(tmp_path: Path) -> None:
    services = DeskServices.for_settings(DeskSettings(database_url=f"sqlite:///{tmp_path / 'd.db'}"))
    retriever = LiveRetriever(KnowledgeSettings(index_dir=tmp_path / "index"), embedder=HashingEmbedder())
    assert set(action_executor(services, retriever).actions) == domain_actions()
