"""The facts of a case in a customer's words (docs/eligibility-cases.md, "How a case is read").

`read_words(text, today, language, asked=…)` gives what one message says: which remedy the customer
is after (`Flow`, and for invoices which one), the product, the faulty part, whether it is a quality
problem, P6's conditions, P8's causes, P12's flags, P13's facts, and each date with what it is the
date of (delivery, payment, invoice: from the verb of its clause, `case_dates`). `asked` is the fact
the assistant has just asked for: a bare "上周一" or "yes" is read as the answer to it. Nothing found is
None (not known); `CaseWords.then(later)` lets a later message add to or correct an earlier one.

The words themselves are `case_vocabulary`'s; this module decides what they say (a said "no" beats a
"yes", a fault beats a change of mind, which date belongs to the case). Traditional characters are
read as simplified ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from desk.eligibility import case_vocabulary as words
from desk.eligibility.case_dates import DateSaid, dates_said
from desk.eligibility.clause_meaning import THRESHOLDS, Meaning, clause_reader
from desk.eligibility.date_ranges import Language
from desk.eligibility.facts import DamageCause, Fact, Part
from desk.eligibility.rules import Anchor
from desk.orders.records import Category
from knowledge.text import customer_words

T = TypeVar("T")


class Flow(StrEnum):
    """What the customer is after: each flow's answer states the decisions of its remedies."""

    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    WARRANTY = "warranty"
    INSTALLATION = "installation"
    PRICE_PROTECTION = "price_protection"
    INVOICE = "invoice"


class InvoiceChange(StrEnum):
    TITLE = "invoice_title_change"
    SPECIAL = "special_invoice"


@dataclass(frozen=True)
class CaseWords:
    """What the customer's messages say of the case; None: not said."""

    flow: Flow | None = None
    invoice_change: InvoiceChange | None = None
    requesting: bool | None = None  # "I want to return it" rather than "can I return it?"
    policy_question: bool | None = None  # "how long is …", "怎么…": how the policy works
    hypothetical: bool | None = None  # "如果…", "what if …": a case supposed, not the customer's own
    category: Category | None = None
    part: Part | None = None
    quality_problem: bool | None = None
    symptom: bool | None = None  # the fault said by what the product does ("不制冷", "lukewarm air")
    opened_consumable: bool | None = None
    used_beyond_inspection: bool | None = None
    incomplete: bool | None = None
    customised: bool | None = None
    gift_card: bool | None = None
    damage_causes: frozenset[DamageCause] | None = None
    flash_sale: bool | None = None
    coupon_price: bool | None = None
    trade_in: bool | None = None
    price_protection_used: bool | None = None
    is_company: bool | None = None
    invoice_title_changed: bool | None = None
    dates: tuple[DateSaid, ...] = ()

    def then(self, later: CaseWords) -> CaseWords:
        """These words, with what a later message says added or corrected (a later date of the same
        kind replaces the earlier one)."""
        changes: dict[str, object] = {}
        for field in fields(self):
            value = getattr(later, field.name)
            if field.name == "dates":
                kept = tuple(said for said in self.dates if all(said.anchor != new.anchor for new in later.dates))
                changes["dates"] = kept + later.dates
            elif field.name in ("flow", "invoice_change") and getattr(self, field.name) is not None:
                continue  # the case stays what it started as ("the invoice is dated …" answers it)
            elif field.name == "damage_causes" and value is not None and self.damage_causes:
                changes["damage_causes"] = self.damage_causes | value
            elif value is not None:
                changes[field.name] = value
        return replace(self, **changes)  # type: ignore[arg-type]

    def continued(self, later: CaseWords) -> CaseWords:
        """These words with a later message's after an answer: like `then`, but a remedy the later
        message names is now the one asked about ("算了不退了，给我换一台" after a refused return)."""
        merged = self.then(later)
        if later.flow is None:
            return merged
        return replace(merged, flow=later.flow, invoice_change=later.invoice_change)

    @property
    def has_facts(self) -> bool:
        """Whether the words say something of the customer's own item: a date, the fault or its
        absence, a condition, a cause, a price flag, a changed invoice title. (Being a company is
        not one: "Can I get a VAT invoice for my company?" asks how the policy works.)"""
        facts = (
            self.quality_problem, self.opened_consumable, self.used_beyond_inspection, self.incomplete,
            self.customised, self.gift_card, self.damage_causes, self.flash_sale, self.coupon_price,
            self.trade_in, self.price_protection_used, self.invoice_title_changed,
        )  # fmt: skip
        return bool(self.dates) or any(fact is not None for fact in facts)

    @property
    def is_case(self) -> bool:
        """Whether the words are about the customer's own item: anything but a question about the policy
        with no fact of the item ("how long is the battery warranty?" is for the knowledge base) or a
        case supposed ("如果第十天才发现质量问题，还能退吗？") that asks for nothing."""
        if self.hypothetical:
            return bool(self.requesting)
        return bool(self.requesting or self.has_facts or not self.policy_question)

    def date_of(self, anchor: Anchor) -> DateSaid | None:
        return next((said for said in self.dates if said.anchor is anchor), None)

    def to_json(self) -> dict[str, Any]:
        """As JSON values (kept in a Rasa slot between the messages of a case); None left out."""
        data: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "dates":
                data["dates"] = [[d.anchor.value, d.earliest.isoformat(), d.latest.isoformat(), d.words] for d in value]
            elif field.name == "damage_causes" and value is not None:
                data[field.name] = sorted(cause.value for cause in value)
            elif value is not None:
                data[field.name] = value.value if isinstance(value, StrEnum) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseWords:
        """`to_json`'s values back (unknown keys ignored: a slot written by another version)."""
        known = {field.name for field in fields(cls)}
        values: dict[str, Any] = {key: value for key, value in data.items() if key in known}
        for name, kind in _ENUM_FIELDS.items():
            if values.get(name) is not None:
                values[name] = kind(values[name])
        if values.get("damage_causes") is not None:
            values["damage_causes"] = frozenset(DamageCause(cause) for cause in values["damage_causes"])
        values["dates"] = tuple(
            DateSaid(Anchor(anchor), date.fromisoformat(earliest), date.fromisoformat(latest), words)
            for anchor, earliest, latest, words in data.get("dates") or ()
        )
        return cls(**values)


_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "flow": Flow,
    "invoice_change": InvoiceChange,
    "category": Category,
    "part": Part,
}

# The remedies a customer asks for by name: the first named in the message is the flow ("修一下或者
# 换个新的都行" is a repair). Named ones win over the warranty (often the reason given), and the
# warranty over the words that are usually the story around a case (an installer's visit, a price
# drop, an invoice date).
_NAMED = ((Flow.EXCHANGE, words.EXCHANGE), (Flow.RETURN, words.RETURN), (Flow.REPAIR, words.REPAIR))
_WARRANTY = (Flow.WARRANTY, words.WARRANTY)
# A product damaged by a drop, liquid or its user is not "complete, packaging intact" (P6,
# docs/eligibility.md). A repair elsewhere is left out: its words ("拆开看了一眼") also say the unboxing
# an inspection allows; a non-original charger says nothing of the product's state.
_DAMAGING = frozenset({DamageCause.DROP, DamageCause.LIQUID_DAMAGE, DamageCause.USER_DAMAGE})

_STORY = (
    _WARRANTY,
    (Flow.INSTALLATION, words.INSTALLATION),
    (Flow.REPAIR, words.SEND_SOMEONE),
    (Flow.PRICE_PROTECTION, words.PRICE_DROP),
    (Flow.INVOICE, words.INVOICE),
    (Flow.RETURN, words.CHANGED_MIND),
)


def _first(table: Iterable[tuple[T, re.Pattern[str]]], text: str) -> T | None:
    return next((value for value, pattern in table if pattern.search(text)), None)


def _said(positive: re.Pattern[str], negative: re.Pattern[str] | None, text: str) -> bool | None:
    if negative is not None and negative.search(text):
        return False
    return True if positive.search(text) else None


def _flow(text: str) -> tuple[Flow | None, InvoiceChange | None]:
    if words.SPECIAL_INVOICE.search(text):
        return Flow.INVOICE, InvoiceChange.SPECIAL
    if (words.INVOICE.search(text) or words.TITLE_CHANGED.search(text)) and words.TITLE_CHANGE.search(text):
        return Flow.INVOICE, InvoiceChange.TITLE  # "wrong name on the invoice, pls fix" is no repair
    if words.PRICE_PROTECTION.search(text):
        return Flow.PRICE_PROTECTION, None
    clauses = [clause for clause in words.CLAUSE.split(text) if clause.strip()]
    requests = [clause for clause in clauses if words.REQUESTING.search(clause)]
    questions = [clause for clause in clauses if words.ASKS_QUESTION.search(clause)]
    # The clauses that ask for something, then those that ask a question, where the warranty counts
    # as named ("…维修师傅说压缩机坏了，压缩机不是保两年吗？"); then the whole text.
    for part, named_here in [(c, (*_NAMED, _WARRANTY)) for c in (*requests, *questions)] + [(text, _NAMED)]:
        named = [(found.start(), flow) for flow, pattern in named_here if (found := pattern.search(part))]
        if named:
            return min(named)[1], None
    flow = _first(_STORY, text)
    return flow, (InvoiceChange.TITLE if flow is Flow.INVOICE else None)


def _quality(text: str, refused: list[str], unopened: bool, learned: frozenset[Meaning]) -> bool | None:
    """A fault described is a quality problem, even with a change of mind beside it ("太吵了，不想要
    了"), unless the customer says there is none; so is a repair or an exchange refused ("不想修，直接
    退"): they are what a fault gets. A change of mind alone is not one, nor an item never opened,
    nor a gift card. Only where the vocabulary reads none of these does the learned reading (`learned`)
    say: a word the vocabulary knows is the stronger evidence ("activated it, don't like the fit")."""
    if words.NOT_FAULTY.search(text):
        return False
    if _faulty(text):
        return True
    if any(words.REPAIR.search(remedy) or words.EXCHANGE.search(remedy) for remedy in refused):
        return True
    if unopened or words.CHANGE_OF_MIND.search(text) or words.GIFT_CARD.search(text):
        return False  # nothing wrong said; a gift card has no fault to have
    if Meaning.FAULT in learned:
        return True
    return False if Meaning.CHANGE_OF_MIND in learned else None


def _symptom(text: str, learned: frozenset[Meaning]) -> bool | None:
    """Whether the fault is said by what the product does ("不制冷"), not only named ("有毛病")."""
    if words.FAULT.search(words.GENERIC_FAULT.sub(" ", text)):
        return True
    return True if Meaning.FAULT in learned and not _faulty(text) else None


def _condition(said: object, unopened: bool, meaning: Meaning, learned: frozenset[Meaning]) -> bool | None:
    """A P6 condition: the vocabulary's word for it, else its denial (an item never opened has none),
    else the learned reading's (`learned`: read only in clauses where the vocabulary found nothing)."""
    if said:
        return True
    if unopened:
        return False
    return True if meaning in learned else None


def _condition_used(text: str, learned: frozenset[Meaning]) -> bool | None:
    """Used beyond inspection: said ("用了三天") or denied ("没用过"), else as the learned reading says
    ("每天晚上都开着", "running every night since it came"). Words about a missing or given-away part
    are not the product's use ("送的吸尘器拿去给我妈用了")."""
    said = _said(words.USED, words.NOT_USED, words.INCOMPLETE.sub(" ", text))
    if said is None and Meaning.USED_BEYOND_INSPECTION in learned:
        return True
    return said


def _faulty(text: str) -> bool:
    return bool(words.FAULT.search(text) or words.WHOLE_UNIT_FAILURE.search(text) or words.BATTERY_FAULT.search(text))


def vocabulary_meanings(clause: str) -> frozenset[Meaning]:
    """What the vocabulary reads in one clause of prepared text (`_prepared`): the examples the
    learned reading is fitted on (`python -m bench.clause_examples`)."""
    found = set()
    if _faulty(clause) and not words.NOT_FAULTY.search(clause):
        found.add(Meaning.FAULT)
    if words.CHANGE_OF_MIND.search(clause):
        found.add(Meaning.CHANGE_OF_MIND)
    undenied = words.NO_CAUSE.sub(" ", clause)
    found |= {Meaning(cause.value) for cause, pattern in words.CAUSES if pattern.search(undenied)}
    unopened = words.UNOPENED.search(clause)
    if words.OPENED_CONSUMABLE.search(clause) and not unopened:
        found.add(Meaning.OPENED_CONSUMABLE)
    if words.USED.search(clause) and not (unopened or words.NOT_USED.search(clause)):
        found.add(Meaning.USED_BEYOND_INSPECTION)
    if words.INCOMPLETE.search(clause):
        found.add(Meaning.INCOMPLETE)
    return frozenset(found)


# A denial the vocabulary reads (or a look-alike it knows: "dropped it off"), and the meanings it
# denies: the learned reading is not asked about them in that clause, but about the rest ("外面的彩盒
# 被阿姨当废品卖了 音箱好好的没毛病" denies a fault, not that the box is gone).
_DENIALS: tuple[tuple[re.Pattern[str], frozenset[Meaning]], ...] = (
    # NO_CAUSE also holds the packaging kept ("包装盒都还留着"), which denies that anything is missing.
    (words.NO_CAUSE, frozenset(meaning for meaning in Meaning if meaning.cause is not None) | {Meaning.INCOMPLETE}),
    (words.NOT_FAULTY, frozenset({Meaning.FAULT})),
    (words.UNOPENED, frozenset(meaning for meaning in Meaning if meaning.condition is not None)),
    (words.NOT_USED, frozenset({Meaning.USED_BEYOND_INSPECTION})),
    (words.CONSUMABLE_SEALED, frozenset({Meaning.OPENED_CONSUMABLE})),
)
_REFUSING = frozenset(meaning for meaning in Meaning if meaning.refuses)


def _denied(clause: str) -> frozenset[Meaning]:
    """The meanings the denials in the clause deny."""
    return frozenset(meaning for pattern, meanings in _DENIALS if pattern.search(clause) for meaning in meanings)


def _learned(text: str) -> frozenset[Meaning]:
    """What the clauses mean where the vocabulary has no word for it: the learned reading
    (`clause_meaning`). A clause in which the vocabulary reads nothing is asked about every meaning;
    one in which it reads a fact, about what would refuse a remedy (a cause or a condition: "我儿子拿
    玩具车把面板砸裂了" names a fault and, in words the vocabulary lacks, its cause; "lost the original
    cable … charging them with a random fast charger" names a missing part and a charger). What a
    denial in the clause denies is not asked."""
    asked: list[tuple[str, frozenset[Meaning]]] = []  # each clause, and the meanings it is asked about
    for clause in (clause.strip() for clause in words.CLAUSE.split(text)):
        if not clause:
            continue
        meanings = (frozenset(Meaning) if not vocabulary_meanings(clause) else _REFUSING) - _denied(clause)
        if meanings:
            asked.append((clause, meanings))
    if not asked:
        return frozenset()
    found = clause_reader().probabilities([clause for clause, _ in asked])
    return frozenset(
        meaning
        for (_, meanings), probabilities in zip(asked, found, strict=True)
        for meaning, p in probabilities.items()
        if p >= THRESHOLDS[meaning] and meaning in meanings
    )


def _answer(asked: Fact | None, text: str, found: CaseWords) -> dict[str, object]:
    """The question just asked, answered: a yes or no; to "is it a quality problem?" what is wrong
    ("开最大档有咔哒声"), and to "which part?" the part, are a fault."""
    if asked is Fact.PART and found.part is not None and found.quality_problem is None:
        return {"quality_problem": True}
    if asked not in (Fact.QUALITY_PROBLEM, Fact.IS_COMPANY):
        return {}
    name = "quality_problem" if asked is Fact.QUALITY_PROBLEM else "is_company"
    if words.UNSURE.search(text):
        return {}  # "不知道" is no "不"
    if words.NO.search(text):
        return {name: False}
    if words.YES.search(text):
        return {name: True}
    described = found.quality_problem is None and len(text.strip()) >= 4
    return {name: True} if asked is Fact.QUALITY_PROBLEM and described else {}


def _prepared(text: str) -> tuple[str, list[str]]:
    """The text as the vocabulary reads it (NFKC, simplified characters, Cantonese words as Mandarin,
    refused remedies taken out), and the refused remedies' words."""
    folded = customer_words(unicodedata.normalize("NFKC", text))
    for cantonese, mandarin in words.CANTONESE:
        folded = cantonese.sub(mandarin, folded)
    return words.NOT_WANTED.sub(" ", folded), words.NOT_WANTED.findall(folded)


def prepared_text(text: str) -> str:
    """The text as the vocabulary reads it (see `_prepared`)."""
    return _prepared(text)[0]


def names_remedy(text: str) -> bool:
    """Whether the text names a remedy: the cheap first look (no date reading) before `read_words`."""
    return _flow(_prepared(text)[0])[0] is not None


def read_words(
    text: str, today: date, language: Language, *, asked: Fact | None = None, learned: bool = True
) -> CaseWords:
    """What one message says of the case (`asked`: the fact the assistant just asked for; `learned`:
    whether the learned reading reads what the vocabulary has no word for)."""
    text, refused = _prepared(text)
    meant = _learned(text) if learned else frozenset()
    flow, invoice_change = _flow(text)
    part = (
        None
        if words.PART_UNSURE.search(text)
        else _first(words.PARTS, words.PART_AS_MEANS.sub(" ", words.REPLACED_CONSUMABLE.sub(" ", text)))
    )
    whole_unit = words.WHOLE_UNIT_NAMED.search(text) or words.WHOLE_UNIT_FAILURE.search(text)
    if part is None and (asked is Fact.PART or flow in (Flow.WARRANTY, Flow.REPAIR)) and whole_unit:
        part = Part.WHOLE_UNIT
    unopened = bool(words.UNOPENED.search(text))
    undenied = words.NO_CAUSE.sub(" ", text)  # "I never dropped it" names no drop
    causes = frozenset(cause for cause, pattern in words.CAUSES if pattern.search(undenied))
    if not causes:
        causes = frozenset(cause for meaning in meant if (cause := meaning.cause) is not None)
    incomplete = _condition(words.INCOMPLETE.search(text), unopened, Meaning.INCOMPLETE, meant)
    if incomplete is None and causes & _DAMAGING:
        incomplete = True
    found = CaseWords(
        flow=flow,
        invoice_change=invoice_change,
        requesting=True if words.REQUESTING.search(text) else None,
        policy_question=True if words.POLICY_QUESTION.search(text) else None,
        hypothetical=True if words.HYPOTHETICAL.search(text) else None,
        category=_first(words.CATEGORIES, text),
        part=part,
        quality_problem=_quality(text, refused, unopened, meant),
        symptom=_symptom(text, meant),
        opened_consumable=_condition(words.OPENED_CONSUMABLE.search(text), unopened, Meaning.OPENED_CONSUMABLE, meant),
        used_beyond_inspection=False if unopened else _condition_used(text, meant),
        incomplete=incomplete,
        customised=_said(words.CUSTOMISED, None, text),
        gift_card=_said(words.GIFT_CARD, None, text),
        damage_causes=causes or (frozenset() if words.NO_CAUSE.search(text) else None),
        flash_sale=_said(words.FLASH_SALE, words.NO_FLAG, text),
        coupon_price=_said(words.COUPON, words.NO_FLAG, text),
        trade_in=_said(words.TRADE_IN, None, text),
        price_protection_used=_said(words.PROTECTION_USED, None, text),
        is_company=_said(words.COMPANY, words.PERSON, text),
        invoice_title_changed=_said(words.TITLE_CHANGED, words.NOT_TITLE_CHANGED, text),
        dates=dates_said(text, today, language, asked),
    )
    if asked is Fact.CATEGORY and found.category is None:
        return found
    return replace(found, **_answer(asked, text, found))  # type: ignore[arg-type]
