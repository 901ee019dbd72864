"""Eligibility cases (handbook P6–P8, P10, P12, P13) and the requests they open (P19's last bullet):
"我上周买的空气净化器有异味，能退吗？", "I want to return it".

`eligibility_form` reads the case from every message (`desk.eligibility.case_words`), decides it
(`desk.eligibility.customer_case`: the order this conversation verified, else the customer's words)
and asks for exactly the one fact that is missing, one question a turn; a question the customer
cannot answer is asked at most twice. When the customer asked for a return, exchange or repair and
the policy allows one, the form then asks for what the request needs: the order number (unless the
order was verified) and, for a repair, the serial number (P8). `action_answer_eligibility` states
each decision with its reason and dates (`reason_text`) and opens the request (`ServiceRequests`,
which refuses one the policy does not allow), or offers to open it. The case lives in the
`case_state` slot (`actions.case_state`); `case_answer` is the slot a question asks for and never
fills: the answer is read into the case.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_state import FORM, REASON_CHARS, STATE, CaseState, today, verified_order
from actions.conversation import DeskFormValidation, language_of, latest_intent, send
from actions.faq import ActionAnswerFaq
from actions.orders import ESCALATING
from desk.copy import say
from desk.eligibility.case_vocabulary import NO
from desk.eligibility.case_words import read_words
from desk.eligibility.customer_case import CaseAnswer
from desk.eligibility.engine import Verdict
from desk.eligibility.reason_text import reason_text
from desk.models import RequestKind, Sender
from desk.orders.lookup_numbers import LookupKind, find_lookup_number
from desk.orders.records import SERIAL_NUMBER
from desk.request_text import next_steps, received_text
from desk.services import DeskServices, shared_services
from desk.turns import Outcome, TurnRecord
from knowledge.language import Language
from knowledge.retriever import Retriever

ANSWER = "case_answer"
ASKING = "case_asking"  # steers the rules: the form follows the answer action to ask (bot/rules/eligibility.yml)
ORDER_SLOT, SERIAL_SLOT = "request_order", "request_serial"
CASE_SLOTS = (STATE, ANSWER, ORDER_SLOT, SERIAL_SLOT)
NOT_GIVEN = "none"  # the customer does not have it: the agent asks when reviewing
MAX_TRIES = 2  # a question asked twice without an answer is not asked a third time
OPEN_REQUEST = "open_request"  # the intent of "yes, open it" (the offer's button)
_UNKNOWN = re.compile(r"不知道|不清楚|找不到|没有|忘了|don'?t know|not sure|can'?t find|no idea|lost it", re.IGNORECASE)


def _request_slots(state: CaseState, answer: CaseAnswer) -> list[str]:
    """What the request still needs asked: the order number unless verified, a repair's serial."""
    request = answer.request
    if not state.words.requesting or request is None or answer.question is not None:
        return []
    needed = [] if state.order is not None else [ORDER_SLOT]
    return needed + ([SERIAL_SLOT] if request[0] is RequestKind.REPAIR else [])


class ValidateEligibilityForm(DeskFormValidation):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        state = CaseState.from_slot(tracker.get_slot(STATE))
        if state is None:
            return [STATE, ANSWER]  # starting: the first message is read (extract_case_state)
        answer = state.answer()
        if answer is None or state.tries >= MAX_TRIES:
            return [STATE]
        if answer.question is not None:
            return [STATE, ANSWER]
        return [STATE, *_request_slots(state, answer)]

    async def extract_case_state(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = latest_intent(tracker)
        if intent in ESCALATING:
            return {}  # the rules hand these over; nothing is read into the case
        text = tracker.latest_message.get("text") or ""
        language = language_of(tracker)
        on = today()
        # While the form runs it always asks for something; Rasa marks the loop active before the
        # first validation, so a form starting is told by nothing being asked yet.
        starting = tracker.get_slot("requested_slot") is None
        kept = CaseState.from_slot(tracker.get_slot(STATE))
        # The verified order is read once per message and kept with the case.
        order = verified_order(self.services, tracker.sender_id, on)
        if starting and intent == OPEN_REQUEST and kept is not None:
            # "Yes, open it" after an allowed answer: the same case, now a request.
            words = replace(kept.words, requesting=True)
            return {STATE: CaseState(words, order, turns=kept.turns + 1, reason=kept.reason).to_slot()}
        state = None if starting else kept
        if state is None:
            fresh = CaseState(read_words(text, on, language), order, turns=1, reason=text[:REASON_CHARS])
            return {STATE: fresh.to_slot(), ORDER_SLOT: None, SERIAL_SLOT: None}
        if tracker.get_slot("requested_slot") in (ORDER_SLOT, SERIAL_SLOT):
            return {}  # the answer to a request's question (extract_request_order/serial)
        words = state.words.then(read_words(text, on, language, asked=state.asked))
        read = CaseState(words, order, state.asked, state.tries, state.turns + 1, state.reason)
        answer = read.answer()
        unanswered = answer is not None and state.asked is not None and answer.question is state.asked
        if unanswered:
            dispatcher.utter_message(text=say("case_ask_again", language))
        return {STATE: read.with_question(state.asked, state.tries + 1 if unanswered else 0).to_slot()}

    async def extract_case_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {}  # the answer is read into the case (extract_case_state); this slot stays empty

    async def extract_request_order(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != ORDER_SLOT or latest_intent(tracker) in ESCALATING:
            return {}
        text = tracker.latest_message.get("text") or ""
        found = find_lookup_number(text)
        if found is not None and found.kind is LookupKind.ORDER:
            return {ORDER_SLOT: found.number}
        if _UNKNOWN.search(text) or NO.search(text):
            return {ORDER_SLOT: NOT_GIVEN}
        dispatcher.utter_message(text=say("lookup_format_order", language_of(tracker)))
        return {ORDER_SLOT: None}

    async def extract_request_serial(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != SERIAL_SLOT or latest_intent(tracker) in ESCALATING:
            return {}
        text = (tracker.latest_message.get("text") or "").upper()
        found = SERIAL_NUMBER.search(text)
        if found is not None:
            return {SERIAL_SLOT: found.group(0)}
        if _UNKNOWN.search(text) or NO.search(text):
            return {SERIAL_SLOT: NOT_GIVEN}
        dispatcher.utter_message(text=say("case_serial_format", language_of(tracker)))
        return {SERIAL_SLOT: None}

    async def validate_case_state(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {STATE: value}

    async def validate_request_order(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {ORDER_SLOT: value}

    async def validate_request_serial(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {SERIAL_SLOT: value}


class ActionAskCaseAnswer(Action):
    """The one missing fact, asked (and remembered, so the reply is read as its answer)."""

    def name(self) -> str:
        return f"action_ask_{ANSWER}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = CaseState.from_slot(tracker.get_slot(STATE))
        answer = state.answer() if state is not None else None
        if state is None or answer is None or answer.question is None:
            return []
        question = answer.question
        tries = state.tries if question is state.asked else 0
        send(dispatcher, say(f"case_ask_{question.value}", language_of(tracker)), [], TurnRecord(Outcome.ELIGIBILITY))
        return [SlotSet(STATE, state.with_question(question, tries).to_slot())]


class ActionAskRequestOrder(Action):
    def name(self) -> str:
        return f"action_ask_{ORDER_SLOT}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        send(dispatcher, say("case_ask_request_order", language_of(tracker)), [], TurnRecord(Outcome.ELIGIBILITY))
        return []


class ActionAskRequestSerial(Action):
    def name(self) -> str:
        return f"action_ask_{SERIAL_SLOT}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        send(dispatcher, say("case_ask_request_serial", language_of(tracker)), [], TurnRecord(Outcome.ELIGIBILITY))
        return []


class ActionAnswerEligibility(Action):
    """The form is done: each remedy's decision with its reason (or what is still missing), then
    the request opened, or offered when the policy allows one the customer did not ask for."""

    def __init__(self, services: DeskServices | None = None, retriever: Retriever | None = None) -> None:
        self._services = services
        self._retriever = retriever

    def name(self) -> str:
        return "action_answer_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        reset: list[EventType] = [SlotSet(name, None) for name in CASE_SLOTS] + [SlotSet(ASKING, False)]
        if tracker.active_loop_name is None and tracker.latest_action_name != FORM:
            # A new case (check_eligibility, or a question that is one): decided here at once when it
            # can be, one round trip like an FAQ answer; else the form takes it and asks.
            state: CaseState | None = self._read(tracker, language)
            answer = state.answer() if state else None
            if state is not None and answer is not None and (answer.question or _request_slots(state, answer)):
                return [SlotSet(STATE, state.to_slot()), SlotSet(ASKING, True), FollowupAction(FORM)]
        else:
            state = CaseState.from_slot(tracker.get_slot(STATE))
            answer = state.answer() if state else None
        if state is None or answer is None:
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
        request = answer.request if decided else None
        if request is not None and state.words.requesting:
            lines += self._open(tracker, state, answer, language)
        elif request is not None:
            # Offered, not opened: the case stays in its slot for "yes, open it" (intent open_request).
            kind = say(f"request_kind_{request[0].value}", language)
            buttons = [{"title": say("case_offer_request", language, kind=kind), "payload": f"/{OPEN_REQUEST}"}]
            send(dispatcher, "\n".join(lines), buttons, TurnRecord(Outcome.ELIGIBILITY))
            kept: list[EventType] = [SlotSet(STATE, state.to_slot())]
            return kept + [SlotSet(name, None) for name in CASE_SLOTS if name != STATE] + [SlotSet(ASKING, False)]
        send(dispatcher, "\n".join(lines), buttons, TurnRecord(Outcome.ELIGIBILITY))
        return reset

    def _read(self, tracker: Tracker, language: Language) -> CaseState:
        text = tracker.latest_message.get("text") or ""
        on = today()
        order = verified_order(self._services or shared_services(), tracker.sender_id, on)
        return CaseState(read_words(text, on, language), order, turns=1, reason=text[:REASON_CHARS])

    def _open(self, tracker: Tracker, state: CaseState, answer: CaseAnswer, language: Language) -> list[str]:
        """Open the request the policy allows; its confirmation and what happens next."""
        services = self._services or shared_services()
        request = answer.request
        assert request is not None
        kind, decision = request
        order_number = state.order.number if state.order else _given(tracker.get_slot(ORDER_SLOT))
        category = state.order.facts.category if state.order else None
        opened = services.requests.open(
            tracker.sender_id,
            kind,
            allowed=decision.verdict is Verdict.ALLOWED,
            eligibility={**decision.as_json(), "estimated": answer.estimated},
            order_number=order_number,
            serial_number=_given(tracker.get_slot(SERIAL_SLOT)),
            category=(category or state.words.category or None),
            reason=state.reason,
            quality_problem=state.words.quality_problem is True,
            attachments=_attachments(services, tracker.sender_id),
        )
        facts = opened.facts
        return [received_text(facts, language), *next_steps(facts, language)]


def _given(value: Any) -> str | None:
    return str(value) if value and value != NOT_GIVEN else None


_ATTACHMENT = re.compile(r"^\[(?:image|video|file)\].*$", re.MULTILINE)


def _attachments(services: DeskServices, conversation_id: str) -> list[str]:
    """The photos, videos and files the customer sent in this conversation (their transcript lines)."""
    found: list[str] = []
    for message in services.conversations.transcript(conversation_id):
        if message.sender == Sender.CUSTOMER:
            found += _ATTACHMENT.findall(message.text)
    return found
