"""The app with only the web chat as channel, for the web-chat tests: a real database and index, and
either Rasa's address on a closed port (as in conftest's `client`) or a scripted stand-in for Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.settings import AppSettings
from bench.system import free_port
from channels.webchat.adapter import WebChatAdapter
from channels.webchat.settings import WebChatSettings
from desk.settings import DeskSettings
from engine.rasa_gateway import RasaGateway, RasaUnavailable
from knowledge.entries import dump_entries
from knowledge.index import build_retriever, save_index
from knowledge.live import LiveRetriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES

VOTES = [
    {"title": "👍 Helpful", "payload": '/vote{"faq_id":"p08-warranty-battery","vote":"up"}'},
    {"title": "👎 Not helpful", "payload": '/vote{"faq_id":"p08-warranty-battery","vote":"down"}'},
]
RATING = [{"title": str(n), "payload": f'/rate{{"score":{n}}}'} for n in range(1, 6)]


class ScriptedRasa:
    """Answers every message with an FAQ answer and 👍/👎 buttons (a vote with thanks), and asks for
    the CSAT rating when resumed; `down` makes it unavailable. Records what it was sent."""

    def __init__(self) -> None:
        self.down = False
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")
        self.sent.append((sender, message, metadata))
        if message.startswith("/vote"):
            return [{"text": "Thanks for your feedback!"}, {"custom": {"turn": {"outcome": "feedback"}}}]
        return [
            {"text": "The battery has a 1-year warranty.\n\nKeep your invoice.", "buttons": VOTES},
            {"custom": {"turn": {"outcome": "answered", "faq_id": "p08-warranty-battery", "confidence": 0.97}}},
        ]

    async def set_slot(self, sender: str, name: str, value: Any, *, new_conversation: bool = False) -> None:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")

    async def resume_with(self, sender: str, intent: str) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("Rasa is unreachable: ConnectError")
        return [{"text": "How would you rate our service?", "buttons": RATING}]

    async def healthy(self) -> bool:
        return not self.down


def webchat_app(tmp_path: Path, *, rasa: RasaGateway | None = None, settings: WebChatSettings | None = None) -> FastAPI:
    embedder = HashingEmbedder()
    if not (tmp_path / "index").exists():
        save_index(build_retriever(ENTRIES, embedder), tmp_path / "index")
        (tmp_path / "faq").mkdir(exist_ok=True)
        (tmp_path / "faq" / "test.yml").write_text(dump_entries(ENTRIES), encoding="utf-8")
    return create_app(
        AppSettings(
            rasa_url=f"http://127.0.0.1:{free_port()}",
            rasa_timeout=2.0,
            warm_up_retriever=False,
            delivery_poll_seconds=0.2,
        ),
        desk_settings=DeskSettings(database_url=f"sqlite:///{tmp_path / 'desk.db'}"),
        retriever=LiveRetriever(
            KnowledgeSettings(index_dir=tmp_path / "index", faq_dir=tmp_path / "faq"), embedder=embedder
        ),
        rasa=rasa,
        channels=[WebChatAdapter(settings or WebChatSettings())],
    )
