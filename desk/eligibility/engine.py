"""The policy engine: the facts of a case and the policy file in, one decision per remedy out.

`decide(facts, policy)` gives, for each `Remedy`, a `Decision` with its verdict, the rule that
decided it (an id of the policy file), the handbook clause and a `Reason` with the dates. How a
decision is reached (docs/eligibility.md has the whole of it):

- **A known fact that settles the case wins.** A remedy's checks run in a fixed order (dates first);
  a check that makes the remedy `not_applicable` (the wrong product, no quality problem, not a
  company) comes before one that refuses it (`not_allowed`: a window or warranty passed, a condition,
  a damage cause, a price flag, a once-only limit already used). Only when nothing known settles
  it does a missing fact matter: `needs_fact` names the first one in that order (one fact, never a
  list, never a guess). Otherwise `allowed`, with the unknown conditions, causes, flags and limits as
  `provisos` (said as conditions; a known one would have refused it).
- **Counting days** (handbook): Beijing dates; the anchor (delivery, payment, invoice) is day 0;
  "within N days" lasts to 24:00 of day N, so the last day is anchor + N and today's day number is
  today − anchor. P6's "from the day after delivery" gives the same last day.
- **Warranty periods** (P8) run from the invoice date to the same date `months` later (the month's
  last day when that date does not exist: 2026-08-31 + 6 months = 2027-02-28, 2024-02-29 + 1 year =
  2025-02-28). **The end date is covered** (to its 24:00), as "within N days" covers day N.
- **Repair**: within P7's window (15 days of delivery) a quality problem is repaired free (P7.repair);
  after it, the warranty of the faulty part decides: covered, free (P8.<part>); ended, excluded
  cause or not a quality problem, a paid repair is still `allowed` with `charge=quoted` (P8: free
  diagnosis, a quote first, nothing done without consent); a consumable is not repaired (P8.consumable).
  Delivery is never after the invoice (P13 issues it after delivery), so an invoice older than the
  window also settles that the window has passed.
- **An exception to policy is never allowed**: nothing here bends a rule; the dialogue hands such a
  request to a human (the handbook's escalation table).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from desk.eligibility.facts import CaseFacts, Fact, Part
from desk.eligibility.rules import Anchor, Policy, ReturnRule, Rule, Window, WindowRule
from desk.orders.records import Category


class Remedy(StrEnum):
    NO_REASON_RETURN = "no_reason_return"  # P6
    QUALITY_RETURN = "quality_return"  # P7
    EXCHANGE = "exchange"  # P7
    REPAIR = "repair"  # P7 within its window, then P8
    WARRANTY = "warranty"  # P8: is the faulty part covered?
    INSTALLATION = "installation"  # P10
    PRICE_PROTECTION = "price_protection"  # P12
    INVOICE_TITLE_CHANGE = "invoice_title_change"  # P13
    SPECIAL_INVOICE = "special_invoice"  # P13


class Verdict(StrEnum):
    ALLOWED = "allowed"
    NOT_ALLOWED = "not_allowed"
    NEEDS_FACT = "needs_fact"
    NOT_APPLICABLE = "not_applicable"


class ReturnShipping(StrEnum):
    """Who pays for sending the item back."""

    CUSTOMER = "customer"
    CUSTOMER_UNLESS_INSURED = "customer_unless_insured"  # not known whether insurance was bought
    INSURANCE = "insurance"  # the return-shipping insurance bought with the order
    LUMIO = "lumio"


class Charge(StrEnum):
    """What a repair costs the customer."""

    FREE = "free"
    QUOTED = "quoted"  # P8 out of warranty: parts and labour quoted, nothing done without consent
    PAID = "paid"  # a policy file whose P8.out_of_warranty does not quote first


@dataclass(frozen=True)
class Reason:
    """Why: the dates and day count, what refused it or is missing, and who pays.

    `start` is day 0 of the window or the warranty (`counted_from` says which date it is);
    `last_day` is the window's last day or the warranty's end date, both included; `day` is
    today's day number (today − start). `refused_by` names what settled a `not_allowed` or
    `not_applicable` (a fact or condition name, "window", "period", "once") or the reason a repair
    is charged; `missing` is the one fact a `needs_fact` waits for.
    """

    counted_from: Anchor | None = None
    start: date | None = None
    last_day: date | None = None
    day: int | None = None
    days: int | None = None  # the window's length
    months: int | None = None  # the warranty period
    elapsed_months: int | None = None  # whole months from the invoice date to today
    part: Part | None = None
    category: Category | None = None  # the product, when its category decided (not_applicable)
    refused_by: str | None = None
    missing: Fact | None = None
    provisos: tuple[str, ...] = ()
    return_shipping: ReturnShipping | None = None
    charge: Charge | None = None
    free_diagnosis: bool | None = None  # with a charged repair: P8's free diagnosis


@dataclass(frozen=True)
class Decision:
    remedy: Remedy
    verdict: Verdict
    rule_id: str | None  # None only when the missing fact decides which rule applies (the part)
    clause: str
    reason: Reason

    def as_json(self) -> dict[str, Any]:
        """The decision as JSON values (dates ISO, enums their values, unset reason fields left
        out): what a stored request keeps of it."""
        reason = {
            name: _json(value) for name, value in asdict(self.reason).items() if value is not None and value != ()
        }
        return {
            "remedy": self.remedy.value,
            "verdict": self.verdict.value,
            "rule_id": self.rule_id,
            "clause": self.clause,
            "reason": reason,
        }


def _json(value: object) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Decisions:
    """One decision per remedy, in `Remedy` order."""

    items: tuple[Decision, ...]

    def __getitem__(self, remedy: Remedy | str) -> Decision:
        for decision in self.items:
            if decision.remedy == remedy:
                return decision
        raise KeyError(remedy)

    def __iter__(self) -> Iterator[Decision]:
        return iter(self.items)


def add_months(start: date, months: int) -> date:
    """The same date `months` later; the month's last day when that date does not exist."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def whole_months(start: date, today: date) -> int:
    """Completed months from `start` to `today` (0 before the first monthly anniversary)."""
    months = (today.year - start.year) * 12 + today.month - start.month
    while months > 0 and add_months(start, months) > today:
        months -= 1
    return max(months, 0)


# --- how a decision is reached -------------------------------------------------------------------

Kind = Literal["not_applicable", "not_allowed", "needs", "proviso"]


@dataclass(frozen=True)
class _Finding:
    kind: Kind
    name: str  # what refused it, the missing fact, or the proviso
    rule_id: str | None = None  # when another rule than the remedy's decides (P8.excluded_cause)


@dataclass
class _Case:
    remedy: Remedy
    rule: Rule
    policy: Policy
    reason: Reason = field(default_factory=Reason)
    findings: list[_Finding] = field(default_factory=list)

    def add(self, kind: Kind, name: str, rule_id: str | None = None) -> None:
        self.findings.append(_Finding(kind, name, rule_id))

    def flag(self, value: bool | None, name: str, refused_by: str | None = None) -> None:
        """A condition that refuses when true and is a proviso when not known."""
        if value is True:
            self.add("not_allowed", refused_by or name)
        elif value is None:
            self.add("proviso", name)

    def window(self, facts: CaseFacts, window: Window) -> None:
        start = _anchor_date(facts, window.counted_from)
        if start is None and _invoice_says_passed(facts, window):
            # Delivery is never after the invoice date: the window is over whatever the delivery date.
            assert facts.invoice_on is not None
            self.reason = replace(
                self.reason,
                counted_from=Anchor.INVOICE,
                start=facts.invoice_on,
                day=(facts.today - facts.invoice_on).days,
                days=window.days,
            )
            self.add("not_allowed", "window_by_invoice")
            return
        if start is None:
            self.add("needs", _ANCHOR_FACT[window.counted_from].value)
            return
        self.reason = _window_reason(self.reason, facts, window, start)
        if facts.today > start + timedelta(days=window.days):
            self.add("not_allowed", "window")

    def damage(self, facts: CaseFacts, *, refuses: bool = True) -> str | None:
        """A known excluded cause (returned, and a refusal when `refuses`), or a proviso when unknown."""
        rule = self.policy.excluded_cause
        if facts.damage_causes is None:
            self.add("proviso", "damage_causes")
            return None
        cause = next((cause for cause in rule.causes if cause in facts.damage_causes), None)
        if cause is not None and refuses:
            self.add("not_allowed", cause.value, rule.id)
        return cause.value if cause is not None else None

    def conclude(self) -> Decision:
        for kind, verdict in (("not_applicable", Verdict.NOT_APPLICABLE), ("not_allowed", Verdict.NOT_ALLOWED)):
            found = next((f for f in self.findings if f.kind == kind), None)
            if found is not None:
                return self._decision(verdict, found.rule_id, replace(self.reason, refused_by=found.name))
        needed = next((f for f in self.findings if f.kind == "needs"), None)
        if needed is not None:
            return self._decision(Verdict.NEEDS_FACT, None, replace(self.reason, missing=Fact(needed.name)))
        provisos = tuple(dict.fromkeys(f.name for f in self.findings if f.kind == "proviso"))
        return self._decision(Verdict.ALLOWED, None, replace(self.reason, provisos=provisos))

    def _decision(self, verdict: Verdict, rule_id: str | None, reason: Reason) -> Decision:
        rule = self.policy.rule(rule_id) if rule_id is not None else self.rule
        return Decision(self.remedy, verdict, rule.id, rule.clause, reason)


_ANCHOR_FACT = {Anchor.DELIVERY: Fact.DELIVERED_ON, Anchor.PAYMENT: Fact.PAID_ON, Anchor.INVOICE: Fact.INVOICE_ON}


def _anchor_date(facts: CaseFacts, anchor: Anchor) -> date | None:
    return {Anchor.DELIVERY: facts.delivered_on, Anchor.PAYMENT: facts.paid_on, Anchor.INVOICE: facts.invoice_on}[
        anchor
    ]


def _invoice_says_passed(facts: CaseFacts, window: Window) -> bool:
    """A window counted from delivery is over when the invoice date (never before delivery: P13
    issues the invoice after it) is already more than its length ago."""
    return (
        window.counted_from is Anchor.DELIVERY
        and facts.invoice_on is not None
        and facts.today > facts.invoice_on + timedelta(days=window.days)
    )


def _window_reason(reason: Reason, facts: CaseFacts, window: Window, start: date) -> Reason:
    return replace(
        reason,
        counted_from=window.counted_from,
        start=start,
        last_day=start + timedelta(days=window.days),
        day=(facts.today - start).days,
        days=window.days,
    )


def _return_shipping(rule: ReturnRule, facts: CaseFacts) -> ReturnShipping:
    if rule.return_shipping == "lumio":
        return ReturnShipping.LUMIO
    if not rule.insurance_pays_return_shipping or facts.return_insurance is False:
        return ReturnShipping.CUSTOMER
    return ReturnShipping.INSURANCE if facts.return_insurance else ReturnShipping.CUSTOMER_UNLESS_INSURED


# --- the remedies --------------------------------------------------------------------------------


def _no_reason_return(facts: CaseFacts, policy: Policy) -> Decision:
    rule = policy.no_reason_return
    case = _Case(Remedy.NO_REASON_RETURN, rule, policy, Reason(return_shipping=_return_shipping(rule, facts)))
    case.window(facts, rule.window)
    for condition in rule.excluded_conditions:
        case.flag(facts.condition(condition), condition.value)
    return case.conclude()


def _quality_remedy(remedy: Remedy, rule: ReturnRule, facts: CaseFacts, policy: Policy) -> Decision:
    """P7's return and exchange: a quality problem within the window; Lumio pays the shipping."""
    case = _Case(remedy, rule, policy, Reason(return_shipping=_return_shipping(rule, facts)))
    if facts.quality_problem is False:
        case.add("not_applicable", Fact.QUALITY_PROBLEM.value)
    case.window(facts, rule.window)
    case.damage(facts)
    if facts.quality_problem is None:
        case.add("needs", Fact.QUALITY_PROBLEM.value)
    for condition in rule.excluded_conditions:
        case.flag(facts.condition(condition), condition.value)
    return case.conclude()


def _warranty_dates(case: _Case, facts: CaseFacts, part: Part) -> bool | None:
    """Fill the warranty's dates into the reason; whether today is covered (None: no invoice date)."""
    rule = case.policy.warranties[part]
    if facts.invoice_on is None:
        return None
    end = add_months(facts.invoice_on, rule.months)
    case.reason = replace(
        case.reason,
        counted_from=Anchor.INVOICE,
        start=facts.invoice_on,
        last_day=end,
        day=(facts.today - facts.invoice_on).days,
        months=rule.months,
        elapsed_months=whole_months(facts.invoice_on, facts.today),
        part=part,
    )
    return facts.today <= end


def _warranty(facts: CaseFacts, policy: Policy) -> Decision:
    """Whether the faulty part is covered; with the terms of a repair: free when covered, P8's
    out-of-warranty terms when the period ended or a cause is excluded."""
    decision = _warranty_decision(facts, policy)
    if decision.verdict is Verdict.ALLOWED:
        return replace(decision, reason=replace(decision.reason, charge=Charge.FREE))
    if decision.verdict is Verdict.NOT_ALLOWED and decision.reason.refused_by != "part":
        return replace(decision, reason=_charged(decision.reason, policy))
    return decision


def _warranty_decision(facts: CaseFacts, policy: Policy) -> Decision:
    part = facts.part
    excluded = policy.excluded_cause
    if facts.damage_causes is not None and any(cause in facts.damage_causes for cause in excluded.causes):
        case = _Case(Remedy.WARRANTY, excluded, policy, Reason(part=part))
        if part is not None and part in policy.warranties:
            _warranty_dates(case, facts, part)
        case.damage(facts)
        return case.conclude()
    if part is None:
        case = _Case(Remedy.WARRANTY, policy.warranties[Part.WHOLE_UNIT], policy)
        case.add("needs", Fact.PART.value)
        decision = case.conclude()
        return replace(decision, rule_id=None)
    if part in policy.not_covered_parts.parts:
        case = _Case(Remedy.WARRANTY, policy.not_covered_parts, policy, Reason(part=part))
        case.add("not_allowed", "part")
        return case.conclude()
    rule = policy.warranties[part]
    case = _Case(Remedy.WARRANTY, rule, policy, Reason(part=part, category=facts.category))
    if rule.categories and facts.category is not None and facts.category not in rule.categories:
        case.add("not_applicable", Fact.CATEGORY.value)
    covered = _warranty_dates(case, facts, part)
    if covered is None:
        case.add("needs", Fact.INVOICE_ON.value)
    elif not covered:
        case.add("not_allowed", "period")
    case.damage(facts)
    return case.conclude()


def _repair(facts: CaseFacts, policy: Policy) -> Decision:
    p7 = policy.repair
    start = _anchor_date(facts, p7.window.counted_from)
    last_day = start + timedelta(days=p7.window.days) if start is not None else None
    if start is None and not _invoice_says_passed(facts, p7.window):
        case = _Case(Remedy.REPAIR, p7, policy)
        case.add("needs", _ANCHOR_FACT[p7.window.counted_from].value)
        return case.conclude()
    if last_day is not None and facts.today <= last_day:
        return _repair_within_p7(facts, policy)
    return _repair_by_warranty(facts, policy)


def _repair_within_p7(facts: CaseFacts, policy: Policy) -> Decision:
    rule = policy.repair
    case = _Case(Remedy.REPAIR, rule, policy, Reason(return_shipping=_return_shipping(rule, facts)))
    case.window(facts, rule.window)
    cause = case.damage(facts, refuses=False)
    if cause is not None:
        return _quoted(case, policy.excluded_cause.id, cause)
    if facts.quality_problem is None:
        case.add("needs", Fact.QUALITY_PROBLEM.value)
        return case.conclude()
    if facts.quality_problem is False:
        return _quoted(case, policy.out_of_warranty.id, Fact.QUALITY_PROBLEM.value)
    case.reason = replace(case.reason, charge=Charge.FREE)
    return case.conclude()


def _repair_by_warranty(facts: CaseFacts, policy: Policy) -> Decision:
    part = facts.part
    if part is None:
        case = _Case(Remedy.REPAIR, policy.warranties[Part.WHOLE_UNIT], policy)
        case.add("needs", Fact.PART.value)
        return replace(case.conclude(), rule_id=None)
    if part in policy.not_covered_parts.parts:
        case = _Case(Remedy.REPAIR, policy.not_covered_parts, policy, Reason(part=part))
        case.add("not_allowed", "part")
        return case.conclude()
    rule = policy.warranties[part]
    case = _Case(Remedy.REPAIR, rule, policy, Reason(part=part, category=facts.category))
    if rule.categories and facts.category is not None and facts.category not in rule.categories:
        case.add("not_applicable", Fact.CATEGORY.value)
        return case.conclude()
    cause = case.damage(facts, refuses=False)
    if cause is not None:
        _warranty_dates(case, facts, part)
        return _quoted(case, policy.excluded_cause.id, cause)
    covered = _warranty_dates(case, facts, part)
    if covered is None:
        case.add("needs", Fact.INVOICE_ON.value)
        return case.conclude()
    if not covered:
        return _quoted(case, policy.out_of_warranty.id, "period")
    if facts.quality_problem is None:
        case.add("needs", Fact.QUALITY_PROBLEM.value)
        return case.conclude()
    if facts.quality_problem is False:
        return _quoted(case, policy.out_of_warranty.id, Fact.QUALITY_PROBLEM.value)
    case.reason = replace(case.reason, charge=Charge.FREE)
    return case.conclude()


def _charged(reason: Reason, policy: Policy) -> Reason:
    """P8's out-of-warranty terms on a reason: a quote first (or a plain charge), free diagnosis."""
    terms = policy.out_of_warranty
    charge = Charge.QUOTED if terms.quote_before_repair else Charge.PAID
    return replace(reason, charge=charge, free_diagnosis=terms.free_diagnosis)


def _quoted(case: _Case, rule_id: str, refused_by: str) -> Decision:
    """A repair the warranty does not cover: allowed at a price, on P8's out-of-warranty terms. The
    handbook does not say who pays the shipping of a paid repair: the reason says nothing of it."""
    rule = case.policy.rule(rule_id)
    reason = replace(_charged(case.reason, case.policy), refused_by=refused_by, provisos=(), return_shipping=None)
    return Decision(case.remedy, Verdict.ALLOWED, rule.id, rule.clause, reason)


def _installation(facts: CaseFacts, policy: Policy) -> Decision:
    rule = policy.installation
    case = _Case(Remedy.INSTALLATION, rule, policy, Reason(category=facts.category))
    if facts.category is not None and facts.category not in rule.categories:
        case.add("not_applicable", Fact.CATEGORY.value)
    case.window(facts, rule.window)
    if facts.category is None:
        case.add("needs", Fact.CATEGORY.value)
    return case.conclude()


def _price_protection(facts: CaseFacts, policy: Policy) -> Decision:
    rule = policy.price_protection
    case = _Case(Remedy.PRICE_PROTECTION, rule, policy)
    case.window(facts, rule.window)
    for flag in rule.excluded_flags:
        case.flag(facts.flag(flag), flag.value)
    if rule.once:
        case.flag(facts.price_protection_used, "price_protection_used", refused_by="once")
    return case.conclude()


def _invoice_title_change(facts: CaseFacts, policy: Policy) -> Decision:
    rule = policy.invoice_title_change
    case = _Case(Remedy.INVOICE_TITLE_CHANGE, rule, policy)
    case.window(facts, rule.window)
    if rule.once:
        case.flag(facts.invoice_title_changed, "invoice_title_changed", refused_by="once")
    return case.conclude()


def _special_invoice(facts: CaseFacts, policy: Policy) -> Decision:
    rule: WindowRule = policy.special_invoice
    case = _Case(Remedy.SPECIAL_INVOICE, rule, policy)
    companies_only = policy.special_invoice.companies_only
    if companies_only and facts.is_company is False:
        case.add("not_applicable", Fact.IS_COMPANY.value)
    case.window(facts, rule.window)
    if companies_only and facts.is_company is None:
        case.add("needs", Fact.IS_COMPANY.value)
    return case.conclude()


def decide(facts: CaseFacts, policy: Policy) -> Decisions:
    """Every remedy's decision for the case (see the module's rules)."""
    return Decisions(
        (
            _no_reason_return(facts, policy),
            _quality_remedy(Remedy.QUALITY_RETURN, policy.quality_return, facts, policy),
            _quality_remedy(Remedy.EXCHANGE, policy.exchange, facts, policy),
            _repair(facts, policy),
            _warranty(facts, policy),
            _installation(facts, policy),
            _price_protection(facts, policy),
            _invoice_title_change(facts, policy),
            _special_invoice(facts, policy),
        )
    )
