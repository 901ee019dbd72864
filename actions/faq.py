"""`action_answer_faq`: answer from the knowledge base, ask "did you mean", or admit a miss."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import (
    MISSES_BEFORE_OFFER,
    entity,
    human_offer_buttons,
    language_of,
    latest_intent,
    turn_record,
    vote_buttons,
)
from actions.handoff import hand_off
from actions.phrases import say
from desk.handoff import HandoffReason
from desk.services import DeskServices, shared_services
from desk.triggers import detect_trigger
from knowledge.abstention import Decision
from knowledge.entries import FaqEntry
from knowledge.language import Language
from knowledge.live import shared_retriever
from knowledge.retriever import Hit, Retriever, SearchResult

CLARIFY_OPTIONS = 3
# "Did you mean" offers the hits scoring at least this share of the top score.
OPTION_SHARE = 0.25
# Situations the FAQ must never answer, even when the NLU missed them.
STOP_TRIGGERS = frozenset({HandoffReason.SAFETY, HandoffReason.LEGAL_OR_MEDIA})


class ActionAnswerFaq(Action):
    def __init__(self, retriever: Retriever | None = None, services: DeskServices | None = None) -> None:
        self._retriever = retriever
        self._services = services

    def name(self) -> str:
        return "action_answer_faq"

    @property
    def retriever(self) -> Retriever:
        return self._retriever or shared_retriever()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        if latest_intent(tracker) == "choose_faq":
            faq_id = entity(tracker, "faq_id") or offered_by_ordinal(tracker)
            chosen = self.retriever.entry(str(faq_id or ""))
            if chosen is not None:
                return self._answer(dispatcher, chosen, language, confidence=None)
        text = (tracker.latest_message.get("text") or "").strip()
        trigger = detect_trigger(text)
        if trigger in STOP_TRIGGERS:
            assert trigger is not None
            return hand_off(dispatcher, tracker, trigger, self._services or shared_services(), self.retriever)

        result = self.retriever.search(text, language, k=CLARIFY_OPTIONS + 1)
        if result.decision == Decision.ANSWER and result.top is not None:
            return self._answer(dispatcher, result.top.entry, language, confidence=result.confidence)
        if result.decision == Decision.CLARIFY:
            options = clarify_options(result)
            buttons = [
                {"title": h.entry.title_in(language), "payload": f'/choose_faq{{"faq_id":"{h.entry.id}"}}'}
                for h in options
            ]
            dispatcher.utter_message(text=say("did_you_mean", language), buttons=buttons)
            dispatcher.utter_message(
                json_message=turn_record(
                    "clarified", faq_id=options[0].entry.id, confidence=round(result.confidence, 4)
                )
            )
            return []
        return self._miss(dispatcher, tracker, language, result.confidence)

    def _answer(
        self, dispatcher: CollectingDispatcher, entry: FaqEntry, language: Language, confidence: float | None
    ) -> list[EventType]:
        dispatcher.utter_message(text=entry.answer_in(language), buttons=vote_buttons(entry.id, language))
        rounded = round(confidence, 4) if confidence is not None else None
        dispatcher.utter_message(json_message=turn_record("answered", faq_id=entry.id, confidence=rounded))
        return [SlotSet("last_faq_id", entry.id), SlotSet("faq_misses", 0.0)]

    def _miss(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, language: Language, confidence: float
    ) -> list[EventType]:
        misses = int(tracker.get_slot("faq_misses") or 0) + 1
        if misses >= MISSES_BEFORE_OFFER:
            dispatcher.utter_message(text=say("offer_human", language), buttons=human_offer_buttons(language))
        else:
            dispatcher.utter_message(text=say("rephrase", language))
        dispatcher.utter_message(json_message=turn_record("fallback", confidence=round(confidence, 4)))
        return [SlotSet("faq_misses", float(misses))]


def clarify_options(result: SearchResult) -> list[Hit]:
    """The entries a "did you mean" question offers for a near tie."""
    return [h for h in result.hits if h.score >= result.confidence * OPTION_SHARE][:CLARIFY_OPTIONS]


_ORDINALS = {
    1: ("第一", "1", "一", "first", "top"),
    2: ("第二", "2", "二", "second"),
    3: ("第三", "3", "三", "third"),
}
_CHOICE_PAYLOAD = re.compile(r'^/choose_faq\{"faq_id":"([^"]+)"\}$')


def offered_by_ordinal(tracker: Tracker) -> str | None:
    """ "The second one" / "选第二个": the FAQ id of that option in the last "did you mean" list."""
    text = (tracker.latest_message.get("text") or "").lower()
    for event in reversed(tracker.events):
        buttons = (event.get("data") or {}).get("buttons") or [] if event.get("event") == "bot" else []
        options = [m.group(1) for b in buttons if (m := _CHOICE_PAYLOAD.match(str(b.get("payload", ""))))]
        if options:
            for position, words in _ORDINALS.items():
                if position <= len(options) and any(word in text for word in words):
                    return options[position - 1]
            return None
    return None
