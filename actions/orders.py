"""Order and repair lookups (handbook P19): the form that asks for the number and the phone check,
and the answer. The rules and limits are `desk.orders`; these actions only hold the conversation.

`order_lookup_form` fills `lookup_number` (an order or RMA number, read from whatever the customer
wrote) and `phone_check` ("passed" once the last 4 digits matched: the digits themselves are never
kept in a slot). The check runs while validating, so a failure is said at once and the form asks
again; when the limits are reached or the order system is down, `lookup_stop` says so and the form
ends without asking more. `action_show_lookup` then answers, or offers a human.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import DeskFormValidation, human_button, language_of, latest_intent, may_escalate, send
from actions.handoff import hand_off
from desk.copy import say
from desk.handoff import HandoffReason
from desk.orders.lookup import LookupOutcome, LookupResult
from desk.orders.lookup_numbers import LookupKind, LookupNumber, find_lookup_number, near_miss
from desk.orders.phone_check import last_digits
from desk.services import DeskServices, shared_services
from desk.turns import Outcome, TurnRecord
from knowledge.live import shared_retriever
from knowledge.retriever import Retriever

FORM = "order_lookup_form"
PASSED = "passed"
LOOKUP_SLOTS = ("lookup_number", "lookup_kind", "phone_check", "lookup_stop")
# Intents that leave the form for a human (bot/rules/orders.yml): never read as an answer to it.
ESCALATING = frozenset({"request_human", "complain", "report_safety_incident", "demand_compensation"})


def _lookup(tracker: Tracker) -> LookupNumber | None:
    number, kind = tracker.get_slot("lookup_number"), tracker.get_slot("lookup_kind")
    if not number or kind not in set(LookupKind):
        return None
    return LookupNumber(LookupKind(kind), str(number))


def _activating(tracker: Tracker) -> bool:
    """Whether the form is starting with this message (Rasa validates before it marks it active)."""
    return not (tracker.active_loop or {}).get("name")


class ValidateOrderLookupForm(DeskFormValidation):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # A stop (limits reached, order system down) ends the form: nothing more is asked. (One left
        # from an earlier lookup does not count while the form starts: it is reset then.)
        stopped = tracker.get_slot("lookup_stop") and not _activating(tracker)
        return [] if stopped else ["lookup_number", "phone_check"]

    # rasa-sdk returns only what the validate_<slot> methods give back (the extract_<slot> values are
    # their input): the digits go in, only "passed" (or nothing) comes out.

    async def extract_lookup_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if latest_intent(tracker) in ESCALATING:
            return {}
        text = tracker.latest_message.get("text") or ""
        found = find_lookup_number(text)
        if found is not None:
            return {"lookup_number": found.number}
        asked = tracker.get_slot("requested_slot") == "lookup_number"
        if _activating(tracker) or (asked and near_miss(text) is not None):
            # Nothing well-formed: an empty value starts the form (or keeps it going) and asks.
            return {"lookup_number": None}
        return {}

    async def validate_lookup_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        found = find_lookup_number(str(value or ""))
        fresh: dict[str, Any] = {"phone_check": None, "lookup_stop": None}
        if found is None:
            missed = near_miss(text)
            if missed is not None:
                dispatcher.utter_message(text=say(f"lookup_format_{missed}", language_of(tracker)))
            kind = missed or (LookupKind.REPAIR if latest_intent(tracker) == "check_repair" else None)
            if _activating(tracker):
                return fresh | {"lookup_number": None, "lookup_kind": str(kind or LookupKind.ORDER)}
            return {"lookup_number": None} | ({"lookup_kind": str(kind)} if kind else {})
        # A new number starts a new check; one this conversation passed already is shown afresh.
        slots = fresh | {"lookup_number": found.number, "lookup_kind": str(found.kind)}
        lookups = self.services.lookups
        standing = lookups.standing(tracker.sender_id, found.number)
        if standing.verified:
            return slots | self._after_check(lookups.refresh(tracker.sender_id, found), dispatcher, tracker)
        if standing.locked:
            return slots | {"lookup_stop": str(LookupOutcome.LOCKED)}
        return slots

    async def extract_phone_check(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "phone_check" or latest_intent(tracker) in ESCALATING:
            return {}
        text = tracker.latest_message.get("text") or ""
        if _lookup(tracker) is None or find_lookup_number(text) is not None:
            return {}
        digits = last_digits(text)
        if digits is not None:
            return {"phone_check": digits}
        if any(ch.isdigit() for ch in text):
            dispatcher.utter_message(text=say("lookup_digits_help", language_of(tracker)))
            return {"phone_check": None}
        return {}  # not an answer: a question or small talk, which the rules take (the form resumes)

    async def validate_phone_check(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lookup = _lookup(tracker)
        if value == PASSED or lookup is None or not isinstance(value, str) or not value.isdigit():
            return {"phone_check": PASSED if value == PASSED else None}
        result = self.services.lookups.check(tracker.sender_id, lookup, value)
        return self._after_check(result, dispatcher, tracker)

    def _after_check(self, result: LookupResult, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        language = language_of(tracker)
        if result.outcome == LookupOutcome.PASSED:
            return {"phone_check": PASSED}
        if result.outcome == LookupOutcome.FAILED:
            dispatcher.utter_message(text=say("lookup_mismatch", language, tries=result.tries_left))
            return {"phone_check": None}
        return {"phone_check": None, "lookup_stop": str(result.outcome)}


class ActionAskLookupNumber(Action):
    def name(self) -> str:
        return "action_ask_lookup_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kind = tracker.get_slot("lookup_kind") or LookupKind.ORDER
        send(dispatcher, say(f"lookup_ask_{kind}", language_of(tracker)), [], TurnRecord(Outcome.LOOKUP))
        return []


class ActionAskPhoneCheck(Action):
    def name(self) -> str:
        return "action_ask_phone_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        send(dispatcher, say("lookup_ask_phone", language_of(tracker)), [], TurnRecord(Outcome.LOOKUP))
        return []


class ActionShowLookup(Action):
    """The form is done: the order or repair as the check allows, or why not (and a human)."""

    def __init__(self, services: DeskServices | None = None, retriever: Retriever | None = None) -> None:
        self._services = services
        self._retriever = retriever

    def name(self) -> str:
        return "action_show_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        services = self._services or shared_services()
        language = language_of(tracker)
        reset = [SlotSet(name, None) for name in LOOKUP_SLOTS]
        stop, lookup = tracker.get_slot("lookup_stop"), _lookup(tracker)
        if stop or lookup is None or tracker.get_slot("phone_check") != PASSED:
            key = "lookup_unavailable" if stop == LookupOutcome.UNAVAILABLE else "lookup_locked"
            send(dispatcher, say(key, language), human_button(language), TurnRecord(Outcome.FALLBACK, reason=key))
            return reset
        case = services.lookups.case(tracker.sender_id, lookup.number)
        if case is None:  # a passed check always keeps its case; never answer without one
            send(dispatcher, say("lookup_unavailable", language), human_button(language), TurnRecord(Outcome.FALLBACK))
            return reset
        answer = case.answer[language]
        if case.stalled and not may_escalate(tracker):
            # P3, but this conversation may open no more escalations lately: say so, offer a human.
            text = f"{answer}\n{say('lookup_stalled_noted', language)}"
            send(dispatcher, text, human_button(language), TurnRecord(Outcome.LOOKUP))
            return reset
        if case.stalled:
            # P3: tracking has not moved for 72 hours: a parcel investigation, the order attached.
            dispatcher.utter_message(text=f"{answer}\n{say('lookup_stalled', language)}")
            events = hand_off(
                dispatcher,
                tracker,
                HandoffReason.PARCEL_INVESTIGATION,
                services,
                self._retriever or shared_retriever(),
            )
            return reset + events
        send(dispatcher, answer, [], TurnRecord(Outcome.LOOKUP))
        return reset


class ActionDropLookup(Action):
    """The customer no longer wants the lookup (the rules deactivated the form)."""

    def name(self) -> str:
        return "action_drop_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        send(dispatcher, say("lookup_dropped", language_of(tracker)), [], TurnRecord(Outcome.SMALLTALK))
        return [SlotSet(name, None) for name in LOOKUP_SLOTS]
