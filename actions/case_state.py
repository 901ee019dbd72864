"""An eligibility case between the messages of a conversation: kept as JSON in the `case_state` slot
(Rasa keeps it with the tracker; the action server holds nothing), and decided from it.

The state holds everything the decision needs: the customer's words so far, the verified order's
facts as they were read, the question last asked and how often, and for a request the order number
and the customer's own words. So the same slot on the same day is the same decision: a turn that
asks for it several times (the form's checks, the question, the answer) decides once.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from rasa_sdk.events import EventType, FollowupAction

from desk.eligibility.case_vocabulary import OWN_ITEM
from desk.eligibility.case_words import CaseWords, names_remedy, read_words
from desk.eligibility.customer_case import CaseAnswer, decide_case
from desk.eligibility.facts import CaseFacts, Fact, from_order
from desk.eligibility.rules import current_policy
from desk.models import utcnow
from desk.orders.records import Category
from desk.orders.system import OrderSystemUnavailable
from desk.services import DeskServices
from desk.triggers import detect_trigger
from desk.working_days import beijing_date
from knowledge.language import Language

FORM = "eligibility_form"
ANSWER_ACTION = "action_answer_eligibility"
STATE = "case_state"
REASON_CHARS = 500  # the customer's first words, kept as a request's reason


@dataclass(frozen=True)
class VerifiedOrder:
    """The order this conversation passed P19's check for, as the case uses it."""

    number: str
    facts: CaseFacts


@dataclass(frozen=True)
class CaseState:
    """The case so far."""

    words: CaseWords
    order: VerifiedOrder | None = None
    asked: Fact | None = None
    tries: int = 0  # the same question asked again without an answer
    turns: int = 0  # messages read: every reading changes the slot, so the form never rejects one
    reason: str = ""  # the customer's first message, for a request

    def to_slot(self) -> str:
        data = {
            "words": self.words.to_json(),
            "order": {"number": self.order.number, **_order_json(self.order.facts)} if self.order else None,
            "asked": self.asked,
            "tries": self.tries,
            "turns": self.turns,
            "reason": self.reason,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_slot(cls, value: Any) -> CaseState | None:
        if not isinstance(value, str):
            return None
        try:
            data = json.loads(value)
            asked = Fact(data["asked"]) if data.get("asked") else None
            raw = data.get("order")
            order = VerifiedOrder(str(raw["number"]), _order_from_json(raw)) if raw else None
            words = CaseWords.from_json(data["words"])
            return cls(words, order, asked, int(data["tries"]), int(data["turns"]), str(data.get("reason") or ""))
        except (ValueError, KeyError, TypeError):
            return None  # a slot from another version: the case starts again

    def with_question(self, asked: Fact | None, tries: int) -> CaseState:
        return replace(self, asked=asked, tries=tries)

    def answer(self) -> CaseAnswer | None:
        return _answer_of_slot(self.to_slot(), today())


def continues(kept: CaseState, words: CaseWords) -> bool:
    """Whether a message after an eligibility answer is more of that case: it names no remedy but
    gives a fact ("12月1日签收的", "我是秒杀买的"), or names another remedy for the same item without a
    date of its own ("算了不退了，给我换一台新的吧"). Another product or its own date: a new case."""
    same_item = words.category is None or words.category is kept.words.category
    if words.flow is None:
        return same_item and words.has_facts
    return same_item and not words.dates


def taken_for_a_question(text: str, language: Language, kept_slot: Any = None) -> list[EventType] | None:
    """The eligibility answer (which hands over to the form when it must ask) for a message NLU took
    for a knowledge-base question that is the customer's own case: a remedy and a fact of their item
    ("这个净化器有异味，能换货吗") or the item said to be theirs ("我的净化器…可以退差价吗"), or more of the
    case answered before (`kept_slot`: "12月1日签收的"); not a question about the policy ("质量问题退货
    运费谁出") nor a case supposed. None when it is one for the knowledge base."""
    if detect_trigger(text) is not None:
        return None  # a safety incident or a complaint: the knowledge base's reply hands it over
    kept = CaseState.from_slot(kept_slot)
    if kept is None and not names_remedy(text):
        return None  # most questions: no case, and no dates read on the FAQ's path
    words = read_words(text, today(), language)
    if words.flow is None and kept is not None and continues(kept, words):
        return [FollowupAction(ANSWER_ACTION)]  # more of the case answered before
    # Theirs: a date of the item, the item said to be theirs ("我的净化器付款三天后降价了", "这台"), or what
    # it does wrong. A condition, cause or price flag alone is how a policy question is put
    # ("已经开机激活过的还能无理由退吗", "用券买的价格能申请价保吗").
    own = bool(words.dates) or bool(OWN_ITEM.search(text)) or bool(words.symptom)
    if words.flow is None or not own or words.policy_question or not words.is_case:
        return None  # a question about the policy, or a case supposed ("And if I've opened a filter pack…?")
    return [FollowupAction(ANSWER_ACTION)]


def today() -> date:
    return beijing_date(utcnow())


def verified_order(services: DeskServices, conversation_id: str, on: date) -> VerifiedOrder | None:
    """The latest order this conversation passed P19's check for (an order's, or a repair's order)."""
    for case in reversed(services.lookups.cases(conversation_id)):
        number = (case.facts.get("order") or {}).get("number")
        if not number:
            continue
        try:
            order = services.orders.order(str(number))
        except OrderSystemUnavailable:
            return None  # decided on the customer's words, which the answer says are an estimate
        return VerifiedOrder(order.number, from_order(order, today=on)) if order is not None else None
    return None


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
        today=today(),
        paid_on=day("paid_on"),
        delivered_on=day("delivered_on"),
        invoice_on=day("invoice_on"),
        category=Category(data["category"]) if data.get("category") else None,
        flash_sale=data.get("flash_sale"),
        coupon_price=data.get("coupon_price"),
        trade_in=data.get("trade_in"),
    )


@functools.lru_cache(maxsize=256)
def _answer_of_slot(slot: str, on: date) -> CaseAnswer | None:
    state = CaseState.from_slot(slot)
    if state is None:
        return None
    order = replace(state.order.facts, today=on) if state.order is not None else None
    return decide_case(state.words, on, current_policy(), order)
