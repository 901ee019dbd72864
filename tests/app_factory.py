"""The app as tests build it: a real SQLite database, a real index of the test entries (hashing
embedder, no model) and seed files under a temporary folder; Rasa faked or at a closed port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.settings import AppSettings
from bench.system import free_port
from channels.base import ChannelAdapter
from desk.settings import DeskSettings
from engine.rasa_gateway import RasaGateway
from knowledge.entries import dump_entries
from knowledge.index import build_retriever, save_index
from knowledge.live import LiveRetriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES


def prepare_knowledge(folder: Path, embedder: HashingEmbedder | None = None) -> None:
    """An index of the test entries and seed files holding the same entries (so no rebuild at start)."""
    if (folder / "index").exists():
        return
    save_index(build_retriever(ENTRIES, embedder or HashingEmbedder()), folder / "index")
    (folder / "faq").mkdir(exist_ok=True)
    (folder / "faq" / "test.yml").write_text(dump_entries(ENTRIES), encoding="utf-8")


def build_app(
    folder: Path,
    *,
    rasa: RasaGateway | None = None,
    channels: Sequence[ChannelAdapter] | None = None,
    embedder: HashingEmbedder | None = None,
    database_url: str | None = None,
    **settings: Any,
) -> FastAPI:
    """The app over `folder` (database, index, seed files: made when missing). Without a `rasa`
    fake, Rasa's address is a closed port; `channels` None: those configured in the environment
    (the web chat by default). `database_url`: another database than the SQLite file in `folder`
    (e.g. tests/conftest.py's `database_url`). `settings` override `AppSettings`."""
    embedder = embedder or HashingEmbedder()
    prepare_knowledge(folder, embedder)
    app_settings: dict[str, Any] = {
        "rasa_url": f"http://127.0.0.1:{free_port()}",
        "rasa_timeout": 2.0,
        "warm_up_retriever": False,
        "delivery_poll_seconds": 0.2,
        **settings,
    }
    return create_app(
        AppSettings(**app_settings),
        desk_settings=DeskSettings(database_url=database_url or f"sqlite:///{folder / 'desk.db'}"),
        retriever=LiveRetriever(
            KnowledgeSettings(index_dir=folder / "index", faq_dir=folder / "faq"), embedder=embedder
        ),
        rasa=rasa,
        channels=channels,
    )
