"""A customer's case decided: the facts known so far (the verified order's, the customer's words),
decided at both ends of what the words leave open, and the one fact to ask next
(docs/eligibility-cases.md, "How a case is read").

Dates the customer did not give are bounded by the handbook, never guessed: delivery is 0–8 days
after payment (P2: shipped the same or the next day, at most 7 days on the way), the invoice 0–3 days
after delivery (P13), none after today. Every remedy is monotone in time, so deciding with every
date at its earliest and again at its latest covers the whole range: the same decision at both ends
is the decision; different ones ask for the date the rule counts from. The decision stated is the
earliest end's, the dates the customer gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from desk.eligibility.case_words import CaseWords, Flow, InvoiceChange
from desk.eligibility.engine import Decision, Reason, Remedy, Verdict, decide
from desk.eligibility.facts import CaseFacts, Fact, Part
from desk.eligibility.rules import Anchor, Policy
from desk.models import RequestKind
from desk.orders.records import Category

_FLOW_REMEDIES: dict[Flow, tuple[Remedy, ...]] = {
    Flow.RETURN: (Remedy.NO_REASON_RETURN, Remedy.QUALITY_RETURN),
    Flow.EXCHANGE: (Remedy.EXCHANGE,),
    Flow.REPAIR: (Remedy.REPAIR,),
    Flow.WARRANTY: (Remedy.WARRANTY,),
    Flow.INSTALLATION: (Remedy.INSTALLATION,),
    Flow.PRICE_PROTECTION: (Remedy.PRICE_PROTECTION,),
}
_REQUESTS = (
    (Remedy.QUALITY_RETURN, RequestKind.RETURN),
    (Remedy.NO_REASON_RETURN, RequestKind.RETURN),
    (Remedy.EXCHANGE, RequestKind.EXCHANGE),
    (Remedy.REPAIR, RequestKind.REPAIR),
)
_ALTERNATIVES: dict[Flow, tuple[Remedy, ...]] = {
    Flow.RETURN: (Remedy.EXCHANGE, Remedy.REPAIR),
    Flow.EXCHANGE: (Remedy.REPAIR,),
    Flow.WARRANTY: (Remedy.REPAIR,),  # covered: a free repair; ended: a quoted one (P8)
}
_ANCHOR_FACT = {Anchor.DELIVERY: Fact.DELIVERED_ON, Anchor.PAYMENT: Fact.PAID_ON, Anchor.INVOICE: Fact.INVOICE_ON}
SHIPPING_DAYS = 8  # P2: shipped the same or the next day, at most 7 days on the way
INVOICE_DAYS = 3  # P13: the invoice is issued within 3 days after delivery

# The parts a fault may be in when the customer names none: the unit itself and the long-warranty
# parts the product has (P8). A battery, an accessory or a consumable is named when it is the fault
# ("won't charge", "the remote", "the filter"), so a fault said of the product is in none of them.
_UNNAMED_PARTS: dict[Category | None, tuple[Part, ...]] = {
    Category.ROBOT_VACUUM: (Part.WHOLE_UNIT, Part.MOTOR),
    Category.AIR_PURIFIER: (Part.WHOLE_UNIT, Part.MOTOR),
    Category.AIR_CONDITIONER: (Part.WHOLE_UNIT, Part.COMPRESSOR, Part.MOTOR),
    Category.WATER_PURIFIER: (Part.WHOLE_UNIT,),
    Category.SMART_SPEAKER: (Part.WHOLE_UNIT,),
    Category.EARBUDS: (Part.WHOLE_UNIT,),
    None: (Part.WHOLE_UNIT, Part.MOTOR, Part.COMPRESSOR),
}

# A fault said without what happens ("有毛病") or none at all ("is it still under warranty?") may be in
# any part a warranty covers, the battery and the accessories included (a consumable is named when it
# is the question: P8 never covers one).
_ANY_COVERED_PART = (Part.WHOLE_UNIT, Part.MOTOR, Part.COMPRESSOR, Part.BATTERY, Part.ACCESSORY)

Range = tuple[date, date]
_DATE_REFUSALS = frozenset({"window", "window_by_invoice", "period"})


def remedies_of(words: CaseWords) -> tuple[Remedy, ...]:
    """The remedies the answer to this case states."""
    if words.flow is None:
        return ()
    if words.flow is Flow.INVOICE:
        if words.invoice_change is InvoiceChange.SPECIAL:
            return (Remedy.SPECIAL_INVOICE,)
        return (Remedy.INVOICE_TITLE_CHANGE,)
    return _FLOW_REMEDIES[words.flow]


@dataclass(frozen=True)
class CaseAnswer:
    """The decisions of the case's remedies and whether their dates are the customer's estimate."""

    flow: Flow
    decisions: tuple[Decision, ...]
    estimated: bool  # a date decided on is a range or bounded by the handbook, not an exact date
    # The remedies whose missing facts are asked for: for a return with a fault said, the return for
    # a quality problem; with a change of mind, the no-reason return; else all of them.
    asking: tuple[Remedy, ...] = ()
    # What else the policy allows the customer when the flow's own remedies are refused: a faulty
    # item past the return window may still be exchanged or repaired (P7 days 8–15), a covered part
    # repaired; stated when allowed, and offered as a request.
    alternatives: tuple[Decision, ...] = ()

    @property
    def question(self) -> Fact | None:
        """The one fact to ask next: none when a remedy is already allowed (that answers the customer)."""
        if any(decision.verdict is Verdict.ALLOWED for decision in self.decisions):
            return None
        asked = [d for d in self.decisions if not self.asking or d.remedy in self.asking]
        return next((d.reason.missing for d in asked if d.verdict is Verdict.NEEDS_FACT), None)

    def decision(self, remedy: Remedy | str) -> Decision | None:
        return next((decision for decision in self.decisions if decision.remedy == remedy), None)

    @property
    def request(self) -> tuple[RequestKind, Decision] | None:
        """The request this case lets the customer open, with the decision that allows it: the first
        allowed of a quality return (Lumio pays the shipping), a no-reason return, an exchange, a
        repair (a paid one too: P8 quotes first), the alternatives included. None when the policy
        allows none of them."""
        return _first_request((*self.decisions, *self.alternatives))

    @property
    def requested(self) -> tuple[RequestKind, Decision] | None:
        """The request for what the customer asked about (not an alternative): the one opened when
        they asked to open it; an alternative is only offered."""
        return _first_request(self.decisions)


def _first_request(decisions: tuple[Decision, ...]) -> tuple[RequestKind, Decision] | None:
    for remedy, kind in _REQUESTS:
        decision = next((d for d in decisions if d.remedy is remedy), None)
        if decision is not None and decision.verdict is Verdict.ALLOWED:
            return kind, decision
    return None


def _ranges(words: CaseWords, today: date, order: CaseFacts | None) -> dict[Anchor, Range | None]:
    if order is not None:
        exact = {Anchor.PAYMENT: order.paid_on, Anchor.DELIVERY: order.delivered_on, Anchor.INVOICE: order.invoice_on}
        return {anchor: (day, day) if day is not None else None for anchor, day in exact.items()}

    def said(anchor: Anchor) -> Range | None:
        found = words.date_of(anchor)
        return (found.earliest, found.latest) if found is not None else None

    paid, delivered, invoice = said(Anchor.PAYMENT), said(Anchor.DELIVERY), said(Anchor.INVOICE)
    if delivered is None and paid is not None:
        delivered = (paid[0], min(paid[1] + timedelta(days=SHIPPING_DAYS), today))
    if paid is None and delivered is not None:
        paid = (delivered[0] - timedelta(days=SHIPPING_DAYS), delivered[1])
    if invoice is None and delivered is not None:
        invoice = (delivered[0], min(delivered[1] + timedelta(days=INVOICE_DAYS), today))
    return {Anchor.PAYMENT: paid, Anchor.DELIVERY: delivered, Anchor.INVOICE: invoice}


def _facts(
    words: CaseWords, today: date, order: CaseFacts | None, dates: dict[Anchor, date | None], part: Part | None
) -> CaseFacts:
    return CaseFacts(
        today=today,
        paid_on=dates[Anchor.PAYMENT],
        delivered_on=dates[Anchor.DELIVERY],
        invoice_on=dates[Anchor.INVOICE],
        category=(order.category if order is not None else None) or words.category,
        part=part,
        quality_problem=words.quality_problem,
        opened_consumable=words.opened_consumable,
        used_beyond_inspection=words.used_beyond_inspection,
        incomplete=words.incomplete,
        customised=words.customised,
        gift_card=words.gift_card,
        damage_causes=words.damage_causes,
        flash_sale=order.flash_sale if order is not None else words.flash_sale,
        coupon_price=order.coupon_price if order is not None else words.coupon_price,
        trade_in=order.trade_in if order is not None else words.trade_in,
        price_protection_used=words.price_protection_used,
        invoice_title_changed=words.invoice_title_changed,
        is_company=words.is_company,
    )


def _key(decision: Decision) -> tuple[object, ...]:
    return (decision.rule_id, *_outcome(decision))


def _outcome(decision: Decision) -> tuple[object, ...]:
    """What the customer is told, whichever rule tells it."""
    reason = decision.reason
    return (decision.verdict, reason.refused_by, reason.missing, reason.charge)


def _between(early: Decision, late: Decision) -> Decision:
    """The decision over a range of dates: the same at both ends, or the date that decides."""
    if _key(early) == _key(late):
        return early
    refused = (Verdict.NOT_ALLOWED, Verdict.NOT_APPLICABLE)
    if early.verdict == late.verdict and early.verdict in refused:
        # Refused at both ends: by the dates at one, by something else at the other (a trade-in
        # price, a condition), which refuses whatever the dates; that is the reason given.
        return late if late.reason.refused_by not in _DATE_REFUSALS else early
    anchor = late.reason.counted_from or early.reason.counted_from or Anchor.DELIVERY
    rule_id = early.rule_id if early.rule_id == late.rule_id else None  # a repair: P7 or the warranty
    return Decision(early.remedy, Verdict.NEEDS_FACT, rule_id, early.clause, Reason(missing=_ANCHOR_FACT[anchor]))


def decide_case(words: CaseWords, today: date, policy: Policy, order: CaseFacts | None = None) -> CaseAnswer | None:
    """The case's decisions (None when the words name no remedy, or are a general question with no
    fact of the customer's own item and no verified order: the knowledge base answers those). `order`: the facts of the order this
    conversation verified (`facts.from_order`); its dates, category and flags win over the words."""
    remedies = remedies_of(words)
    if words.flow is None or not remedies or not (order is not None or words.is_case):
        return None
    ranges = _ranges(words, today, order)
    others = _ALTERNATIVES.get(words.flow, ())
    decided = _decided(words, today, policy, order, ranges, (*remedies, *others))
    decisions = tuple(decided[remedy] for remedy in remedies)
    asking: tuple[Remedy, ...] = ()
    if words.flow is Flow.RETURN and words.quality_problem is not None:
        asking = (Remedy.QUALITY_RETURN,) if words.quality_problem else (Remedy.NO_REASON_RETURN,)
    if words.flow is not Flow.WARRANTY and (
        words.quality_problem is not True or any(d.verdict is Verdict.ALLOWED for d in decisions)
    ):
        others = ()  # a return or exchange allowed, or no fault: nothing else to offer
    alternatives = tuple(decided[remedy] for remedy in others if decided[remedy].verdict is Verdict.ALLOWED)
    estimated = _estimated(decisions, ranges, words, order)
    return CaseAnswer(words.flow, decisions, estimated, asking, alternatives)


def _decided(
    words: CaseWords,
    today: date,
    policy: Policy,
    order: CaseFacts | None,
    ranges: dict[Anchor, Range | None],
    remedies: tuple[Remedy, ...],
) -> dict[Remedy, Decision]:
    """Each remedy decided over the date ranges; where the part is not named and every part the fault
    may be in gets the same answer, that answer (the whole unit's rule)."""

    def over_ranges(part: Part | None) -> dict[Remedy, Decision]:
        early = decide(_facts(words, today, order, {a: r[0] if r else None for a, r in ranges.items()}, part), policy)
        late = decide(_facts(words, today, order, {a: r[1] if r else None for a, r in ranges.items()}, part), policy)
        return {remedy: _between(early[remedy], late[remedy]) for remedy in remedies}

    decided = over_ranges(words.part)
    described = words.symptom or words.damage_causes
    if words.part is None and any(
        d.reason.missing is Fact.PART or (described and d.verdict is Verdict.NEEDS_FACT) for d in decided.values()
    ):
        category = (order.category if order is not None else None) or words.category
        parts = _UNNAMED_PARTS[category] if described else _ANY_COVERED_PART
        by_part = [over_ranges(part) for part in parts]
        for remedy, decision in decided.items():
            # The parts the product has (a compressor is an air conditioner's only), the unit first.
            candidates = [found[remedy] for found in by_part]
            applicable = [found for found in candidates if found.verdict is not Verdict.NOT_APPLICABLE] or candidates
            same = len({_outcome(found) for found in applicable}) == 1
            # Without a fault described, the part is still asked first while the dates are missing too.
            if same and (
                (
                    decision.reason.missing is Fact.PART
                    and (described or applicable[0].verdict is not Verdict.NEEDS_FACT)
                )
                # A date asked because one end of its range needs the part ("last month": P7's repair at
                # one end, the warranty's at the other), where every part answers alike at both ends.
                or (decision.verdict is Verdict.NEEDS_FACT and applicable[0].verdict is not Verdict.NEEDS_FACT)
            ):
                decided[remedy] = applicable[0]
    return decided


def _estimated(
    decisions: tuple[Decision, ...], ranges: dict[Anchor, Range | None], words: CaseWords, order: CaseFacts | None
) -> bool:
    """Whether a date a decision counts from is a range or was bounded rather than given."""
    for decision in decisions:
        anchor = decision.reason.counted_from
        found = ranges.get(anchor) if anchor is not None else None
        if (
            found is not None
            and anchor is not None
            and (found[0] != found[1] or (order is None and not words.date_of(anchor)))
        ):
            return True
    return False
