"""What every action needs to know about the conversation it runs in, and how it speaks."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from desk.copy import say
from desk.handoff import MAY_ESCALATE
from desk.services import DeskServices, shared_services
from desk.turns import EVIDENCE, FOLLOW_UP, MESSAGE_ID, TurnRecord, turn_payload
from knowledge.language import LANGUAGES, Language

DEFAULT_CHANNEL = "api"
# Rasa's own language when nothing says otherwise (its responses' unconditioned variations).
DEFAULT_LANGUAGE: Language = "en"


def language_of(tracker: Tracker) -> Language:
    """The turn's language, as the turn service decided it (the message metadata). A turn that no
    customer message started (an agent's resolve resuming the bot) has the conversation's language
    slot, which the turn service keeps."""
    metadata = tracker.latest_message.get("metadata") or {}
    if metadata.get("language") in LANGUAGES:
        return metadata["language"]  # type: ignore[no-any-return]
    slot = tracker.get_slot("language")
    if slot in LANGUAGES:
        return slot  # type: ignore[no-any-return]
    return DEFAULT_LANGUAGE


def channel_of(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel")
    return channel if isinstance(channel, str) and channel else DEFAULT_CHANNEL


def may_escalate(tracker: Tracker) -> bool:
    """Whether this turn may open a new escalation, as the turn service decided (`MAY_ESCALATE`);
    a turn it did not start (no such metadata) may."""
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata.get(MAY_ESCALATE) is not False


def message_id_of(event_metadata: Any) -> int | None:
    """The stored customer message a user event came from (`desk.turns.MESSAGE_ID`, which the turn
    service puts in the metadata); None for a turn no customer message started."""
    value = event_metadata.get(MESSAGE_ID) if isinstance(event_metadata, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def latest_message_id(tracker: Tracker) -> int | None:
    return message_id_of(tracker.latest_message.get("metadata"))


def searched_words(tracker: Tracker) -> str | None:
    """The words the app searched the knowledge base with when they were not the message's own (a
    follow-up read after the question before it); None: the message's own."""
    evidence = (tracker.latest_message.get("metadata") or {}).get(EVIDENCE)
    words = evidence.get(FOLLOW_UP) if isinstance(evidence, dict) else None
    return words if isinstance(words, str) and words else None


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def send(dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, str]], record: TurnRecord) -> None:
    """The customer's message (when there is one), then the turn's record for the turn service."""
    if text:
        dispatcher.utter_message(text=text, buttons=buttons)
    dispatcher.utter_message(json_message=turn_payload(record))


# Intents whose messages are questions the knowledge base may know of, for the agents' candidates:
# a lookup or a case asked in words ("订单 LM202611260001 的发票怎么开专票？"), not a bare number.
_FLOWS = frozenset({"check_eligibility", "check_order", "check_repair"})
_QUESTIONS = frozenset({"ask_faq", "nlu_fallback", None}) | _FLOWS
_NUMBER = re.compile(r"(?:LM|RMA)\s*[\d\s]+", re.IGNORECASE)


def human_button(language: Language) -> list[dict[str, str]]:
    """The offer of a human agent, as a button."""
    return [{"title": say("yes_human", language), "payload": "/request_human"}]


def last_question(tracker: Tracker) -> str | None:
    """The customer's most recent free-text question (not a button press, not a bare number)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if not text or text.startswith("/") or intent not in _QUESTIONS:
            continue
        if intent in _FLOWS and len(_NUMBER.sub("", text).strip()) < 4:
            continue  # a bare order or RMA number
        return str(text)
    return None


class DeskFormValidation(FormValidationAction, ABC):
    """A form's validation action that works with the desk: the services it was given (the app and
    the tests give them), else the process's shared ones. Abstract: rasa-sdk registers only the forms."""

    def __init__(self, services: DeskServices | None = None) -> None:
        self._services = services

    @property
    def services(self) -> DeskServices:
        return self._services or shared_services()

    @abstractmethod
    def name(self) -> str: ...
