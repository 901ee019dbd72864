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

from actions.case_state import FORM, REASON_CHARS, STATE, CaseState, continues, today, verified_order
from actions.conversation import DeskFormValidation, human_button, language_of, latest_intent, send
from actions.faq import ActionAnswerFaq, answered_in_passing
from actions.handoff import hand_off
from actions.orders import ESCALATING
from desk.casework import CaseworkError
from desk.copy import say
from desk.eligibility.case_vocabulary import DONT_KNOW, NO
from desk.eligibility.case_words import Flow, read_words
from desk.eligibility.customer_case import CaseAnswer
from desk.eligibility.engine import Decision, Verdict
from desk.eligibility.reason_text import reason_text
from desk.models import RequestKind, Sender
from desk.orders.lookup_numbers import LookupKind, find_lookup_number
from desk.orders.records import SERIAL_NUMBER
from desk.request_text import next_steps, received_text
from desk.service_requests import MAX_ATTACHMENT_CHARS, MAX_ATTACHMENTS, RequestView
from desk.services import DeskServices, shared_services
from desk.triggers import detect_trigger
from desk.turns import Outcome, TurnRecord
from knowledge.language import Language
from knowledge.live import shared_retriever
from knowledge.retriever import Retriever

ANSWER = "case_answer"
ASKING = "case_asking"  # steers the rules: the form follows the answer action to ask (bot/rules/eligibility.yml)
ORDER_SLOT, SERIAL_SLOT = "request_order", "request_serial"
CASE_SLOTS = (STATE, ANSWER, ORDER_SLOT, SERIAL_SLOT)
NOT_GIVEN = "none"  # the customer does not have it: the agent asks when reviewing
MAX_TRIES = 2  # a question asked twice without an answer is not asked a third time
OPEN_REQUEST = "open_request"  # the intent of "yes, open it" (the offer's button)
OFFERED = "request_offered"  # the answer offered a request: a typed "yes" (affirm) opens it too
AFFIRM = "affirm"


def _request_slots(state: CaseState, answer: CaseAnswer) -> list[str]:
    """What the request still needs asked: the order number unless verified, a repair's serial."""
    request = answer.requested
    if not state.words.requesting or request is None or answer.question is not None:
        return []
    needed = [] if state.order is not None else [ORDER_SLOT]
    return needed + ([SERIAL_SLOT] if request[0] is RequestKind.REPAIR else [])


class ValidateEligibilityForm(DeskFormValidation):
    def __init__(self, services: DeskServices | None = None, retriever: Retriever | None = None) -> None:
        super().__init__(services)
        self._retriever = retriever

    def name(self) -> str:
        return f"validate_{FORM}"

    def _question_answered(self, text: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
        """A question for the knowledge base asked while the form waits for an answer ("退款到微信要几天"
        while the order number is asked): answered in passing, and the form asks again. A yes, a no or
        the offer's button are replies to the form."""
        if latest_intent(tracker) in (AFFIRM, "deny", OPEN_REQUEST):
            return False
        return answered_in_passing(self._retriever or shared_retriever(), dispatcher, text, language_of(tracker))

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if detect_trigger(tracker.latest_message.get("text") or ""):
            return [STATE]  # a safety incident or a complaint ends the case: the answer hands over
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
        if not starting and tracker.get_slot("requested_slot") in (ORDER_SLOT, SERIAL_SLOT):
            return {}  # the answer to a request's question (extract_request_order/serial)
        kept = CaseState.from_slot(tracker.get_slot(STATE))
        # The verified order is read once per message and kept with the case (also while the order
        # system is briefly down: a case never falls back to the words when it had the order).
        order = verified_order(self.services, tracker.sender_id, on) or (kept.order if kept else None)
        if starting and kept is not None:
            # The form takes the case the answer action read ("yes, open it": now a request).
            accepted = intent == OPEN_REQUEST or (intent == AFFIRM and tracker.get_slot(OFFERED))
            words = replace(kept.words, requesting=True) if accepted else kept.words
            started = CaseState(words, order, turns=kept.turns + 1, reason=kept.reason)
            return {STATE: started.to_slot(), ORDER_SLOT: None, SERIAL_SLOT: None}
        state = None if starting else kept
        if state is None:
            fresh = CaseState(read_words(text, on, language), order, turns=1, reason=text[:REASON_CHARS])
            return {STATE: fresh.to_slot(), ORDER_SLOT: None, SERIAL_SLOT: None}
        said = read_words(text, on, language, asked=state.asked)
        if not said.has_facts and self._question_answered(text, tracker, dispatcher):
            return {STATE: state.to_slot()}  # a question of theirs, not an answer: not counted as a try
        read = CaseState(state.words.then(said), order, state.asked, state.tries, state.turns + 1, state.reason)
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
        if found is None and self._question_answered(text, tracker, dispatcher):
            return {}  # asked again
        return self._not_given(ORDER_SLOT, "lookup_format_order", text, dispatcher, tracker)

    async def extract_request_serial(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != SERIAL_SLOT or latest_intent(tracker) in ESCALATING:
            return {}
        text = (tracker.latest_message.get("text") or "").upper()
        found = SERIAL_NUMBER.search(text)
        if found is not None:
            return {SERIAL_SLOT: found.group(0)}
        if self._question_answered(tracker.latest_message.get("text") or "", tracker, dispatcher):
            return {}  # asked again
        return self._not_given(SERIAL_SLOT, "case_serial_format", text, dispatcher, tracker)

    def _not_given(
        self, slot: str, format_key: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """A reply without the number: "don't know", anything without digits, or a second wrong
        number, is taken as not given (the agent asks when reviewing); a first wrong one gets the
        format and the question again."""
        state = CaseState.from_slot(tracker.get_slot(STATE))
        tries = state.tries if state is not None else MAX_TRIES
        if DONT_KNOW.search(text) or NO.search(text) or not any(ch.isdigit() for ch in text) or tries + 1 >= MAX_TRIES:
            return {slot: NOT_GIVEN}
        dispatcher.utter_message(text=say(format_key, language_of(tracker)))
        assert state is not None
        return {slot: None, STATE: state.with_question(state.asked, tries + 1).to_slot()}

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
        reset: list[EventType] = [SlotSet(name, None) for name in CASE_SLOTS] + [
            SlotSet(ASKING, False),
            SlotSet(OFFERED, False),
        ]
        trigger = detect_trigger(tracker.latest_message.get("text") or "")
        if trigger is not None:
            # "空调冒烟了，能保修吗": a safety incident first (P17), a complaint to a human, never a case.
            services = self._services or shared_services()
            return reset + hand_off(dispatcher, tracker, trigger, services, self._retriever or shared_retriever())
        if tracker.active_loop_name is None and tracker.latest_action_name != FORM:
            # A new case (check_eligibility, or a question that is one): decided here at once when it
            # can be, one round trip like an FAQ answer; else the form takes it and asks.
            state: CaseState | None = self._read(tracker, language)
            answer = state.answer() if state else None
            if state is not None and answer is not None and (answer.question or _request_slots(state, answer)):
                return [
                    SlotSet(STATE, state.to_slot()),
                    SlotSet(ASKING, True),
                    SlotSet(OFFERED, False),
                    FollowupAction(FORM),
                ]
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
            buttons = human_button(language)
        elif answer.estimated:
            lines.append(say("case_estimated", language))
        if answer.flow in (Flow.RETURN, Flow.EXCHANGE):
            lines += [reason_text(decision, language) for decision in answer.alternatives]
        request = answer.request if decided else None
        # The case stays in its slot after the answer: a follow-up ("我是秒杀买的", "算了，给我换一台")
        # continues it, and "yes, open it" opens the request offered.
        kept = state
        if answer.requested is not None and state.words.requesting:
            opened = self._open(tracker, state, answer)
            if opened is None:
                lines.append(say("case_request_not_opened", language))
                buttons = human_button(language)
            else:
                lines += [received_text(opened.facts, language), *next_steps(opened.facts, language)]
            kept = replace(state, words=replace(state.words, requesting=None))
        elif request is not None:
            kind = say(f"request_kind_{request[0].value}", language)
            buttons = [{"title": say("case_offer_request", language, kind=kind), "payload": f"/{OPEN_REQUEST}"}]
        send(dispatcher, "\n".join(lines), buttons, TurnRecord(Outcome.ELIGIBILITY))
        offered = any(button["payload"] == f"/{OPEN_REQUEST}" for button in buttons)
        kept_events = [event for event in reset if event.get("name") not in (STATE, OFFERED)]
        return [SlotSet(STATE, kept.to_slot()), SlotSet(OFFERED, offered), *kept_events]

    def _read(self, tracker: Tracker, language: Language) -> CaseState:
        """The message as a new case, or as more of the case answered before in this conversation
        (`continues`: "12月1日签收的", "我是秒杀买的", "算了，给我换一台")."""
        text = tracker.latest_message.get("text") or ""
        on = today()
        order = verified_order(self._services or shared_services(), tracker.sender_id, on)
        words = read_words(text, on, language)
        kept = CaseState.from_slot(tracker.get_slot(STATE))
        if kept is not None and continues(kept, words):
            order = order or kept.order
            return CaseState(kept.words.continued(words), order, turns=kept.turns + 1, reason=kept.reason)
        return CaseState(words, order, turns=1, reason=text[:REASON_CHARS])

    def _open(self, tracker: Tracker, state: CaseState, answer: CaseAnswer) -> RequestView | None:
        """The request the policy allows, opened; None when it cannot be stored (nothing is lost:
        the conversation holds it all, and a human is offered)."""
        services = self._services or shared_services()
        request = answer.requested
        assert request is not None
        kind, decision = request
        try:
            return self._opened(services, tracker, state, answer, kind, decision)
        except CaseworkError:
            return None

    def _opened(
        self,
        services: DeskServices,
        tracker: Tracker,
        state: CaseState,
        answer: CaseAnswer,
        kind: RequestKind,
        decision: Decision,
    ) -> RequestView:
        order_number = state.order.number if state.order else _given(tracker.get_slot(ORDER_SLOT))
        category = state.order.facts.category if state.order else None
        return services.requests.open(
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


def _given(value: Any) -> str | None:
    return str(value) if value and value != NOT_GIVEN else None


_ATTACHMENT = re.compile(r"^\[(?:image|video|file)\].*$", re.MULTILINE)


def _attachments(services: DeskServices, conversation_id: str) -> list[str]:
    """The photos, videos and files the customer sent in this conversation (their transcript lines):
    the latest MAX_ATTACHMENTS, each cut to what a request keeps."""
    found: list[str] = []
    for message in services.conversations.transcript(conversation_id):
        if message.sender == Sender.CUSTOMER:
            found += _ATTACHMENT.findall(message.text)
    return [line[:MAX_ATTACHMENT_CHARS] for line in found[-MAX_ATTACHMENTS:]]
