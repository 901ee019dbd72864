from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import AppSettings
from bench.system import free_port
from desk.settings import DeskSettings
from knowledge.entries import dump_entries
from knowledge.index import build_retriever, save_index
from knowledge.live import LiveRetriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app with a real database and index, and Rasa's address pointing at a closed port.

    The knowledge base is seeded from seed files holding the index's entries (so no rebuild at start).
    """
    embedder = HashingEmbedder()
    save_index(build_retriever(ENTRIES, embedder), tmp_path / "index")
    (tmp_path / "faq").mkdir(exist_ok=True)
    (tmp_path / "faq" / "test.yml").write_text(dump_entries(ENTRIES), encoding="utf-8")
    app = create_app(
        AppSettings(rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout=2.0, warm_up_retriever=False),
        desk_settings=DeskSettings(database_url=f"sqlite:///{tmp_path / 'desk.db'}"),
        retriever=LiveRetriever(
            KnowledgeSettings(index_dir=tmp_path / "index", faq_dir=tmp_path / "faq"), embedder=embedder
        ),
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
