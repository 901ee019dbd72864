"""Eligibility cases (handbook P6–P8, P10, P12, P13): "我上周买的空气净化器有异味，能退吗？".

`eligibility_form` reads the case from every message (`desk.eligibility.case_words`), decides it
(`desk.eligibility.customer_case`: the order this conversation verified, else the customer's words)
and asks for exactly the one fact that is missing, one question a turn; `action_answer_eligibility`
then states each decision with its reason and dates (`reason_text`). The case so far is kept in the
`case_state` slot as JSON; `case_answer` is the slot the form asks for and never fills: the answer
goes into the case instead. A question the customer cannot answer is asked at most twice; then the
answer says what is missing and offers a human.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import language_of, latest_intent, send
from actions.faq import ActionAnswerFaq
from actions.orders import ESCALATING
from desk.copy import say
from desk.eligibility.case_words import CaseWords, read_words
from desk.eligibility.customer_case import CaseAnswer, decide_case
from desk.eligibility.engine import Verdict
from desk.eligibility.facts import CaseFacts, Fact, from_order
from desk.eligibility.reason_text import reason_text
from desk.eligibility.rules import current_policy
from desk.models import utcnow
from desk.orders.records import Category
from desk.orders.system import OrderSystemUnavailable
from desk.services import DeskServices, shared_services
from desk.turns import Outcome, TurnRecord
from desk.working_days import beijing_date
from knowledge.retriever import Retriever

FORM = "eligibility_form"
STATE, ANSWER = "case_state", "case_answer"
MAX_TRIES = 2  # a question asked twice without an answer is not asked a third time


@dataclass(frozen=True)
class CaseState:
    """The case so far: what the messages said, the verified order's facts when the case was read
    (None: no order), the question last asked and how often in a row."""

    words: CaseWords
    order: CaseFacts | None = None
    asked: Fact | None = None
    tries: int = 0
    turns: int = 0  # messages read: every reading changes the slot, so the form never rejects one

    def to_slot(self) -> str:
        data = {
            "words": self.words.to_json(),
            "order": _order_json(self.order) if self.order is not None else None,
            "asked": self.asked,
            "tries": self.tries,
            "turns": self.turns,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_slot(cls, value: Any) -> CaseState | None:
        if not isinstance(value, str):
            return None
        try:
            data = json.loads(value)
            asked = Fact(data["asked"]) if data.get("asked") else None
            order = _order_from_json(data["order"]) if data.get("order") else None
            return cls(CaseWords.from_json(data["words"]), order, asked, int(data["tries"]), int(data["turns"]))
        except (ValueError, KeyError, TypeError):
            return None  # a slot from another version: the case starts again

    def with_question(self, asked: Fact | None, tries: int) -> CaseState:
        return replace(self, asked=asked, tries=tries)


_ORDER_DATES = ("paid_on", "delivered_on", "invoice_on")
_ORDER_FLAGS = ("flash_sale", "coupon_price", "trade_in")


def _order_json(facts: CaseFacts) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(facts, name) for name in _ORDER_FLAGS}
    data |= {name: getattr(facts, name).isoformat() for name in _ORDER_DATES if getattr(facts, name) is not None}
    return data | {"category": facts.category.value if facts.category is not None else None}


def _order_from_json(data: dict[str, Any]) -> CaseFacts:
    def day(name: str) -> date | None:
        return date.fromisoformat(data[name]) if data.get(name) else None

    return CaseFacts(
        today=_today(),
        paid_on=day("paid_on"),
        delivered_on=day("delivered_on"),
        invoice_on=day("invoice_on"),
        category=Category(data["category"]) if data.get("category") else None,
        flash_sale=data.get("flash_sale"),
        coupon_price=data.get("coupon_price"),
        trade_in=data.get("trade_in"),
    )


def _today() -> date:
    return beijing_date(utcnow())


def _order_facts(services: DeskServices, conversation_id: str, today: date) -> CaseFacts | None:
    """The facts of the order this conversation passed P19's check for (the latest), if any."""
    for case in reversed(services.lookups.cases(conversation_id)):
        number = (case.facts.get("order") or {}).get("number")
        if not number:
            continue
        try:
            order = services.orders.order(str(number))
        except OrderSystemUnavailable:
            return None  # decided on the customer's words, which the answer says are an estimate
        return from_order(order, today=today) if order is not None else None
    return None


@functools.lru_cache(maxsize=256)
def _answer_of_slot(slot: str, today: date) -> CaseAnswer | None:
    """The case in a slot, decided (a turn asks several times: the form's checks, the question, the
    answer); the slot holds every fact, so the same slot on the same day is the same answer."""
    state = CaseState.from_slot(slot)
    if state is None:
        return None
    order = replace(state.order, today=today) if state.order is not None else None
    return decide_case(state.words, today, current_policy(), order)


def _answer_of(state: CaseState) -> CaseAnswer | None:
    return _answer_of_slot(state.to_slot(), _today())


class ValidateEligibilityForm(FormValidationAction):
    def __init__(self, services: DeskServices | None = None) -> None:
        self._services = services

    @property
    def services(self) -> DeskServices:
        return self._services or shared_services()

    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        state = CaseState.from_slot(tracker.get_slot(STATE))
        if state is None:
            return [STATE, ANSWER]  # starting: the first message is read (extract_case_state)
        if state.tries >= MAX_TRIES:
            return [STATE]
        answer = _answer_of(state)
        return [STATE, ANSWER] if answer is not None and answer.question is not None else [STATE]

    async def extract_case_state(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if latest_intent(tracker) in ESCALATING:
            return {}  # the rules hand these over; nothing is read into the case
        text = tracker.latest_message.get("text") or ""
        language = language_of(tracker)
        today = _today()
        starting = not (tracker.active_loop or {}).get("name")
        state = None if starting else CaseState.from_slot(tracker.get_slot(STATE))
        # The verified order is read once per message and kept with the case.
        order = _order_facts(self.services, tracker.sender_id, today)
        if state is None:
            return {STATE: CaseState(read_words(text, today, language), order, turns=1).to_slot()}
        words = state.words.then(read_words(text, today, language, asked=state.asked))
        read = CaseState(words, order, state.asked, state.tries, state.turns + 1)
        answer = _answer_of(read)
        unanswered = answer is not None and state.asked is not None and answer.question is state.asked
        if unanswered:
            dispatcher.utter_message(text=say("case_ask_again", language))
        return {STATE: read.with_question(state.asked, state.tries + 1 if unanswered else 0).to_slot()}

    async def extract_case_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {}  # the answer is read into the case (extract_case_state); this slot stays empty

    async def validate_case_state(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {STATE: value}


class ActionAskCaseAnswer(Action):
    """The one missing fact, asked (and remembered, so the reply is read as its answer)."""

    def name(self) -> str:
        return f"action_ask_{ANSWER}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = CaseState.from_slot(tracker.get_slot(STATE))
        if state is None:
            return []
        answer = _answer_of(state)
        question = answer.question if answer is not None else None
        if question is None:
            return []
        tries = state.tries if question is state.asked else 0
        send(dispatcher, say(f"case_ask_{question.value}", language_of(tracker)), [], TurnRecord(Outcome.ELIGIBILITY))
        return [SlotSet(STATE, state.with_question(question, tries).to_slot())]


class ActionAnswerEligibility(Action):
    """The form is done: each remedy's decision with its reason, or what is still missing."""

    def __init__(self, services: DeskServices | None = None, retriever: Retriever | None = None) -> None:
        self._services = services
        self._retriever = retriever

    def name(self) -> str:
        return "action_answer_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        reset: list[EventType] = [SlotSet(STATE, None), SlotSet(ANSWER, None)]
        state = CaseState.from_slot(tracker.get_slot(STATE))
        answer = _answer_of(state) if state else None
        if answer is None:
            # Not a case after all (no remedy in the words): the knowledge base answers the question.
            return reset + await ActionAnswerFaq(self._retriever, self._services).run(dispatcher, tracker, domain)
        decided = [d for d in answer.decisions if d.verdict is not Verdict.NEEDS_FACT]
        lines = [reason_text(decision, language) for decision in decided or answer.decisions[:1]]
        buttons: list[dict[str, str]] = []
        if not decided:
            lines.append(say("case_undecided", language))
            buttons = [{"title": say("yes_human", language), "payload": "/request_human"}]
        elif answer.estimated:
            lines.append(say("case_estimated", language))
        send(dispatcher, "\n".join(lines), buttons, TurnRecord(Outcome.ELIGIBILITY))
        return reset
