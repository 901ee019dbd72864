"""The policy engine, table by table: Counting days (day 0, 7, 8, 15, 16; month ends; leap years;
warranty anniversaries), every exclusion of P6/P8/P12, the once-only limits, missing facts and
remedies that do not apply (docs/eligibility.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from desk.eligibility.engine import (
    Charge,
    Decision,
    Remedy,
    ReturnShipping,
    Verdict,
    add_months,
    decide,
    whole_months,
)
from desk.eligibility.facts import CaseFacts, Condition, DamageCause, Fact, Part, PriceFlag
from desk.eligibility.rules import Policy, load_policy
from desk.orders.records import Category

ALLOWED, NOT_ALLOWED, NEEDS, NA = Verdict.ALLOWED, Verdict.NOT_ALLOWED, Verdict.NEEDS_FACT, Verdict.NOT_APPLICABLE
DELIVERED = date(2026, 3, 1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def on_day(day: int, **facts: Any) -> CaseFacts:
    """A case on day `day` after a delivery on 1 March 2026 (day 0)."""
    return CaseFacts(today=DELIVERED + timedelta(days=day), delivered_on=DELIVERED, **facts)


def decision(policy: Policy, facts: CaseFacts, remedy: Remedy) -> Decision:
    return decide(facts, policy)[remedy]


# --- Counting days: day 0 / 7 / 8 / 15 / 16 -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "no_reason", "quality_return", "exchange", "repair_rule"),
    [
        (0, ALLOWED, ALLOWED, ALLOWED, "P7.repair"),
        (1, ALLOWED, ALLOWED, ALLOWED, "P7.repair"),
        (7, ALLOWED, ALLOWED, ALLOWED, "P7.repair"),
        (8, NOT_ALLOWED, NOT_ALLOWED, ALLOWED, "P7.repair"),
        (9, NOT_ALLOWED, NOT_ALLOWED, ALLOWED, "P7.repair"),
        (15, NOT_ALLOWED, NOT_ALLOWED, ALLOWED, "P7.repair"),
        (16, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, "P8.whole_unit"),
    ],
)
def test_return_exchange_and_repair_windows_by_day(
    policy: Policy, day: int, no_reason: Verdict, quality_return: Verdict, exchange: Verdict, repair_rule: str
) -> None:
    facts = on_day(day, quality_problem=True, part=Part.WHOLE_UNIT, invoice_on=DELIVERED)
    decisions = decide(facts, policy)
    assert decisions[Remedy.NO_REASON_RETURN].verdict is no_reason
    assert decisions[Remedy.QUALITY_RETURN].verdict is quality_return
    assert decisions[Remedy.EXCHANGE].verdict is exchange
    repair = decisions[Remedy.REPAIR]
    assert (repair.verdict, repair.rule_id, repair.reason.charge) == (ALLOWED, repair_rule, Charge.FREE)
    for remedy in (Remedy.NO_REASON_RETURN, Remedy.QUALITY_RETURN, Remedy.EXCHANGE):
        assert decisions[remedy].reason.day == day
        assert decisions[remedy].reason.start == DELIVERED


def test_p6_from_the_day_after_delivery_ends_on_the_same_day_as_within_7_days(policy: Policy) -> None:
    p6 = decision(policy, on_day(3), Remedy.NO_REASON_RETURN)
    p7 = decision(policy, on_day(3, quality_problem=True), Remedy.QUALITY_RETURN)
    assert p6.reason.last_day == p7.reason.last_day == date(2026, 3, 8)
    assert (p6.reason.days, p6.reason.day) == (7, 3)


@pytest.mark.parametrize(
    ("delivered", "days_remedy", "last_day"),
    [
        (date(2026, 1, 31), Remedy.NO_REASON_RETURN, date(2026, 2, 7)),  # across a month end
        (date(2026, 2, 28), Remedy.EXCHANGE, date(2026, 3, 15)),  # February of a common year
        (date(2028, 2, 28), Remedy.EXCHANGE, date(2028, 3, 14)),  # a leap February has a 29th
        (date(2026, 12, 31), Remedy.NO_REASON_RETURN, date(2027, 1, 7)),  # across the year end
        (date(2026, 1, 31), Remedy.INSTALLATION, date(2026, 3, 2)),  # 30 days over a short February
        (date(2028, 1, 31), Remedy.INSTALLATION, date(2028, 3, 1)),  # ... and over a leap one
    ],
)
def test_window_last_days_over_month_and_year_ends(
    policy: Policy, delivered: date, days_remedy: Remedy, last_day: date
) -> None:
    facts: dict[str, Any] = {"quality_problem": True, "category": Category.AIR_CONDITIONER}
    on_last = decision(policy, CaseFacts(today=last_day, delivered_on=delivered, **facts), days_remedy)
    after = decision(
        policy, CaseFacts(today=last_day + timedelta(days=1), delivered_on=delivered, **facts), days_remedy
    )
    assert (on_last.verdict, on_last.reason.last_day) == (ALLOWED, last_day)
    assert (after.verdict, after.reason.refused_by) == (NOT_ALLOWED, "window")


# --- P8: periods, leap years, anniversaries on the 29th–31st --------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2025, 10, 12), 12, date(2026, 10, 12)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a leap day: the next year has no 29 February
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 2, 28), 12, date(2024, 2, 28)),  # not moved to the leap day
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 8, 30), 6, date(2027, 2, 28)),
        (date(2026, 8, 29), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # six months into a leap February
        (date(2027, 8, 28), 6, date(2028, 2, 28)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),
        (date(2026, 5, 31), 6, date(2026, 11, 30)),
        (date(2026, 7, 31), 6, date(2027, 1, 31)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
    ],
)
def test_warranty_end_dates(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


@pytest.mark.parametrize(
    ("part", "invoice", "end"),
    [
        (Part.WHOLE_UNIT, date(2024, 2, 29), date(2025, 2, 28)),
        (Part.BATTERY, date(2025, 10, 12), date(2026, 10, 12)),
        (Part.MOTOR, date(2024, 2, 29), date(2026, 2, 28)),
        (Part.COMPRESSOR, date(2025, 1, 31), date(2027, 1, 31)),
        (Part.ACCESSORY, date(2026, 8, 31), date(2027, 2, 28)),
        (Part.ACCESSORY, date(2026, 8, 29), date(2027, 2, 28)),
        (Part.ACCESSORY, date(2026, 3, 31), date(2026, 9, 30)),
    ],
)
def test_the_warranty_covers_its_end_date_and_not_the_day_after(
    policy: Policy, part: Part, invoice: date, end: date
) -> None:
    on_end = decision(policy, CaseFacts(today=end, invoice_on=invoice, part=part), Remedy.WARRANTY)
    after = decision(policy, CaseFacts(today=end + timedelta(days=1), invoice_on=invoice, part=part), Remedy.WARRANTY)
    assert (on_end.verdict, on_end.rule_id, on_end.reason.last_day) == (ALLOWED, f"P8.{part.value}", end)
    assert on_end.reason.charge is Charge.FREE
    assert (after.verdict, after.rule_id, after.reason.refused_by) == (NOT_ALLOWED, f"P8.{part.value}", "period")
    assert (after.reason.charge, after.reason.free_diagnosis) == (Charge.QUOTED, True)


def test_a_battery_at_14_months_is_out_of_warranty_with_a_free_diagnosis_and_a_quote(policy: Policy) -> None:
    facts = CaseFacts(today=date(2026, 12, 12), invoice_on=date(2025, 10, 12), part=Part.BATTERY, quality_problem=True)
    decisions = decide(facts, policy)
    warranty, repair = decisions[Remedy.WARRANTY], decisions[Remedy.REPAIR]
    assert (warranty.verdict, warranty.rule_id, warranty.clause) == (NOT_ALLOWED, "P8.battery", "P8")
    assert (warranty.reason.start, warranty.reason.last_day, warranty.reason.elapsed_months) == (
        date(2025, 10, 12),
        date(2026, 10, 12),
        14,
    )
    # A repair is still possible out of warranty, on P8's terms: free diagnosis, a quote first.
    assert (repair.verdict, repair.rule_id, repair.reason.charge) == (ALLOWED, "P8.out_of_warranty", Charge.QUOTED)
    assert repair.reason.free_diagnosis is True
    # Delivery is never after the invoice: P6/P7 are over without asking for the delivery date.
    assert decisions[Remedy.NO_REASON_RETURN].reason.refused_by == "window_by_invoice"
    assert decisions[Remedy.EXCHANGE].verdict is NOT_ALLOWED


@pytest.mark.parametrize(
    ("start", "today", "months"),
    [
        (date(2025, 10, 12), date(2026, 12, 11), 13),
        (date(2025, 10, 12), date(2026, 12, 12), 14),
        (date(2026, 8, 31), date(2026, 9, 30), 1),  # the month's last day is the anniversary
        (date(2026, 8, 31), date(2026, 9, 29), 0),
        (date(2026, 3, 1), date(2026, 3, 1), 0),
    ],
)
def test_whole_months(start: date, today: date, months: int) -> None:
    assert whole_months(start, today) == months


# --- P6's exclusions and conditions --------------------------------------------------------------


@pytest.mark.parametrize("condition", list(Condition))
def test_each_p6_condition_refuses_a_no_reason_return_within_the_window(policy: Policy, condition: Condition) -> None:
    result = decision(policy, on_day(2, **{condition.value: True}), Remedy.NO_REASON_RETURN)
    assert (result.verdict, result.rule_id, result.reason.refused_by) == (
        NOT_ALLOWED,
        "P6.no_reason_return",
        condition.value,
    )


def test_unknown_p6_conditions_are_provisos_not_guesses(policy: Policy) -> None:
    unknown = decision(policy, on_day(2), Remedy.NO_REASON_RETURN)
    assert unknown.verdict is ALLOWED
    assert set(unknown.reason.provisos) == {condition.value for condition in Condition}
    known = decision(policy, on_day(2, **{c.value: False for c in Condition}), Remedy.NO_REASON_RETURN)
    assert (known.verdict, known.reason.provisos) == (ALLOWED, ())


@pytest.mark.parametrize(
    ("insurance", "shipping"),
    [
        (None, ReturnShipping.CUSTOMER_UNLESS_INSURED),
        (False, ReturnShipping.CUSTOMER),
        (True, ReturnShipping.INSURANCE),
    ],
)
def test_who_pays_the_return_shipping(policy: Policy, insurance: bool | None, shipping: ReturnShipping) -> None:
    facts = on_day(2, quality_problem=True, return_insurance=insurance)
    assert decision(policy, facts, Remedy.NO_REASON_RETURN).reason.return_shipping is shipping
    assert decision(policy, facts, Remedy.QUALITY_RETURN).reason.return_shipping is ReturnShipping.LUMIO
    assert decision(policy, facts, Remedy.EXCHANGE).reason.return_shipping is ReturnShipping.LUMIO


# --- P8's exclusions -----------------------------------------------------------------------------


@pytest.mark.parametrize("cause", list(DamageCause))
def test_each_excluded_cause(policy: Policy, cause: DamageCause) -> None:
    in_warranty = CaseFacts(
        today=date(2026, 6, 1),
        invoice_on=date(2026, 3, 1),
        part=Part.WHOLE_UNIT,
        quality_problem=True,
        damage_causes=frozenset({cause}),
    )
    warranty = decision(policy, in_warranty, Remedy.WARRANTY)
    assert (warranty.verdict, warranty.rule_id, warranty.reason.refused_by) == (
        NOT_ALLOWED,
        "P8.excluded_cause",
        cause.value,
    )
    repair = decision(policy, in_warranty, Remedy.REPAIR)
    assert (repair.verdict, repair.rule_id, repair.reason.charge) == (ALLOWED, "P8.excluded_cause", Charge.QUOTED)
    # Within P7's windows the cause is no quality problem either.
    early = on_day(3, quality_problem=True, damage_causes=frozenset({cause}))
    for remedy in (Remedy.QUALITY_RETURN, Remedy.EXCHANGE):
        result = decision(policy, early, remedy)
        assert (result.verdict, result.rule_id, result.clause) == (NOT_ALLOWED, "P8.excluded_cause", "P8")
    early_repair = decision(policy, early, Remedy.REPAIR)
    assert (early_repair.verdict, early_repair.rule_id, early_repair.reason.charge) == (
        ALLOWED,
        "P8.excluded_cause",
        Charge.QUOTED,
    )


def test_no_excluded_cause_said_is_not_a_proviso_any_more(policy: Policy) -> None:
    facts = CaseFacts(today=date(2026, 6, 1), invoice_on=date(2026, 3, 1), part=Part.BATTERY, damage_causes=frozenset())
    assert decision(policy, facts, Remedy.WARRANTY).reason.provisos == ()
    assert decision(policy, replace(facts, damage_causes=None), Remedy.WARRANTY).reason.provisos == ("damage_causes",)


def test_consumables_are_not_covered(policy: Policy) -> None:
    facts = CaseFacts(today=date(2026, 6, 1), invoice_on=date(2026, 3, 1), delivered_on=date(2026, 3, 1))
    facts = replace(facts, part=Part.CONSUMABLE, quality_problem=True)
    for remedy in (Remedy.WARRANTY, Remedy.REPAIR):
        result = decision(policy, facts, remedy)
        assert (result.verdict, result.rule_id, result.reason.refused_by) == (NOT_ALLOWED, "P8.consumable", "part")
    # Within P7's 15 days a faulty consumable is a quality problem like any other.
    early = replace(facts, today=date(2026, 3, 10))
    assert decision(policy, early, Remedy.EXCHANGE).verdict is ALLOWED


@pytest.mark.parametrize(
    ("day", "quality_problem", "verdict", "rule_id", "charge", "missing"),
    [
        (10, True, ALLOWED, "P7.repair", Charge.FREE, None),
        (10, False, ALLOWED, "P8.out_of_warranty", Charge.QUOTED, None),
        (10, None, NEEDS, "P7.repair", None, Fact.QUALITY_PROBLEM),
        (40, True, ALLOWED, "P8.motor", Charge.FREE, None),
        (40, False, ALLOWED, "P8.out_of_warranty", Charge.QUOTED, None),
        (40, None, NEEDS, "P8.motor", None, Fact.QUALITY_PROBLEM),
        (800, True, ALLOWED, "P8.out_of_warranty", Charge.QUOTED, None),  # 2 years ended
    ],
)
def test_repair_after_15_days_is_the_warranty_of_the_part(
    policy: Policy,
    day: int,
    quality_problem: bool | None,
    verdict: Verdict,
    rule_id: str,
    charge: Charge | None,
    missing: Fact | None,
) -> None:
    result = decision(
        policy, on_day(day, invoice_on=DELIVERED, part=Part.MOTOR, quality_problem=quality_problem), Remedy.REPAIR
    )
    assert (result.verdict, result.rule_id, result.reason.charge, result.reason.missing) == (
        verdict,
        rule_id,
        charge,
        missing,
    )


# --- P12 and P13 ---------------------------------------------------------------------------------


PAID = date(2026, 3, 1)


@pytest.mark.parametrize(("day", "verdict"), [(0, ALLOWED), (7, ALLOWED), (8, NOT_ALLOWED)])
def test_price_protection_within_7_days_of_payment(policy: Policy, day: int, verdict: Verdict) -> None:
    result = decision(policy, CaseFacts(today=PAID + timedelta(days=day), paid_on=PAID), Remedy.PRICE_PROTECTION)
    assert (result.verdict, result.reason.day, result.reason.last_day) == (verdict, day, date(2026, 3, 8))


@pytest.mark.parametrize("flag", list(PriceFlag))
def test_each_price_flag_excludes_price_protection(policy: Policy, flag: PriceFlag) -> None:
    flagged: dict[str, Any] = {flag.value: True}
    facts = CaseFacts(today=date(2026, 3, 3), paid_on=PAID, **flagged)
    result = decision(policy, facts, Remedy.PRICE_PROTECTION)
    assert (result.verdict, result.rule_id, result.reason.refused_by) == (
        NOT_ALLOWED,
        "P12.price_protection",
        flag.value,
    )


def test_price_protection_once_per_order(policy: Policy) -> None:
    known: dict[str, Any] = {"flash_sale": False, "coupon_price": False, "trade_in": False}
    first = CaseFacts(today=date(2026, 3, 3), paid_on=PAID, price_protection_used=False, **known)
    assert decision(policy, first, Remedy.PRICE_PROTECTION) == decision(policy, first, Remedy.PRICE_PROTECTION)
    assert decision(policy, first, Remedy.PRICE_PROTECTION).verdict is ALLOWED
    assert decision(policy, first, Remedy.PRICE_PROTECTION).reason.provisos == ()
    second = decision(policy, replace(first, price_protection_used=True), Remedy.PRICE_PROTECTION)
    assert (second.verdict, second.reason.refused_by) == (NOT_ALLOWED, "once")
    unknown = decision(policy, replace(first, price_protection_used=None), Remedy.PRICE_PROTECTION)
    assert (unknown.verdict, unknown.reason.provisos) == (ALLOWED, ("price_protection_used",))


@pytest.mark.parametrize(
    ("day", "changed", "verdict", "refused_by"),
    [
        (0, False, ALLOWED, None),
        (30, False, ALLOWED, None),
        (31, False, NOT_ALLOWED, "window"),
        (5, True, NOT_ALLOWED, "once"),
    ],
)
def test_invoice_title_changed_once_within_30_days(
    policy: Policy, day: int, changed: bool, verdict: Verdict, refused_by: str | None
) -> None:
    invoice = date(2026, 1, 31)
    facts = CaseFacts(today=invoice + timedelta(days=day), invoice_on=invoice, invoice_title_changed=changed)
    result = decision(policy, facts, Remedy.INVOICE_TITLE_CHANGE)
    assert (result.verdict, result.rule_id, result.reason.refused_by) == (
        verdict,
        "P13.invoice_title_change",
        refused_by,
    )
    assert result.reason.last_day == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("day", "company", "verdict"),
    [(30, True, ALLOWED), (31, True, NOT_ALLOWED), (3, False, NA), (3, None, NEEDS), (31, False, NA)],
)
def test_special_invoice_for_companies_within_30_days_of_delivery(
    policy: Policy, day: int, company: bool | None, verdict: Verdict
) -> None:
    result = decision(policy, on_day(day, is_company=company), Remedy.SPECIAL_INVOICE)
    assert (result.verdict, result.rule_id) == (verdict, "P13.special_invoice")


# --- P10 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "day", "verdict"),
    [
        (Category.AIR_CONDITIONER, 30, ALLOWED),
        (Category.WATER_PURIFIER, 0, ALLOWED),
        (Category.AIR_CONDITIONER, 31, NOT_ALLOWED),
        (Category.EARBUDS, 3, NA),
        (Category.ROBOT_VACUUM, 3, NA),
        (Category.EARBUDS, 90, NA),  # not applicable wins over a window that has passed
    ],
)
def test_installation(policy: Policy, category: Category, day: int, verdict: Verdict) -> None:
    result = decision(policy, on_day(day, category=category), Remedy.INSTALLATION)
    assert (result.verdict, result.rule_id, result.clause) == (verdict, "P10.installation", "P10")


def test_installation_for_earbuds_needs_no_date(policy: Policy) -> None:
    result = decision(policy, CaseFacts(today=date(2026, 3, 3), category=Category.EARBUDS), Remedy.INSTALLATION)
    assert (result.verdict, result.reason.refused_by) == (NA, "category")


def test_a_compressor_warranty_is_for_air_conditioners(policy: Policy) -> None:
    facts = CaseFacts(today=date(2026, 6, 1), invoice_on=date(2026, 3, 1), part=Part.COMPRESSOR)
    assert decision(policy, replace(facts, category=Category.EARBUDS), Remedy.WARRANTY).verdict is NA
    assert decision(policy, replace(facts, category=Category.AIR_CONDITIONER), Remedy.WARRANTY).verdict is ALLOWED


# --- missing facts: exactly one, never a guess ----------------------------------------------------


TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("facts", "remedy", "missing"),
    [
        (CaseFacts(today=TODAY), Remedy.NO_REASON_RETURN, Fact.DELIVERED_ON),
        (CaseFacts(today=TODAY, quality_problem=True), Remedy.QUALITY_RETURN, Fact.DELIVERED_ON),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 30)), Remedy.QUALITY_RETURN, Fact.QUALITY_PROBLEM),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 30)), Remedy.EXCHANGE, Fact.QUALITY_PROBLEM),
        (CaseFacts(today=TODAY), Remedy.REPAIR, Fact.DELIVERED_ON),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 30)), Remedy.REPAIR, Fact.QUALITY_PROBLEM),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 4, 1)), Remedy.REPAIR, Fact.PART),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 4, 1), part=Part.BATTERY), Remedy.REPAIR, Fact.INVOICE_ON),
        (CaseFacts(today=TODAY), Remedy.WARRANTY, Fact.PART),
        (CaseFacts(today=TODAY, invoice_on=date(2026, 1, 1)), Remedy.WARRANTY, Fact.PART),
        (CaseFacts(today=TODAY, part=Part.MOTOR), Remedy.WARRANTY, Fact.INVOICE_ON),
        (CaseFacts(today=TODAY), Remedy.INSTALLATION, Fact.DELIVERED_ON),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 30)), Remedy.INSTALLATION, Fact.CATEGORY),
        (CaseFacts(today=TODAY), Remedy.PRICE_PROTECTION, Fact.PAID_ON),
        (CaseFacts(today=TODAY), Remedy.INVOICE_TITLE_CHANGE, Fact.INVOICE_ON),
        (CaseFacts(today=TODAY), Remedy.SPECIAL_INVOICE, Fact.DELIVERED_ON),
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 30)), Remedy.SPECIAL_INVOICE, Fact.IS_COMPANY),
    ],
)
def test_a_missing_fact_is_named(policy: Policy, facts: CaseFacts, remedy: Remedy, missing: Fact) -> None:
    result = decision(policy, facts, remedy)
    assert (result.verdict, result.reason.missing) == (NEEDS, missing)
    assert result.reason.refused_by is None


@pytest.mark.parametrize(
    ("facts", "remedy", "refused_by"),
    [
        # A known fact that settles it beats one that is missing.
        (CaseFacts(today=TODAY, delivered_on=date(2026, 5, 1)), Remedy.QUALITY_RETURN, "window"),
        (CaseFacts(today=TODAY, gift_card=True), Remedy.NO_REASON_RETURN, "gift_card"),
        (CaseFacts(today=TODAY, flash_sale=True), Remedy.PRICE_PROTECTION, "flash_sale"),
        (CaseFacts(today=TODAY, damage_causes=frozenset({DamageCause.DROP})), Remedy.WARRANTY, "drop"),
        (CaseFacts(today=TODAY, part=Part.CONSUMABLE), Remedy.WARRANTY, "part"),
        (CaseFacts(today=TODAY, invoice_title_changed=True), Remedy.INVOICE_TITLE_CHANGE, "once"),
    ],
)
def test_a_known_refusal_needs_no_more_facts(policy: Policy, facts: CaseFacts, remedy: Remedy, refused_by: str) -> None:
    result = decision(policy, facts, remedy)
    assert (result.verdict, result.reason.refused_by, result.reason.missing) == (NOT_ALLOWED, refused_by, None)


def test_the_part_decides_the_rule_so_none_is_named_while_it_is_missing(policy: Policy) -> None:
    result = decision(policy, CaseFacts(today=TODAY, invoice_on=date(2026, 1, 1)), Remedy.WARRANTY)
    assert (result.rule_id, result.clause) == (None, "P8")


@pytest.mark.parametrize("remedy", [Remedy.QUALITY_RETURN, Remedy.EXCHANGE])
def test_no_quality_problem_no_p7(policy: Policy, remedy: Remedy) -> None:
    result = decision(policy, on_day(2, quality_problem=False), remedy)
    assert (result.verdict, result.reason.refused_by) == (NA, "quality_problem")


def test_every_remedy_is_decided_once(policy: Policy) -> None:
    assert [d.remedy for d in decide(CaseFacts(today=TODAY), policy)] == list(Remedy)


def test_a_date_after_today_is_refused() -> None:
    with pytest.raises(ValueError, match="delivered_on"):
        CaseFacts(today=date(2026, 3, 1), delivered_on=date(2026, 3, 2))


def test_a_decision_as_json(policy: Policy) -> None:
    result = decision(policy, on_day(9, quality_problem=True, damage_causes=frozenset()), Remedy.EXCHANGE)
    assert result.as_json() == {
        "remedy": "exchange",
        "verdict": "allowed",
        "rule_id": "P7.exchange",
        "clause": "P7",
        "reason": {
            "counted_from": "delivery",
            "start": "2026-03-01",
            "last_day": "2026-03-16",
            "day": 9,
            "days": 15,
            "return_shipping": "lumio",
        },
    }
