from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from api.routes.action_endpoint import action_executor
from desk.database import upgrade_schema
from desk.services import DeskServices
from desk.settings import DeskSettings
from knowledge.abstention import Thresholds
from knowledge.index import build_retriever, save_index
from knowledge.live import LiveRetriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES


@pytest.fixture
def services(tmp_path: Path) -> DeskServices:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade_schema(url)
    return DeskServices.for_settings(DeskSettings(database_url=url))


@pytest.fixture
def executor(tmp_path: Path, services: DeskServices) -> ActionExecutor:
    embedder = HashingEmbedder()
    save_index(build_retriever(ENTRIES, embedder), tmp_path / "index")
    calibration = tmp_path / "calibration.yml"
    from knowledge.calibration import Calibration, save_calibration

    # A four-entry knowledge base spreads little probability: nonsense still scores about 0.4.
    thresholds = Thresholds(answer=0.55, margin=0.1, clarify=0.45)
    save_calibration(calibration, Calibration({"zh": thresholds, "en": thresholds}), "test")
    live = LiveRetriever(
        KnowledgeSettings(index_dir=tmp_path / "index", calibration_file=calibration), embedder=embedder
    )
    return action_executor(services, live)


def action_call(
    action: str,
    text: str,
    intent: str,
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = "conv-1",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body Rasa 3.6 posts to the action endpoint (`metadata`: the message's, beside its channel)."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": {"channel": "api", **(metadata or {})},
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {
                "language": "en",
                "last_faq_id": None,
                "faq_misses": 0.0,
                "feedback_comment": None,
                **(slots or {}),
            },
            "latest_message": latest,
            "events": (events or [])
            + [{"event": "user", "text": text, "parse_data": latest, "metadata": latest["metadata"]}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
