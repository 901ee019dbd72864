"""Dates and durations in a customer's words: "我上周买的", "前天签收的", "3号到的货", "买了14个月",
"两年半前", "a fortnight ago", "on the 3rd", "since March" → the day, the days or the duration ago the
customer means (`when(text, today, language)`), with the words it was read from.

Chosen by measurement (docs/date-phrases.md, `python -m bench.date_phrases` over
knowledge/eval/date_phrases.yml): Chinese is read by `jionlp`'s time parser, English by `dateparser`
(`desk.eligibility.date_libraries`); each is the most accurate well-kept library for its language,
and neither is good at the other's. This module is what sits around them. In front of them a thin normalisation (`normalise`): NFKC (full-width digits), the traditional
characters of date words, Chinese numerals before a unit (十四个月 → 14个月), half units and
"N年零M个月" as months, English number words and "a year and a half". Around them a thin reading of
what the libraries get wrong on the phrase set, each rule measured there:
- a duration is a duration ("买了14个月", "after 14 months", "14 months old", "两年半前"): `Ago`, the
  day being today less it (the month's last day when the same day does not exist);
- a day of the month alone ("3号", "on the 31st") is the latest such day not after today, skipping
  months that do not have it; a month and day without a year ("12月10号") the latest not after today;
- a week, month or year is the whole period (a week is Monday–Sunday), never after today; its
  beginning (月初, "beginning of") is days 1–10 and its end (月底, "end of") days 21 to the last;
- bare numbers with a unit but no "ago/for/after/买了/用了/前" ("保修期是一年吗", "warranty 1 year")
  are not dates.

The convention for vague words is the phrase set's: a range of days, of which a decision uses the
EARLIEST (`CustomerDate.day`, `desk.eligibility.date_ranges`: the longest time elapsed, so never a promise the policy does not allow),
and asks for the exact date when the latest would decide otherwise. All dates are Beijing dates: give
`today` as one (`desk.working_days.beijing_date(now)`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from lunardate import LunarDate

from desk.eligibility.date_libraries import read_dateparser, read_jionlp
from desk.eligibility.date_ranges import (
    LAST_YEAR,
    Ago,
    CustomerDate,
    minus,
    month_days,
    one_day,
    valid_date,
    whole_month,
)

# --- normalisation --------------------------------------------------------------------------------

_TRADITIONAL = str.maketrans({"週": "周", "買": "买", "號": "号", "個": "个", "兩": "两", "這": "这", "後": "后"})
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百]+(?=个?半?个月|个多月|年|月|周|天|日|号)")
_ZH_YEARS_HALF = re.compile(r"(\d+)年半")
_ZH_YEARS_MONTHS = re.compile(r"(\d+)年零?(\d+)个月")
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18,
}  # fmt: skip
_EN_NUMBER = re.compile(
    r"\b(" + "|".join(_EN_NUMBERS) + r")\s+(?=(?:and a half\s+)?(?:days?|weeks?|fortnights?|months?|years?)\b)",
    re.IGNORECASE,
)
_EN_HALF = re.compile(r"\b(\d+)\s+years?\s+and\s+a\s+half\b|\b(\d+)\s+and\s+a\s+half\s+years?\b", re.IGNORECASE)


def chinese_number(numeral: str) -> int | None:
    """十四 → 14, 两 → 2, 二十一 → 21, 一百零五 → 105; None for what is not a plain numeral."""
    total = current = 0
    for char in numeral:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char in "十百":
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
        else:
            return None
    return total + current


def _numeral(match: re.Match[str]) -> str:
    value = chinese_number(match.group())
    return match.group() if value is None else str(value)


# Said of today ("签收第9天了", "今天是收到后的第5天"), not of when something happened ("到货第三天就坏了").
_ZH_DAY_AFTER_DELIVERY = re.compile(
    r"(?:(?<=今天是)|(?<=现在是)|(?<=已经是)|(?<=已经)|(?<=都))(签收|收到|收货|到货|到手)(?:后|以后)?的?第(\d+)天|"
    r"(签收|收到|收货|到货|到手)(?:后|以后)?的?第(\d+)天(?=了)"
)
_ZH_ABOUT = re.compile(r"(?<=[买用有到]了)(?:大概|大约|约)(?=\d)")


def normalise(text: str, language: str) -> str:
    """What the libraries read better: NFKC; for Chinese the simplified date words, numerals before a
    unit as digits, 礼拜/星期 as 周, half units and "N年零M个月" as months or days; for English number
    words before a unit as digits and "a year and a half" as months."""
    text = unicodedata.normalize("NFKC", text)
    if language == "zh":
        text = text.translate(_TRADITIONAL)
        for week in ("个礼拜", "个星期", "礼拜", "星期"):  # 两个星期 → 两周, 上礼拜 → 上周
            text = text.replace(week, "周")
        text = _ZH_NUMERAL.sub(_numeral, text)
        text = _ZH_ABOUT.sub("", text)  # "买了大概5个月": about is as good as said
        text = re.sub(r"(?<=\d)月份", "月", text)  # "7月份" as "7月"
        # "签收第9天了": day N counted from delivery (day 0), so delivered N days ago
        text = _ZH_DAY_AFTER_DELIVERY.sub(lambda m: f"收到了{m.group(2) or m.group(4)}天前", text)
        text = text.replace("半个月", "15天").replace("半年", "6个月")
        text = _ZH_YEARS_HALF.sub(lambda m: f"{12 * int(m.group(1)) + 6}个月", text)
        return _ZH_YEARS_MONTHS.sub(lambda m: f"{12 * int(m.group(1)) + int(m.group(2))}个月", text)
    text = re.sub(r"\ba couple of\b", "2", text, flags=re.IGNORECASE)
    # "in early May": May is read as a month only after "in" (else it is the verb); early stays said.
    text = re.sub(r"\b(early|late|mid)[- ](may)\b", r"\1 in \2", text, flags=re.IGNORECASE)
    # "mid-April": dateparser reads the month only apart from the word before it.
    text = re.sub(
        r"\b(early|late|mid)-(?=(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
        r"\1 ",
        text,
        flags=re.IGNORECASE,
    )
    text = _EN_NUMBER.sub(lambda m: f"{_EN_NUMBERS[m.group(1).lower()]} ", text)
    text = _EN_HALF.sub(lambda m: f"{12 * int(m.group(1) or m.group(2)) + 6} months", text)
    return re.sub(r"\b1 year and a half\b", "18 months", text, flags=re.IGNORECASE)


# --- our reading: durations, days of the month ------------------------------------------------------

_UNIT_DAYS = {"day": 1, "week": 7, "wk": 7, "fortnight": 14}
_ZH_UNITS = {"天": ("days", 1), "日": ("days", 1), "周": ("days", 7), "个月": ("months", 1), "年": ("months", 12)}
_ZH_DURATION = re.compile(
    r"(?:(?:买|用|有|收到|到手|到货|签收|到)了?(快|将近|差不多|近)?)?(\d+(?:\.\d+)?)(?:(天|日|周|个月|年)(多(?:一)?[点些]?)?|个(多)(月))"
    r"(前|以前|之前|了|就|才|左右|的|$|[，,。！!？?\s])"
)
# "空调两年半了", "耳机都8个月了": the product's age, with no verb before it.
_ZH_PRODUCT_AGE = re.compile(r"(?:机|器|调|箱|它)(?:都|已经|快)?$")
_ZH_BETTER_PART_OF_A_YEAR = re.compile(r"(?:买|用|有|收到|到手|到)了?大(?:半年|6个月)")
_EN_DURATION = re.compile(
    r"(?:\b(for|after|had (?:it|them|the \w+|my \w+)|owned (?:it|them)|it'?s been|been)\s+(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+)?)?\b(\d+(?:\.\d+)?)\s*"
    r"(days?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?)\b(\s+(?:ago|old|back))?",
    re.IGNORECASE,
)


_EN_A_FEW = re.compile(r"\b(?:a few|several) (days|weeks|months|years) ago\b", re.IGNORECASE)


def _ago(number: float, unit_months: bool, scale: int) -> Ago:
    if unit_months:
        months = number * scale
        whole = int(months)
        return Ago(months=whole, days=round((months - whole) * 30))
    return Ago(days=round(number * scale))


def _duration(text: str, today: date, language: str) -> CustomerDate | None:
    if language == "zh":
        if found := _ZH_BETTER_PART_OF_A_YEAR.search(text):  # "用了大半年": 7 to 12 months
            return CustomerDate(minus(today, Ago(months=12)), minus(today, Ago(months=7)), None, found.group(0), "ours")
        for match in _ZH_DURATION.finditer(text):
            almost, number, end = match.group(1), match.group(2), match.group(7)
            unit = match.group(3) or match.group(6)
            more = match.group(4) or match.group(5)
            bought = not match.group(0).startswith(number)  # 买了/用了… before
            aged = end == "了" and unit in ("个月", "月", "年") and _ZH_PRODUCT_AGE.search(text[: match.start()])
            if not (end.endswith("前") or bought or aged):
                continue
            kind, scale = _ZH_UNITS["个月" if unit == "月" else unit]
            ago = _ago(float(number), kind == "months", scale)
            if more:  # "一年多": more than one year, less than two
                longest = _ago(float(number) + 1, kind == "months", scale)
                return CustomerDate(minus(today, longest), minus(today, ago), ago, match.group(0), "ours: duration")
            if almost:  # "快一年": a little less than a year (at least four fifths of it)
                shortest = _ago(float(number) * 0.8, kind == "months", scale)
                return CustomerDate(minus(today, ago), minus(today, shortest), None, match.group(0), "ours: duration")
            return one_day(minus(today, ago), match.group(0).rstrip(), "ours: duration", ago)
        return None
    if found := _EN_A_FEW.search(text):  # "a few months ago": two to four of them
        unit = found.group(1).lower().rstrip("s")
        months, scale = unit in ("month", "year"), {"day": 1, "week": 7, "month": 1, "year": 12}[unit]
        earliest, latest = minus(today, _ago(4, months, scale)), minus(today, _ago(2, months, scale))
        return CustomerDate(earliest, latest, None, found.group(0), "ours: duration")
    for match in _EN_DURATION.finditer(text):
        if not (match.group(1) or match.group(4)):
            continue  # "1 year" alone: a warranty's length, not the customer's date
        unit = match.group(3).lower().rstrip("s")
        number = float(match.group(2))
        if unit in ("month", "mo", "year", "yr"):
            ago = _ago(number, True, 12 if unit in ("year", "yr") else 1)
        else:
            ago = _ago(number, False, _UNIT_DAYS[unit])
        return one_day(minus(today, ago), match.group(0).strip(), "ours: duration", ago)
    return None


_ZH_DAY = re.compile(r"(?:(\d{4})年|([去前今])年)?(?:(\d{1,2})月|(上上|上|本|这)个?月的?)?(\d{1,2})[号日](?!\d)")
# How many months back a month word puts a day ("上个月15号").
_MONTHS_BACK = {"上上": 2, "上": 1, "本": 0, "这": 0}
# How many years back a year word puts a day ("去年8月31号", "去年双十一", "Christmas last year").
_YEARS_BACK = {
    "去年": 1,
    "前年": 2,
    "今年": 0,
    "last year": 1,
    "last year's": 1,
    "last years": 1,
    "this year": 0,
    "this year's": 0,
    "this years": 0,
}
_EN_DAY = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of|times?)\b)", re.IGNORECASE)


def latest_day_of_month(day: int, today: date) -> date | None:
    """The latest `day`th of a month not after `today`, skipping months without it (None past 31)."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    while True:
        if day <= month_days(year, month) and date(year, month, day) <= today:
            return date(year, month, day)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


def _day_of_month(text: str, today: date, language: str) -> CustomerDate | None:
    if language == "zh":
        for zh in _ZH_DAY.finditer(text):
            year, month, day = zh.group(1), zh.group(3), int(zh.group(5))
            if zh.group(2) is not None:
                year = str(today.year - _YEARS_BACK[f"{zh.group(2)}年"])
            if zh.group(4) is not None and year is None:  # "上个月15号": that month's day, if it has one
                back = today.month - 1 - _MONTHS_BACK[zh.group(4)]
                found = valid_date(today.year + back // 12, back % 12 + 1, day)
                found = None if found is not None and found > today else found
            elif month is None:
                found = latest_day_of_month(day, today)
            elif year is not None:
                found = valid_date(int(year), int(month), day)
                if found is not None and found > today:
                    found = None  # a day to come is not when something was bought or delivered
            else:  # a month and day without a year: the latest not after today
                found = valid_date(today.year, int(month), day)
                if found is not None and found > today:
                    found = valid_date(today.year - 1, int(month), day)
            if found is not None:
                return one_day(found, zh.group(0), "ours: day of month")
        return None
    en = _EN_DAY.search(text)
    if en is None:
        return None
    found = latest_day_of_month(int(en.group(1)), today)
    return None if found is None else one_day(found, en.group(0), "ours: day of month")


# The days customers date a purchase by (the date readers know none of them): the first day's month
# and day, how many days it lasts (五一 and 国庆 are holidays of 5 and 7 days) and whether the month
# and day are of the lunar calendar (端午, 中秋, 春节 fall on another solar day each year). Black
# Friday is the day after the fourth Thursday of November.
_HOLIDAYS: tuple[tuple[str, int, int, int, bool], ...] = (
    (r"元旦|new year(?:'?s day)?(?!'?s eve)", 1, 1, 1, False),
    (r"春节|大年初一|chinese new year|spring festival|lunar new year", 1, 1, 7, True),
    (r"元宵|lantern festival", 1, 15, 1, True),
    (r"清明", 4, 4, 3, False),
    (r"五一|劳动节|may day", 5, 1, 5, False),
    (r"端午|dragon boat", 5, 5, 1, True),
    (r"(?<![\d¥￥$.])618(?![\d元块])|6\.18", 6, 18, 1, False),  # not a price or a model number
    (r"七夕|qixi", 7, 7, 1, True),
    (r"中秋|mid-?autumn", 8, 15, 1, True),
    (r"国庆|national day", 10, 1, 7, False),
    (r"双十一|双11|11\.11|singles'? day|double eleven", 11, 11, 1, False),
    (r"black friday|黑五", 11, 0, 1, False),
    (r"双十二|双12|12\.12|double twelve", 12, 12, 1, False),
    (r"平安夜|christmas eve", 12, 24, 1, False),
    (r"圣诞|christmas|xmas", 12, 25, 1, False),
)
_HOLIDAY = re.compile(
    r"(?:(去年|前年|今年|last year'?s|this year'?s)\s*)?(?:(right |just |a few days |shortly |the day )?(before|after) (?:the )?)?"
    rf"({'|'.join(pattern for pattern, *_ in _HOLIDAYS)})(?:节|假期|小长假|\s+(?:festival|holiday))?(?:\s*(last year|this year))?"
    r"(前[1一]天|前几天|之前|以前|前|之后|以后|后[1一]天|后|那天|当天)?",
    re.IGNORECASE,
)


def _holiday_start(name: str, year: int) -> tuple[date, int]:
    for pattern, month, day, days, lunar in _HOLIDAYS:
        if re.fullmatch(pattern, name, re.IGNORECASE):
            if lunar:
                solar: date = LunarDate(year, month, day).to_solar_date()
                return solar, days
            if day == 0:  # Black Friday
                november = date(year, 11, 1)
                day = 1 + (3 - november.weekday()) % 7 + 21 + 1
            return date(year, month, day), days
    raise ValueError(name)


def _holiday(text: str, today: date) -> CustomerDate | None:
    """ "双十一抢的", "国庆前买的", "right before Christmas": the holiday's days, or the week before or
    after it; in the year said, else the latest one begun by today."""
    found = _HOLIDAY.search(text)
    if found is None:
        return None
    year_word = (found.group(1) or found.group(5) or "").lower()
    year = today.year - _YEARS_BACK.get(year_word, 0)
    try:
        start, days = _holiday_start(found.group(4), year)
        if not year_word and start > today:
            start, days = _holiday_start(found.group(4), year - 1)
    except ValueError:  # a lunar festival in a year lunardate does not know (before 1900, after 2099)
        return None
    end = start + timedelta(days=days - 1)
    relation = (found.group(3) or "").lower() or found.group(6) or ""
    if (found.group(2) or "").lower() == "the day ":
        relation = {"before": "前一天", "after": "后一天"}[relation]
    if relation in ("那天", "当天"):
        earliest = latest = start
    elif relation in ("前一天", "前1天"):
        earliest = latest = start - timedelta(days=1)
    elif relation in ("后一天", "后1天"):
        earliest = latest = end + timedelta(days=1)
    elif relation in ("before", "前", "之前", "以前", "前几天"):
        earliest, latest = start - timedelta(days=7), start - timedelta(days=1)
    elif relation in ("after", "后", "之后", "以后"):
        earliest, latest = end + timedelta(days=1), end + timedelta(days=7)
    else:
        earliest, latest = start, end
    if earliest > today:
        return None
    return CustomerDate(earliest, min(latest, today), None, found.group(0), "ours: holiday")


# "3.12到的" (Chinese: month.day); "12/3" in English is the 12th of March or the 3rd of December, so
# both are kept (a range the case is decided at both ends of).
_ZH_NUMERIC_DAY = re.compile(r"(?<![\d.¥￥$])(\d{1,2})[./](\d{1,2})(?![\d.%]|\s*(?:元|块|万|寸|米|kg|折))")
_EN_NUMERIC_DAY = re.compile(r"(?<![\d/.$¥])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")


def _latest_past(month: int, day: int, today: date, year: int | None) -> date | None:
    if year is not None:
        found = valid_date(year, month, day)
        return found if found is not None and found <= today else None
    found = valid_date(today.year, month, day)
    return found if found is not None and found <= today else valid_date(today.year - 1, month, day)


def _numeric_day(text: str, today: date, language: str) -> CustomerDate | None:
    last_year = today.year - 1 if LAST_YEAR.search(text) else None
    if language == "zh":
        zh = _ZH_NUMERIC_DAY.search(text)
        if zh is None:
            return None
        found = _latest_past(int(zh.group(1)), int(zh.group(2)), today, last_year)
        return None if found is None else one_day(found, zh.group(0), "ours: numeric day")
    en = _EN_NUMERIC_DAY.search(text)
    if en is None:
        return None
    year = int(en.group(3)) + (2000 if len(en.group(3)) == 2 else 0) if en.group(3) else last_year
    first, second = int(en.group(1)), int(en.group(2))
    days = [
        day
        for month, day_of_month in ((first, second), (second, first))
        if (day := _latest_past(month, day_of_month, today, year)) is not None
    ]
    if not days:
        return None
    return CustomerDate(min(days), max(days), None, en.group(0), "ours: numeric day")


_EN_PERIOD = re.compile(
    r"\b(?:(?:at|in) )?the (start|beginning|end) of (this|the|last) month\b|\b(?:this past|last) (weekend)\b|"
    r"\b(last|this past|this) (spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)
# A season's first month and how many months it lasts (the northern hemisphere's: China's).
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


def _en_period(text: str, today: date, language: str) -> CustomerDate | None:
    """ "at the start of the month" (days 1–10), "end of last month" (21 to the last), "this past
    weekend" (the last Saturday and Sunday before today), "last summer" (the last one over; "this
    summer": this year's)."""
    found = _EN_PERIOD.search(text) if language == "en" else None
    if found is None:
        return None
    if found.group(5):
        return _season(found.group(4).lower(), found.group(5).lower(), today, found.group(0))
    if found.group(3):
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        return CustomerDate(saturday, min(saturday + timedelta(days=1), today), None, found.group(0), "ours")
    first = today.replace(day=1)
    if found.group(2).lower() == "last":
        first = (first - timedelta(days=1)).replace(day=1)
    last = first.replace(day=month_days(first.year, first.month))
    if found.group(1).lower() == "end":
        return CustomerDate(first.replace(day=21), min(last, today), None, found.group(0), "ours")
    return CustomerDate(first, min(first.replace(day=10), today), None, found.group(0), "ours")


def _season_of(first_month: int, year: int) -> tuple[date, date]:
    """A season's first and last day in `year` (its winter starts in the December before)."""
    last_month = first_month % 12 + 2  # 3 → 5, 6 → 8, 9 → 11, 12 → 2
    start = date(year - 1 if first_month == 12 else year, first_month, 1)
    return start, date(year, last_month, month_days(year, last_month))


def _season(which: str, season: str, today: date, words: str) -> CustomerDate | None:
    """The three months of a season: "last" is the latest one over by today, "this" the one of
    today's year."""
    start, end = _season_of(_SEASONS[season], today.year)
    if which != "this" and end >= today:
        start, end = _season_of(_SEASONS[season], today.year - 1)
    if start > today:
        return None
    return CustomerDate(start, min(end, today), None, words, "ours: season")


_ZH_MONTH_WORD = re.compile(r"(上上|上|本|这)个?月(?![初底中旬\d])")


# "7月就送到了": a month with no year or day, which jionlp does not read.
_ZH_BARE_MONTH = re.compile(r"(?<![\d年.\-/])(\d{1,2})月(?![\d初底中末旬号日])")


def _month_word(text: str, today: date) -> CustomerDate | None:
    """上个月 / 本月, or a month by its number (the last one that has begun): the whole month (jionlp
    finds none of them)."""
    match = _ZH_MONTH_WORD.search(text)
    if match is None:
        bare = _ZH_BARE_MONTH.search(text)
        if bare is None or not 1 <= int(bare.group(1)) <= 12:
            return None
        month = int(bare.group(1))
        year = today.year if month <= today.month else today.year - 1
        return whole_month(date(year, month, 1), today, bare.group(0), "ours: month")
    back = {"上上": 2, "上": 1}.get(match.group(1), 0)
    return whole_month(minus(today.replace(day=1), Ago(months=back)), today, match.group(0), "ours: month word")


def when(text: str, today: date, language: str, *, chinese: str = "jionlp") -> CustomerDate | None:
    """The day(s) or duration ago the customer means, or None when the text gives no date. `today` is
    the Beijing date the customer wrote on; `language` "zh" or "en" (the turn's language).
    `chinese="dateparser"` reads Chinese with dateparser instead of jionlp (the benchmark's comparison)."""
    normal = normalise(text, language)
    found = (
        _duration(normal, today, language)
        or _day_of_month(normal, today, language)
        or _holiday(normal, today)
        or _numeric_day(normal, today, language)
        or _en_period(normal, today, language)
    )
    if found is not None:
        return found
    if language != "zh":
        return read_dateparser(normal, today)
    library = read_jionlp(normal, today) if chinese == "jionlp" else read_dateparser(normal, today, "zh")
    month = _month_word(normal, today)
    if library is not None and month is not None:  # "上个月买的空调今天降价了": the first said is the case's
        return month if normal.find(month.words) < normal.find(library.words) else library
    return library or month
