"""The app with only the web chat as channel, for the web-chat tests (tests/app_factory.py): a real
database and index, and either Rasa's address on a closed port or a scripted stand-in for Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from channels.webchat.adapter import WebChatAdapter
from channels.webchat.settings import WebChatSettings
from desk.turns import Outcome, TurnRecord, turn_payload
from engine.rasa_gateway import RasaGateway
from tests.app_factory import build_app
from tests.fake_rasa import FakeRasa

VOTES = [
    {"title": "👍 Helpful", "payload": '/vote{"faq_id":"p08-warranty-battery","vote":"up"}'},
    {"title": "👎 Not helpful", "payload": '/vote{"faq_id":"p08-warranty-battery","vote":"down"}'},
]
RATING = [{"title": str(n), "payload": f'/rate{{"score":{n}}}'} for n in range(1, 6)]


def answer_or_thank(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's part: an FAQ answer with 👍/👎 buttons to every message, thanks for a vote."""
    if message.startswith("/vote"):
        return [{"text": "Thanks for your feedback!"}, {"custom": turn_payload(TurnRecord(Outcome.FEEDBACK))}]
    answered = TurnRecord(Outcome.ANSWERED, faq_id="p08-warranty-battery", confidence=0.97)
    return [
        {"text": "The battery has a 1-year warranty.\n\nKeep your invoice.", "buttons": VOTES},
        {"custom": turn_payload(answered)},
    ]


def ask_rating(sender: str, intent: str) -> list[dict[str, Any]]:
    """Rasa's part when a conversation is resumed: the CSAT question."""
    return [{"text": "How would you rate our service?", "buttons": RATING}]


def webchat_rasa() -> FakeRasa:
    return FakeRasa(answer_or_thank, resumed=ask_rating)


def webchat_app(tmp_path: Path, *, rasa: RasaGateway | None = None, settings: WebChatSettings | None = None) -> FastAPI:
    return build_app(tmp_path, rasa=rasa, channels=[WebChatAdapter(settings or WebChatSettings())])
