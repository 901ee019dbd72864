"""What every action needs to know about the conversation it runs in."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.phrases import say
from knowledge.language import LANGUAGES, Language, detect_language

DEFAULT_CHANNEL = "api"
# Answers in a row that did not resolve the question (misses, 👎) before a human is offered.
MISSES_BEFORE_OFFER = 2


def language_of(tracker: Tracker) -> Language:
    """The language slot the app sets, else the message metadata, else the text itself."""
    slot = tracker.get_slot("language")
    if slot in LANGUAGES:
        return slot  # type: ignore[no-any-return]
    metadata = tracker.latest_message.get("metadata") or {}
    if metadata.get("language") in LANGUAGES:
        return metadata["language"]  # type: ignore[no-any-return]
    return detect_language(tracker.latest_message.get("text") or "")


def channel_of(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel")
    return channel if isinstance(channel, str) and channel else DEFAULT_CHANNEL


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def turn_record(outcome: str, **fields: Any) -> dict[str, Any]:
    """The machine-readable record the app reads from the bot's reply (a custom payload)."""
    return {"turn": {"outcome": outcome, **{k: v for k, v in fields.items() if v is not None}}}


def vote_buttons(faq_id: str, language: Language) -> list[dict[str, str]]:
    return [
        {"title": say("helpful", language), "payload": f'/vote{{"faq_id":"{faq_id}","vote":"up"}}'},
        {"title": say("not_helpful", language), "payload": f'/vote{{"faq_id":"{faq_id}","vote":"down"}}'},
    ]


def human_offer_buttons(language: Language) -> list[dict[str, str]]:
    return [
        {"title": say("yes_human", language), "payload": '/request_human{"handoff_reason":"unresolved"}'},
        {"title": say("no_rephrase", language), "payload": "/deny"},
    ]


def last_question(tracker: Tracker) -> str | None:
    """The customer's most recent free-text question (not a button press)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if text and not text.startswith("/") and intent in {"ask_faq", "nlu_fallback", None}:
            return str(text)
    return None
