"""Decisions said in Chinese and English, with their dates, day counts, costs and clause."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from desk.copy import PHRASES
from desk.eligibility.engine import Remedy, decide
from desk.eligibility.facts import CaseFacts, Condition, DamageCause, Part, PriceFlag
from desk.eligibility.reason_text import reason_text
from desk.eligibility.rules import load_policy
from desk.orders.records import Category
from knowledge.language import LANGUAGES, Language

POLICY = load_policy()


def said(facts: CaseFacts, remedy: Remedy, language: Language) -> str:
    return reason_text(decide(facts, POLICY)[remedy], language)


DAY_9 = CaseFacts(today=date(2026, 3, 10), delivered_on=date(2026, 3, 1), quality_problem=True)
BATTERY_14_MONTHS = CaseFacts(today=date(2026, 12, 12), invoice_on=date(2025, 10, 12), part=Part.BATTERY)


@pytest.mark.parametrize(
    ("facts", "remedy", "language", "text"),
    [
        (
            DAY_9,
            Remedy.NO_REASON_RETURN,
            "zh",
            "签收第 9 天（2026年3月1日 签收）：已过 7 天无理由退货期限（截至 2026年3月8日）（P6）。",
        ),
        (
            DAY_9,
            Remedy.NO_REASON_RETURN,
            "en",
            "Day 9 after delivery (1 Mar 2026): the 7-day period for a no-reason return ended on 8 Mar 2026 (P6).",
        ),
        (
            CaseFacts(
                today=date(2026, 3, 10), delivered_on=date(2026, 3, 1), quality_problem=True, damage_causes=frozenset()
            ),
            Remedy.EXCHANGE,
            "zh",
            "签收第 9 天（2026年3月1日 签收）：2026年3月16日 24:00 前可以因质量问题换货（15 天内）；运费由禾光承担（P7）。",
        ),
        (
            BATTERY_14_MONTHS,
            Remedy.WARRANTY,
            "en",
            "Battery warranty is 1 year from the invoice date (12 Oct 2025); at 14 months it ended on 12 Oct 2026; "
            "diagnosis is free and repairs are quoted first, never done without your consent (P8).",
        ),
        (
            BATTERY_14_MONTHS,
            Remedy.WARRANTY,
            "zh",
            "电池保修 1 年，自开票日（2025年10月12日）起；现已 14 个月，已于 2026年10月12日 到期；"
            "可免费检测，维修前先报价，经您同意后才维修（P8）。",
        ),
        (
            CaseFacts(
                today=date(2027, 2, 28), invoice_on=date(2026, 8, 31), part=Part.ACCESSORY, damage_causes=frozenset()
            ),
            Remedy.WARRANTY,
            "en",
            "Accessory warranty is 6 months from the invoice date (31 Aug 2026) to 28 Feb 2027 inclusive; "
            "at 6 months it is covered; the repair is free (P8).",
        ),
        (
            CaseFacts(today=date(2026, 3, 3), category=Category.EARBUDS),
            Remedy.INSTALLATION,
            "en",
            "Installation is not offered for earbuds (P10).",
        ),
        (
            CaseFacts(today=date(2026, 3, 3)),
            Remedy.WARRANTY,
            "en",
            "To decide on the warranty, I need which part is faulty "
            "(whole unit, motor, compressor, battery, accessory or consumable) (P8).",
        ),
        (
            CaseFacts(today=date(2026, 3, 3), delivered_on=date(2026, 3, 1)),
            Remedy.NO_REASON_RETURN,
            "en",
            "Day 2 after delivery (1 Mar 2026): a no-reason return is possible until 24:00 on 8 Mar 2026 (within 7 days); "
            "you pay the return shipping unless you bought return-shipping insurance; provided that it is not a "
            "customised product, no consumable has been opened, it is not a gift card, the product, accessories, "
            "manuals and gifts are complete and the packaging intact and it has not been activated or used beyond "
            "normal inspection (P6).",
        ),
        (
            CaseFacts(
                today=date(2026, 3, 3), invoice_on=date(2026, 3, 1), part=Part.COMPRESSOR, category=Category.EARBUDS
            ),
            Remedy.WARRANTY,
            "en",
            "The compressor warranty does not apply to earbuds (P8).",
        ),
        (
            CaseFacts(
                today=date(2026, 3, 3), invoice_on=date(2026, 3, 1), part=Part.COMPRESSOR, category=Category.EARBUDS
            ),
            Remedy.WARRANTY,
            "zh",
            "无线耳机不适用压缩机保修（P8）。",
        ),
        (
            CaseFacts(today=date(2026, 3, 3), paid_on=date(2026, 3, 1), trade_in=True),
            Remedy.PRICE_PROTECTION,
            "zh",
            "以旧换新价不参加价格保护（P12）。",
        ),
        (
            CaseFacts(today=date(2026, 3, 3), paid_on=date(2026, 3, 1), price_protection_used=True),
            Remedy.PRICE_PROTECTION,
            "en",
            "Price protection is once per order, and this order has had it (P12).",
        ),
    ],
)
def test_sentences(facts: CaseFacts, remedy: Remedy, language: Language, text: str) -> None:
    assert said(facts, remedy, language) == text


ALL_CONDITIONS: dict[str, Any] = {condition.value: True for condition in Condition}
ALL_FLAGS: dict[str, Any] = {flag.value: True for flag in PriceFlag}
CASES = [
    DAY_9,
    BATTERY_14_MONTHS,
    CaseFacts(today=date(2026, 3, 1)),
    CaseFacts(today=date(2026, 3, 3), delivered_on=date(2026, 3, 1), **ALL_CONDITIONS),
    CaseFacts(today=date(2026, 3, 3), paid_on=date(2026, 3, 1), **ALL_FLAGS),
    CaseFacts(today=date(2026, 3, 3), invoice_on=date(2026, 3, 1), part=Part.CONSUMABLE, is_company=False),
    CaseFacts(
        today=date(2026, 5, 3),
        delivered_on=date(2026, 3, 1),
        invoice_on=date(2026, 3, 1),
        part=Part.COMPRESSOR,
        category=Category.EARBUDS,
        quality_problem=False,
    ),
    *(
        CaseFacts(
            today=date(2026, 3, 3),
            delivered_on=date(2026, 3, 1),
            invoice_on=date(2026, 3, 1),
            part=Part.MOTOR,
            quality_problem=True,
            damage_causes=frozenset({cause}),
        )
        for cause in DamageCause
    ),
]


@pytest.mark.parametrize("facts", CASES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_decision_has_a_sentence_with_its_clause(facts: CaseFacts, language: Language) -> None:
    for decision in decide(facts, POLICY):
        text = reason_text(decision, language)
        assert text.endswith(f"（{decision.clause}）。" if language == "zh" else f" ({decision.clause}).")
        assert len(text) > 12 and "{" not in text and "None" not in text


def test_every_eligibility_phrase_is_bilingual() -> None:
    keys = [key for key in PHRASES if key.startswith("eligibility_")]
    assert len(keys) > 50
    assert all(set(PHRASES[key]) == {"zh", "en"} for key in keys)
