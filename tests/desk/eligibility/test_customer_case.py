"""A customer's case decided over the ranges their words leave open (docs/eligibility-cases.md):
the same verdict at both ends is the decision, different ones ask for the date that decides; an
order's dates are exact; the one question is asked only while nothing is allowed."""

from __future__ import annotations

from datetime import date

import pytest

from desk.eligibility.case_words import read_words
from desk.eligibility.customer_case import decide_case
from desk.eligibility.engine import Remedy, Verdict
from desk.eligibility.facts import CaseFacts, Fact
from desk.eligibility.rules import Policy, load_policy
from desk.orders.records import Category

TODAY = date(2026, 12, 9)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def test_a_purchase_last_week_asks_for_the_delivery_date(policy: Policy) -> None:
    answer = decide_case(read_words("我上周买的空气净化器有异味，能退吗？", TODAY, "zh"), TODAY, policy)
    assert answer is not None and answer.question is Fact.DELIVERED_ON
    assert [d.verdict for d in answer.decisions] == [Verdict.NEEDS_FACT, Verdict.NEEDS_FACT]


def test_a_purchase_this_week_is_allowed_whatever_the_delivery(policy: Policy) -> None:
    answer = decide_case(read_words("前天买的，不想要了能退吗", TODAY, "zh"), TODAY, policy)
    assert answer is not None and answer.question is None
    decision = answer.decision(Remedy.NO_REASON_RETURN)
    assert decision is not None and decision.verdict is Verdict.ALLOWED and answer.estimated


def test_fourteen_months_ends_the_battery_warranty(policy: Policy) -> None:
    words = read_words("机器人充不进电了，还在保修期吗，买了14个月", TODAY, "zh")
    answer = decide_case(words, TODAY, policy)
    assert answer is not None
    (decision,) = answer.decisions
    assert (decision.verdict, decision.rule_id, decision.reason.refused_by) == (
        Verdict.NOT_ALLOWED,
        "P8.battery",
        "period",
    )


def test_a_warranty_within_days_of_its_end_asks_for_the_invoice_date(policy: Policy) -> None:
    # Bought 12 months less 5 days ago: the invoice (0–11 days later) may fall either side.
    words = read_words("电池充不进电了，还保修吗，2025年12月14日买的", TODAY, "zh")
    answer = decide_case(words, TODAY, policy)
    assert answer is not None and answer.question is None  # covered at both ends: the earliest is 14 Dec 2025
    words = read_words("电池充不进电了，还保修吗，2025年12月4日买的", TODAY, "zh")
    answer = decide_case(words, TODAY, policy)
    assert answer is not None and answer.question is Fact.INVOICE_ON


def test_a_repair_between_p7_and_the_warranty_asks_for_the_delivery(policy: Policy) -> None:
    # Paid 12 days ago: delivered 4–12 days ago, always within P7's 15 days: a free repair.
    answer = decide_case(read_words("12天前买的扫地机坏了，能修吗", TODAY, "zh"), TODAY, policy)
    assert answer is not None and answer.decisions[0].reason.charge == "free"
    # Paid 20 days ago: delivered 12–20 days ago: P7 or the warranty; the delivery date decides.
    answer = decide_case(read_words("20天前买的扫地机坏了，能修吗", TODAY, "zh"), TODAY, policy)
    assert answer is not None and answer.question is Fact.DELIVERED_ON


def test_the_order_dates_win(policy: Policy) -> None:
    order = CaseFacts(
        today=TODAY,
        paid_on=date(2026, 11, 28),
        delivered_on=date(2026, 11, 30),
        invoice_on=date(2026, 12, 1),
        category=Category.AIR_PURIFIER,
        flash_sale=False,
        coupon_price=False,
        trade_in=False,
    )
    answer = decide_case(read_words("有异味，能退吗，昨天收到的", TODAY, "zh"), TODAY, policy, order)
    assert answer is not None and not answer.estimated
    decision = answer.decision(Remedy.QUALITY_RETURN)
    assert decision is not None and (decision.verdict, decision.reason.day) == (Verdict.NOT_ALLOWED, 9)


def test_no_remedy_is_no_case(policy: Policy) -> None:
    assert decide_case(read_words("你好", TODAY, "zh"), TODAY, policy) is None


def test_a_refusal_at_both_ends_gives_the_reason_that_holds_whatever_the_dates(policy: Policy) -> None:
    # Delivered 3 days ago: paid 3 to 11 days ago, so the window may have passed; the trade-in price
    # refuses price protection either way.
    words = read_words("I got my purifier through the trade-in offer 3 days ago and now it's cheaper", TODAY, "en")
    answer = decide_case(words, TODAY, policy)
    assert answer is not None and answer.question is None
    (decision,) = answer.decisions
    assert (decision.verdict, decision.reason.refused_by) == (Verdict.NOT_ALLOWED, "trade_in")


@pytest.mark.parametrize(
    ("text", "rule", "charge"),
    [
        # Within the first year the unit and its motor or compressor are all covered: no question.
        ("空调不制冷了，想修一下，2026年3月2日的发票", "P8.whole_unit", "free"),
        # Past every part's warranty the repair is quoted whatever the part.
        (
            "The vacuum has weak suction and I want it repaired, invoice dated 2023-05-01",
            "P8.out_of_warranty",
            "quoted",
        ),
        # A cause P8 excludes is not covered in any part.
        ("用了别的牌子的充电器，耳机充不进去电了，想修，2026年9月1日的发票", "P8.excluded_cause", "quoted"),
        # ...nor within P7's 15 days: a delivery "last month" (P7 at one end, the warranty at the
        # other) is not asked for.
        ("扫地机从楼梯上摔下去了，现在转不动了，上个月到的，能修吗", "P8.excluded_cause", "quoted"),
        (
            "My son wedged a toy car in the vacuum's wheel and now it grinds. Got it last month. Repair?",
            "P8.excluded_cause",
            "quoted",
        ),
    ],
)
def test_a_fault_whose_part_does_not_change_the_answer_is_not_asked_about(
    policy: Policy, text: str, rule: str, charge: str
) -> None:
    answer = decide_case(read_words(text, TODAY, "en" if text.isascii() else "zh"), TODAY, policy)
    assert answer is not None and answer.question is None
    (decision,) = answer.decisions
    assert (decision.verdict, decision.rule_id, decision.reason.charge) == (Verdict.ALLOWED, rule, charge)


@pytest.mark.parametrize(
    "text",
    [
        "扫地机吸力变弱了，想修，2025年6月1日的发票",  # the whole unit ended, the motor not
        "空调有毛病，想报修，2026年3月2日的发票",  # "a problem" may be the remote (6 months)
        # Cooling badly is described, not the unit failing: the unit ended, the compressor not.
        "Our AC isn't cooling properly any more, can it be repaired? Invoice dated 2025-06-01.",
        "Is my air purifier still under warranty? Invoice dated 2026-03-02.",  # no fault said
    ],
)
def test_a_part_that_changes_the_answer_is_asked_for(policy: Policy, text: str) -> None:
    answer = decide_case(read_words(text, TODAY, "en" if text.isascii() else "zh"), TODAY, policy)
    assert answer is not None and answer.question is Fact.PART


@pytest.mark.parametrize(
    ("text", "quality"),
    [
        ("不想修也不想换，直接退吧，3天前收到的音箱", True),
        ("A replacement or a repair isn't what I'm after, I'd rather have my money back. It came 3 days ago.", True),
        ("The speaker is still in its box, never opened. Can I send it back? It came 3 days ago.", False),
    ],
)
def test_a_refused_fix_is_a_fault_and_an_unopened_item_is_not(policy: Policy, text: str, quality: bool) -> None:
    words = read_words(text, TODAY, "en" if text.isascii() else "zh")
    assert words.quality_problem is quality


@pytest.mark.parametrize(
    "text",
    [
        "三个月前买的空气净化器，想问下现在还在保修期不？没什么问题，就是问问",  # every covered part: covered
        "Is my air purifier still under warranty? Bought it 3 months ago.",
    ],
)
def test_no_fault_said_within_every_parts_warranty_is_answered_under_the_unit(policy: Policy, text: str) -> None:
    # A purifier has no compressor: that rule's "not applicable" does not make the parts differ.
    answer = decide_case(read_words(text, TODAY, "en" if text.isascii() else "zh"), TODAY, policy)
    assert answer is not None and answer.question is None
    (decision,) = answer.decisions
    assert (decision.verdict, decision.rule_id) == (Verdict.ALLOWED, "P8.whole_unit")
