"""The app with only the web chat as channel, for the web-chat tests (tests/app_factory.py): a real
database and index, and either Rasa's address on a closed port or a scripted stand-in for Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from channels.webchat.adapter import WebChatAdapter
from channels.webchat.settings import WebChatSettings
from engine.rasa_gateway import RasaGateway, RasaUnavailable
from tests.app_factory import build_app

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
    return build_app(tmp_path, rasa=rasa, channels=[WebChatAdapter(settings or WebChatSettings())])
