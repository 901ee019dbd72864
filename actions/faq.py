"""`action_answer_faq`: answer from the knowledge base, ask "did you mean", or admit a miss
(the reply policy is `desk.replies`)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_state import taken_for_a_question
from actions.conversation import entity, language_of, latest_intent, searched_words, send
from actions.handoff import hand_off
from desk.replies import FaqReply, answer, offered_entries, reply_to_question
from desk.services import DeskServices, shared_services
from desk.turns import Outcome, TurnRecord
from knowledge.language import Language
from knowledge.live import shared_retriever
from knowledge.retriever import Retriever


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
                return self._reply(dispatcher, answer(chosen, language))
        text = (tracker.latest_message.get("text") or "").strip()
        if latest_intent(tracker) in ("ask_faq", "nlu_fallback") and not tracker.active_loop_name:
            case = taken_for_a_question(text, language, tracker.get_slot("case_state"))
            if case is not None:
                return case  # the customer's own case: decided, not recited
        misses = int(tracker.get_slot("faq_misses") or 0)
        reply = reply_to_question(self.retriever, text, language, misses, searched=searched_words(tracker)).reply
        if reply.outcome == Outcome.HANDOFF and reply.handoff_reason is not None:
            services = self._services or shared_services()
            return hand_off(dispatcher, tracker, reply.handoff_reason, services, self.retriever)
        return self._reply(dispatcher, reply)

    def _reply(self, dispatcher: CollectingDispatcher, reply: FaqReply) -> list[EventType]:
        send_reply(dispatcher, reply)
        if reply.outcome == Outcome.ANSWERED:
            return [SlotSet("last_faq_id", reply.faq_id), SlotSet("faq_misses", 0.0)]
        if reply.outcome == Outcome.FALLBACK:
            return [SlotSet("faq_misses", float(reply.misses))]
        return []


def send_reply(dispatcher: CollectingDispatcher, reply: FaqReply) -> None:
    send(dispatcher, reply.text, reply.buttons, TurnRecord(reply.outcome, reply.faq_id, reply.confidence))


def answered_in_passing(retriever: Retriever, dispatcher: CollectingDispatcher, text: str, language: Language) -> bool:
    """A question the knowledge base answers outright, asked while a form waits for something else
    ("换货的运费谁出" while a case waits for the delivery date): answered, and True; the form then asks
    its own question again. Anything less sure (a "did you mean", a miss) stays the form's to read."""
    reply = reply_to_question(retriever, text, language).reply
    if reply.outcome != Outcome.ANSWERED:
        return False
    send_reply(dispatcher, reply)
    return True


_ORDINALS = {
    1: ("第一", "1", "一", "first", "top"),
    2: ("第二", "2", "二", "second"),
    3: ("第三", "3", "三", "third"),
}


def offered_by_ordinal(tracker: Tracker) -> str | None:
    """ "The second one" / "选第二个": the FAQ id of that option in the last "did you mean" list."""
    text = (tracker.latest_message.get("text") or "").lower()
    for event in reversed(tracker.events):
        buttons = (event.get("data") or {}).get("buttons") or [] if event.get("event") == "bot" else []
        options = offered_entries(buttons)
        if options:
            for position, words in _ORDINALS.items():
                if position <= len(options) and any(word in text for word in words):
                    return options[position - 1]
            return None
    return None
