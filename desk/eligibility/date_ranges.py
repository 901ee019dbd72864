"""What a customer's date words mean: a range of days (`CustomerDate`) or a duration ago (`Ago`), and the
calendar arithmetic both readers of them share (`desk.eligibility.customer_dates` for our phrase
readers, `desk.eligibility.date_libraries` for jionlp and dateparser)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Language = Literal["zh", "en"]

# "in March last year", "去年8月31号": the year said apart from the day.
LAST_YEAR = re.compile(r"\blast year\b|去年", re.IGNORECASE)


@dataclass(frozen=True)
class Ago:
    """A duration meaning "that long ago", in whole months and days ("两年半" = 30 months)."""

    months: int = 0
    days: int = 0


@dataclass(frozen=True)
class CustomerDate:
    """What the customer's words say: the days they may mean (`earliest` = `latest` for one day), the
    duration when they gave one, the words it was read from and what read them."""

    earliest: date
    latest: date
    ago: Ago | None
    words: str
    reader: str

    @property
    def day(self) -> date:
        """The day a decision uses: the earliest (the longest time elapsed)."""
        return self.earliest

    @property
    def exact(self) -> bool:
        return self.earliest == self.latest


def minus(today: date, ago: Ago) -> date:
    """`today` less whole months (the month's last day when the same day does not exist), then days."""
    index = today.year * 12 + today.month - 1 - ago.months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(today.day, month_days(year, month))) - timedelta(days=ago.days)


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def one_day(day: date, words: str, reader: str, ago: Ago | None = None) -> CustomerDate:
    return CustomerDate(day, day, ago, words, reader)


def valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def whole_month(first: date, today: date, words: str, reader: str) -> CustomerDate:
    last = first.replace(day=month_days(first.year, first.month))
    return CustomerDate(first, min(last, today), None, words, reader)


_BEGINNING = re.compile(r"月初|上旬|\bbeginning of\b|\bstart of\b|\bearly\b", re.IGNORECASE)
_END = re.compile(r"月底|月末|下旬|\bend of\b|\blate\b", re.IGNORECASE)
_MIDDLE = re.compile(r"中旬|\bmid(?:dle of)?\b", re.IGNORECASE)


def part_of_month(found: CustomerDate, text: str, today: date) -> CustomerDate:
    """A month's beginning is days 1–10, its middle days 11–20 and its end days 21 to the last (the
    libraries differ)."""
    first = found.earliest.replace(day=1)
    last = first.replace(day=month_days(first.year, first.month))
    if found.latest > last:
        return found  # more than one month: not a part of one
    if _BEGINNING.search(text):
        return CustomerDate(first, min(first.replace(day=10), today), None, found.words, found.reader)
    if _END.search(text):
        return CustomerDate(first.replace(day=21), min(last, today), None, found.words, found.reader)
    if _MIDDLE.search(text) and first.replace(day=11) <= today:
        return CustomerDate(first.replace(day=11), min(first.replace(day=20), today), None, found.words, found.reader)
    return found
