"""Dates and durations in customers' words (desk/eligibility/customer_dates.py): table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from desk.eligibility.customer_dates import chinese_number, latest_day_of_month, normalise, when
from desk.eligibility.date_ranges import Ago, CustomerDate, minus
from desk.working_days import beijing_date

SUNDAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("today", "ago", "expected"),
    [
        (date(2026, 12, 6), Ago(months=14), date(2025, 10, 6)),
        (date(2026, 12, 31), Ago(months=1), date(2026, 11, 30)),  # month end: no 31 November
        (date(2026, 3, 31), Ago(months=1), date(2026, 2, 28)),
        (date(2028, 3, 31), Ago(months=1), date(2028, 2, 29)),  # leap year
        (date(2029, 2, 28), Ago(months=12), date(2028, 2, 28)),
        (date(2028, 2, 29), Ago(months=12), date(2027, 2, 28)),  # a leap day a year on
        (date(2026, 12, 6), Ago(months=30), date(2024, 6, 6)),
        (date(2026, 3, 1), Ago(days=1), date(2026, 2, 28)),
        (date(2028, 3, 1), Ago(days=1), date(2028, 2, 29)),
        (date(2026, 1, 5), Ago(days=14), date(2025, 12, 22)),
    ],
)
def test_minus(today: date, ago: Ago, expected: date) -> None:
    assert minus(today, ago) == expected


@pytest.mark.parametrize(
    ("day", "today", "expected"),
    [
        (3, date(2026, 12, 6), date(2026, 12, 3)),  # before today's day: this month
        (6, date(2026, 12, 6), date(2026, 12, 6)),  # today itself
        (3, date(2026, 12, 2), date(2026, 11, 3)),  # after today's day: last month
        (31, date(2026, 12, 6), date(2026, 10, 31)),  # November has no 31st
        (30, date(2026, 3, 2), date(2026, 1, 30)),  # February has no 30th
        (29, date(2028, 3, 1), date(2028, 2, 29)),  # leap year
        (29, date(2027, 3, 1), date(2027, 1, 29)),  # not a leap year
        (15, date(2026, 1, 10), date(2025, 12, 15)),  # across the new year
        (0, date(2026, 12, 6), None),
        (32, date(2026, 12, 6), None),
    ],
)
def test_latest_day_of_month(day: int, today: date, expected: date | None) -> None:
    assert latest_day_of_month(day, today) == expected


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("十四", 14), ("两", 2), ("十", 10), ("二十一", 21), ("一百零五", 105), ("三十", 30), ("半", None)],
)
def test_chinese_number(numeral: str, value: int | None) -> None:
    assert chinese_number(numeral) == value


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("买了１４个月了", "zh", "买了14个月了"),  # full-width digits
        ("十四个月前买的", "zh", "14个月前买的"),
        ("两年半前买的", "zh", "30个月前买的"),
        ("一年零三个月前", "zh", "15个月前"),
        ("半年前", "zh", "6个月前"),
        ("半个月前", "zh", "15天前"),
        ("上週買的", "zh", "上周买的"),  # traditional
        ("上礼拜", "zh", "上周"),
        ("两个星期前", "zh", "2周前"),
        ("去年双十一买的", "zh", "去年双十一买的"),  # 十一 is not before a unit
        ("五号到的", "zh", "5号到的"),
        ("买了大概5个月", "zh", "买了5个月"),  # about is as good as said
        ("a year and a half", "en", "18 months"),
        ("after two and a half years", "en", "after 30 months"),
        ("a fortnight ago", "en", "1 fortnight ago"),
        ("May I get a refund?", "en", "May I get a refund?"),
    ],
)
def test_normalise(text: str, language: str, expected: str) -> None:
    assert normalise(text, language) == expected


# (text, language, today, expected): a date, a (first, last) range, an Ago, or None.
Expected = date | tuple[date, date] | Ago | None
CASES: list[tuple[str, str, date, Expected]] = [
    # durations ago
    ("机器人充不进电了，还在保修期吗，买了14个月", "zh", SUNDAY, Ago(months=14)),
    ("保修期过了吗，用了十八个月", "zh", SUNDAY, Ago(months=18)),
    ("两年半前买的扫地机", "zh", SUNDAY, Ago(months=30)),
    ("一年零三个月前买的空调", "zh", SUNDAY, Ago(months=15)),
    ("半个月前收到的", "zh", SUNDAY, Ago(days=15)),
    ("一周前买的耳机", "zh", SUNDAY, Ago(days=7)),
    ("Hi, my vacuum stopped charging after 14 months. Is it still under warranty?", "en", SUNDAY, Ago(months=14)),
    ("I bought it a fortnight ago", "en", SUNDAY, Ago(days=14)),
    ("I've had it for a year and a half", "en", SUNDAY, Ago(months=18)),
    ("got it 3 wks ago", "en", SUNDAY, Ago(days=21)),
    ("买了1个月", "zh", date(2026, 3, 31), Ago(months=1)),  # → 28 February
    ("两个星期前收到的", "zh", SUNDAY, Ago(days=14)),
    # days of the month, before and after today's day
    ("3号到的货", "zh", SUNDAY, date(2026, 12, 3)),
    ("3号到的货", "zh", date(2026, 12, 2), date(2026, 11, 3)),
    ("31号到的货", "zh", SUNDAY, date(2026, 10, 31)),
    ("29号买的", "zh", date(2028, 3, 1), date(2028, 2, 29)),
    ("12月10号买的净水器", "zh", SUNDAY, date(2025, 12, 10)),  # no year, after today: last year's
    ("上个月15号到的", "zh", SUNDAY, date(2026, 11, 15)),  # the day of the month said
    ("it arrived in early October", "en", SUNDAY, (date(2026, 10, 1), date(2026, 10, 10))),
    ("it came in late September", "en", SUNDAY, (date(2026, 9, 21), date(2026, 9, 30))),
    ("上上个月的3号买的", "zh", SUNDAY, date(2026, 10, 3)),
    ("上个月31号收到的", "zh", SUNDAY, None),  # November has no 31st
    ("这个月3号到的", "zh", SUNDAY, date(2026, 12, 3)),
    ("上个月15号到的", "zh", date(2027, 1, 10), date(2026, 12, 15)),  # across the year's end
    ("It arrived on the 3rd", "en", SUNDAY, date(2026, 12, 3)),
    ("It arrived on the 3rd", "en", date(2026, 12, 2), date(2026, 11, 3)),
    ("It was delivered on the 30th", "en", date(2026, 3, 2), date(2026, 1, 30)),
    # the libraries: days and ranges
    ("前天签收的", "zh", SUNDAY, date(2026, 12, 4)),
    ("去年双十一买的净水器", "zh", SUNDAY, date(2025, 11, 11)),
    ("我上周买的空气净化器有异味", "zh", SUNDAY, (date(2026, 11, 23), date(2026, 11, 29))),
    ("上週買的", "zh", SUNDAY, (date(2026, 11, 23), date(2026, 11, 29))),
    ("上个月买的", "zh", SUNDAY, (date(2026, 11, 1), date(2026, 11, 30))),
    # a month by its number: the last one that has begun; a month's start said before it comes round
    ("7月份就送到了", "zh", SUNDAY, (date(2026, 7, 1), date(2026, 7, 31))),
    ("12月买的", "zh", SUNDAY, (date(2026, 12, 1), SUNDAY)),
    ("12月初买的", "zh", date(2026, 3, 9), (date(2025, 12, 1), date(2025, 12, 10))),
    ("三月份买的", "zh", date(2026, 2, 1), (date(2025, 3, 1), date(2025, 3, 31))),
    ("上个月底收到的", "zh", SUNDAY, (date(2026, 11, 21), date(2026, 11, 30))),
    # day N after delivery (day 0), said of today; not of the day something happened
    ("签收第9天了", "zh", SUNDAY, date(2026, 11, 27)),
    ("今天是收到后的第5天", "zh", SUNDAY, date(2026, 12, 1)),
    ("到货第三天就坏了", "zh", SUNDAY, None),
    ("本月买的", "zh", SUNDAY, (date(2026, 12, 1), date(2026, 12, 6))),  # never after today
    ("It was delivered yesterday", "en", SUNDAY, date(2026, 12, 5)),
    ("I bought it last Friday", "en", SUNDAY, date(2026, 12, 4)),
    ("I got it last week", "en", SUNDAY, (date(2026, 11, 23), date(2026, 11, 29))),
    ("I've had it since March", "en", SUNDAY, (date(2026, 3, 1), date(2026, 3, 31))),
    ("I've had it since March", "en", date(2027, 2, 10), (date(2026, 3, 1), date(2026, 3, 31))),
    ("I ordered it at the end of last month", "en", SUNDAY, (date(2026, 11, 21), date(2026, 11, 30))),
    ("I bought it last month", "en", date(2028, 3, 10), (date(2028, 2, 1), date(2028, 2, 29))),  # leap February
    ("I purchased it in March last year", "en", SUNDAY, (date(2025, 3, 1), date(2025, 3, 31))),
    # almost, more than, the better part of
    ("扫地机用了快一年了", "zh", SUNDAY, (date(2025, 12, 6), date(2026, 2, 16))),  # 9.6 to 12 months
    ("净水器送到一个多月了", "zh", SUNDAY, (date(2026, 10, 6), date(2026, 11, 6))),
    ("净化器用了大半年", "zh", SUNDAY, (date(2025, 12, 6), date(2026, 5, 6))),
    ("Delivered a couple of weeks ago", "en", SUNDAY, Ago(days=14)),
    # the days of holidays and sales, and the week before or after them
    ("双十一抢的耳机", "zh", SUNDAY, date(2026, 11, 11)),
    ("国庆前买的净水器", "zh", SUNDAY, (date(2026, 9, 24), date(2026, 9, 30))),
    ("五一前一天到的音箱", "zh", SUNDAY, date(2026, 4, 30)),
    ("五一的时候买的空调", "zh", SUNDAY, (date(2026, 5, 1), date(2026, 5, 5))),
    ("元旦那天收到的耳机", "zh", SUNDAY, date(2026, 1, 1)),
    ("双十二买的", "zh", date(2026, 12, 1), date(2025, 12, 12)),  # not yet this year: last year's
    ("it was delivered right before Christmas", "en", SUNDAY, (date(2025, 12, 18), date(2025, 12, 24))),
    ("I bought it on Black Friday", "en", SUNDAY, date(2026, 11, 27)),  # after the 4th Thursday
    # lunar festivals fall on another solar day each year (lunardate)
    ("端午节前一天到的空调", "zh", date(2028, 5, 30), date(2028, 5, 27)),  # 端午 2028: 28 May
    ("端午那天买的", "zh", date(2026, 12, 6), date(2026, 6, 19)),  # 端午 2026: 19 June
    ("中秋后收到的净水器", "zh", date(2028, 5, 30), (date(2027, 9, 16), date(2027, 9, 22))),  # 2027: 15 Sept
    ("春节前买的耳机", "zh", date(2028, 3, 1), (date(2028, 1, 19), date(2028, 1, 25))),  # 2028: 26 Jan
    ("it arrived the day before the Dragon Boat Festival", "en", date(2028, 5, 30), date(2028, 5, 27)),
    ("delivered the day after Christmas", "en", SUNDAY, date(2025, 12, 26)),
    ("端午前买的", "zh", date(2100, 7, 1), None),  # a year the lunar calendar library does not know
    # numeric days: month.day in Chinese; either way round in English (a range)
    ("3.12到的扫地机", "zh", SUNDAY, date(2026, 3, 12)),
    ("bought the speaker 12/3 last year", "en", SUNDAY, (date(2025, 3, 12), date(2025, 12, 3))),
    # parts of a month, a weekend, a month named with "last"
    ("Bought the earbuds at the start of the month", "en", SUNDAY, (date(2026, 12, 1), date(2026, 12, 6))),
    ("The AC arrived mid-April", "en", date(2028, 5, 24), (date(2028, 4, 11), date(2028, 4, 20))),
    ("4月中旬收到的", "zh", date(2028, 5, 24), (date(2028, 4, 11), date(2028, 4, 20))),
    ("got it in the middle of this month", "en", date(2028, 5, 15), (date(2028, 5, 11), date(2028, 5, 15))),
    ("got it delivered this past weekend", "en", date(2026, 12, 9), (date(2026, 12, 5), date(2026, 12, 6))),
    ("Got them sometime last September", "en", date(2026, 9, 3), (date(2025, 9, 1), date(2025, 9, 30))),
    # seasons: the last one over ("last summer" said in July is last year's), this year's
    ("Got the AC installed last summer", "en", SUNDAY, (date(2026, 6, 1), date(2026, 8, 31))),
    ("Got the AC installed last summer", "en", date(2026, 7, 1), (date(2025, 6, 1), date(2025, 8, 31))),
    ("bought it last winter", "en", date(2026, 12, 20), (date(2025, 12, 1), date(2026, 2, 28))),
    ("bought it this summer", "en", date(2026, 7, 10), (date(2026, 6, 1), date(2026, 7, 10))),
    # a product's age with no verb, a duration before "的" or "以前"
    ("空调两年半了，吹出来的风是温的", "zh", SUNDAY, Ago(months=30)),
    ("买了8个月的扫地机", "zh", SUNDAY, Ago(months=8)),
    ("空调是一年半以前买的", "zh", SUNDAY, Ago(months=18)),
    # no date: None
    ("价格3.5元", "zh", SUNDAY, None),
    ("我想退货", "zh", SUNDAY, None),
    ("有3个滤芯是坏的", "zh", SUNDAY, None),
    ("电池保修多久？保修期是一年吗", "zh", SUNDAY, None),
    ("订单号LM202611260001", "zh", SUNDAY, None),
    ("May I get a refund?", "en", SUNDAY, None),
    ("Is the battery warranty 1 year?", "en", SUNDAY, None),
    ("I need 2 filters for the AP2406", "en", SUNDAY, None),
    ("This is the 3rd time I have contacted you", "en", SUNDAY, None),
    ("退款等了3天了", "zh", SUNDAY, None),  # a wait, not the item's age
    ("", "en", SUNDAY, None),
]


@pytest.mark.parametrize(("text", "language", "today", "expected"), CASES)
def test_when(text: str, language: str, today: date, expected: Expected) -> None:
    found = when(text, today, language)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.words  # what it was read from
    if isinstance(expected, Ago):
        assert found.ago == expected
        assert found.earliest == found.latest == minus(today, expected)
    elif isinstance(expected, tuple):
        assert (found.earliest, found.latest) == expected
        assert found.day == expected[0]  # a decision uses the earliest day
    else:
        assert (found.earliest, found.latest) == (expected, expected)
        assert found.exact


@pytest.mark.parametrize(
    ("instant", "yesterday"),
    [
        (datetime(2026, 12, 5, 16, 30, tzinfo=UTC), date(2026, 12, 5)),  # 00:30 on the 6th in Beijing
        (datetime(2026, 12, 5, 15, 59, tzinfo=UTC), date(2026, 12, 4)),  # 23:59 on the 5th in Beijing
    ],
)
def test_beijing_midnight(instant: datetime, yesterday: date) -> None:
    """`today` is the Beijing date: just after midnight in Beijing, "昨天" is the Beijing yesterday."""
    found = when("昨天签收的", beijing_date(instant), "zh")
    assert found is not None
    assert found.day == yesterday


def test_nothing_heavy_at_import() -> None:
    """The action server imports the actions at start: the libraries load on first use only."""
    import subprocess
    import sys

    code = "import sys, desk.eligibility.customer_dates; print('jionlp' in sys.modules or 'dateparser' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_result_is_plain_data() -> None:
    found = CustomerDate(date(2026, 11, 23), date(2026, 11, 29), None, "上周", "jionlp")
    assert found.day == date(2026, 11, 23)
    assert not found.exact
