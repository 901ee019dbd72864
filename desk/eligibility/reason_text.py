"""A decision said as one sentence in Chinese or English, with its dates and its clause.

"签收第 9 天（2026年3月1日 签收）：已过 7 天无理由退货期限（截至 2026年3月8日）（P6）。"
"Battery warranty is 1 year from the invoice date (12 Oct 2025); at 13 months it ended on 12 Oct 2026:
diagnosis is free and repairs are quoted first, never done without your consent (P8)."

The words are in `desk/copy/eligibility.py` (keys `eligibility_*`); the numbers and dates come from the decision
(and so from the policy file). Dates are Beijing dates, with the year (a warranty spans years).
"""

from __future__ import annotations

from datetime import date

from desk.copy import say
from desk.eligibility.engine import Charge, Decision, Reason, Remedy, Verdict
from desk.eligibility.facts import Condition, DamageCause, PriceFlag
from knowledge.language import Language

_CONDITIONS = frozenset(condition.value for condition in Condition)
_CAUSES = frozenset(cause.value for cause in DamageCause)
_FLAGS = frozenset(flag.value for flag in PriceFlag)


def date_text(day: date, language: Language) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language == "zh" else f"{day.day} {day:%b %Y}"


def reason_text(decision: Decision, language: Language) -> str:
    """The decision and its reason as one sentence ending with the clause."""
    parts = [_main(decision, language)]
    reason = decision.reason
    if decision.verdict is Verdict.ALLOWED:
        if reason.charge is not None and not (reason.charge is Charge.FREE and reason.days is not None):
            parts.append(_charge(reason, language))  # P7's window already says "free repair"
        if reason.return_shipping is not None:
            parts.append(say(f"eligibility_shipping_{reason.return_shipping.value}", language))
        if reason.provisos:
            conditions = _listed([say(f"eligibility_proviso_{name}", language) for name in reason.provisos], language)
            parts.append(say("eligibility_provisos", language, conditions=conditions))
    elif decision.remedy is Remedy.WARRANTY and reason.charge is not None:
        parts.append(_charge(reason, language))
    separator = "；" if language == "zh" else "; "
    sentence = separator.join(part for part in parts if part)
    if language == "zh":
        return f"{sentence}（{decision.clause}）。"
    return f"{sentence[:1].upper()}{sentence[1:]} ({decision.clause})."


def _main(decision: Decision, language: Language) -> str:
    reason = decision.reason
    remedy = say(f"eligibility_remedy_{decision.remedy.value}", language)
    if decision.verdict is Verdict.NEEDS_FACT:
        assert reason.missing is not None
        fact = say(f"eligibility_fact_{reason.missing.value}", language)
        return say("eligibility_needs", language, remedy=remedy, fact=fact)
    refused = reason.refused_by
    if decision.verdict is Verdict.NOT_APPLICABLE:
        return _not_applicable(decision, language, remedy)
    if reason.months is not None and reason.part is not None and refused in (None, "period"):
        return _warranty_period(reason, language, ended=refused == "period")
    if refused == "window_by_invoice":
        return say(
            "eligibility_window_by_invoice", language, day_text=_day(reason, language), days=reason.days, remedy=remedy
        )
    if refused == "window" or (decision.verdict is Verdict.ALLOWED and refused is None and reason.days is not None):
        key = "eligibility_window_closed" if refused == "window" else "eligibility_window_open"
        assert reason.last_day is not None
        return say(
            key,
            language,
            day_text=_day(reason, language),
            days=reason.days,
            remedy=remedy,
            last_day=date_text(reason.last_day, language),
        )
    if refused in _CONDITIONS:
        condition = say(f"eligibility_condition_{refused}", language)
        return say("eligibility_refused_condition", language, condition=condition, remedy=remedy)
    if refused in _CAUSES:
        cause = say(f"eligibility_cause_{refused}", language)
        if decision.remedy in (Remedy.WARRANTY, Remedy.REPAIR):
            return say("eligibility_warranty_cause", language, cause=cause)
        return say("eligibility_refused_cause", language, cause=cause, remedy=remedy)
    if refused in _FLAGS:
        return say("eligibility_refused_flag", language, flag=say(f"eligibility_flag_{refused}", language))
    if refused == "once":
        return say(f"eligibility_once_{decision.remedy.value}", language)
    if refused == "part":
        return say("eligibility_not_covered_part", language)
    if refused == "quality_problem":
        return say("eligibility_not_quality_problem", language)
    return ""


def _not_applicable(decision: Decision, language: Language, remedy: str) -> str:
    reason = decision.reason
    product = say(f"eligibility_category_{reason.category.value}", language) if reason.category else ""
    if reason.refused_by == "quality_problem":
        return say("eligibility_na_quality_problem", language, remedy=remedy)
    if reason.refused_by == "is_company":
        return say("eligibility_na_is_company", language)
    if decision.remedy is Remedy.INSTALLATION:
        return say("eligibility_na_installation", language, category=product)
    part = say(f"eligibility_part_{reason.part.value}", language) if reason.part is not None else ""
    return say("eligibility_na_part_category", language, category=product, part=part)


def _day(reason: Reason, language: Language) -> str:
    assert reason.counted_from is not None and reason.start is not None
    return say(
        f"eligibility_day_{reason.counted_from.value}",
        language,
        day=reason.day,
        start=date_text(reason.start, language),
    )


def _warranty_period(reason: Reason, language: Language, *, ended: bool) -> str:
    assert reason.part is not None and reason.months is not None
    assert reason.start is not None and reason.last_day is not None and reason.day is not None
    months = reason.months
    period = _amount(months // 12, "year", language) if months % 12 == 0 else _amount(months, "month", language)
    elapsed = reason.elapsed_months or 0
    age = _amount(elapsed, "month", language) if elapsed else _amount(reason.day, "day", language)
    return say(
        "eligibility_warranty_ended" if ended else "eligibility_warranty_covered",
        language,
        part=say(f"eligibility_part_{reason.part.value}", language),
        period=period,
        start=date_text(reason.start, language),
        end=date_text(reason.last_day, language),
        age=age,
    )


def _charge(reason: Reason, language: Language) -> str:
    if reason.charge is Charge.FREE:
        return say("eligibility_charge_free", language)
    if reason.charge is Charge.QUOTED:
        key = "eligibility_charge_quoted_free_diagnosis" if reason.free_diagnosis else "eligibility_charge_quoted"
        return say(key, language)
    return say("eligibility_charge_paid", language)


def _amount(n: int, unit: str, language: Language) -> str:
    return say(f"eligibility_unit_{unit}" if n == 1 else f"eligibility_unit_{unit}s", language, n=n)


def _listed(items: list[str], language: Language) -> str:
    if language == "zh":
        return "，".join(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
