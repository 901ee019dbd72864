"""China's working-day calendar, as the handbook's "Counting days" section counts working days
(P9 repair turnaround, P11 refunds, P16 complaint resolution, P18 account deletion).

A working day is a day people work in mainland China: Monday to Friday unless it is a public holiday,
plus the official make-up working days (调休), weekend days that the State Council declares working
days around a holiday. The calendar comes from the maintained `chinesecalendar` library (import name
`chinese_calendar`), which knows the years the State Council has published (2004–2026 in the pinned
1.11.0). For a year it does not know, weekends alone are skipped and every answer that relied on
such a year says it is an estimate (`WorkingDay.estimate`), as the handbook asks.

How days are counted (the handbook's day 0 rule carried over to working days): the day of the event
(a device's arrival, a complaint) is day 0 and is never counted, whether or not it is a working day.
Working day 1 is the first working day strictly after it. So "5 working days after arrival" for a
device that arrives on a Saturday counts Monday as day 1 (or the first working day after a holiday),
and one that arrives on a Tuesday counts Wednesday as day 1. All dates are Beijing dates: callers
turn an instant into a date with `beijing_date`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# The handbook's clock: "All dates are in Beijing time."
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WorkingDay:
    """A date reached by counting working days; `estimate` when the count went through a year the
    holiday calendar does not know (weekends alone were skipped there)."""

    day: date
    estimate: bool


def beijing_date(instant: datetime) -> date:
    """The Beijing date of an aware instant (a naive one is refused: it has no date in Beijing)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no Beijing date")
    return instant.astimezone(BEIJING).date()


def knows(day: date) -> bool:
    """Whether the holiday calendar knows the year of `day` (holidays and make-up days published)."""
    return _official(day) is not None


def is_working_day(day: date) -> bool:
    """A working day in mainland China: holidays skipped, make-up working days counted. For a year
    the calendar does not know, Monday to Friday (check `knows` to tell an estimate)."""
    official = _official(day)
    return official if official is not None else day.weekday() < 5


def add_working_days(start: date, n: int) -> WorkingDay:
    """The `n`th working day after `start` (day 0, never counted; see the module's rule for a start
    on a non-working day). `n == 0` is `start` itself."""
    if n < 0:
        raise ValueError("count working days forwards: n must be 0 or more")
    day = start
    estimate = False
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        official = _official(day)
        if official is None:
            estimate = True
            official = day.weekday() < 5
        if official:
            counted += 1
    return WorkingDay(day, estimate)


def next_working_day(after: date) -> WorkingDay:
    """The first working day strictly after `after`."""
    return add_working_days(after, 1)


def _official(day: date) -> bool | None:
    """The library's answer, or None when it has no data for the year (it raises then)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None
