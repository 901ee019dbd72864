"""China's working-day calendar (Counting days): holidays skipped, make-up days counted, unknown
years estimated with weekends only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from desk.working_days import WorkingDay, add_working_days, beijing_date, is_working_day, knows, next_working_day


def test_weekdays_work_and_weekends_rest() -> None:
    assert is_working_day(date(2026, 3, 6))  # Friday
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday


def test_public_holidays_rest_and_make_up_days_work() -> None:
    assert not is_working_day(date(2026, 10, 1))  # National Day, Thursday
    assert not is_working_day(date(2026, 10, 7))  # last day of the National Day week, Wednesday
    assert not is_working_day(date(2026, 9, 25))  # Mid-Autumn Festival, Friday
    assert is_working_day(date(2026, 9, 20))  # make-up working day, Sunday
    assert is_working_day(date(2026, 10, 10))  # make-up working day, Saturday
    assert not is_working_day(date(2026, 2, 16))  # Spring Festival, Monday
    assert is_working_day(date(2026, 2, 14))  # make-up working day, Saturday


def test_counting_skips_the_national_day_week() -> None:
    # Thursday 24 September: 28, 29, 30 September, then 8 and 9 October.
    assert add_working_days(date(2026, 9, 24), 5) == WorkingDay(date(2026, 10, 9), estimate=False)
    # ... and the make-up Saturday 10 October is the sixth.
    assert add_working_days(date(2026, 9, 24), 6) == WorkingDay(date(2026, 10, 10), estimate=False)


def test_counting_uses_a_make_up_sunday() -> None:
    # Friday 18 September: Sunday 20 is working day 1.
    assert add_working_days(date(2026, 9, 18), 1) == WorkingDay(date(2026, 9, 20), estimate=False)
    assert next_working_day(date(2026, 9, 18)).day == date(2026, 9, 20)


def test_the_start_is_day_zero_even_on_a_non_working_day() -> None:
    # Arrival on Saturday 7 March 2026: Monday 9 is working day 1, so 5 working days end on Friday 13.
    assert add_working_days(date(2026, 3, 7), 5).day == date(2026, 3, 13)
    # Arrival on Friday 6 March: Monday 9 is working day 1 as well; Friday 6 itself is not counted.
    assert add_working_days(date(2026, 3, 6), 5).day == date(2026, 3, 13)
    assert add_working_days(date(2026, 3, 5), 1).day == date(2026, 3, 6)
    # Arrival during a holiday: the first working day after it is day 1.
    assert add_working_days(date(2026, 10, 2), 1).day == date(2026, 10, 8)


def test_zero_days_is_the_start_and_negative_counts_are_refused() -> None:
    assert add_working_days(date(2026, 3, 7), 0) == WorkingDay(date(2026, 3, 7), estimate=False)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 7), -1)


def test_a_count_into_an_unknown_year_is_an_estimate() -> None:
    assert knows(date(2026, 12, 31)) and not knows(date(2027, 1, 1))
    # Monday 28 December 2026: 29, 30, 31, then Friday 1 January 2027 (a holiday the calendar does not
    # know yet, counted as a weekday), 4, 5, 6 January.
    assert add_working_days(date(2026, 12, 28), 7) == WorkingDay(date(2027, 1, 6), estimate=True)
    # Staying inside 2026 is exact.
    assert add_working_days(date(2026, 12, 28), 3) == WorkingDay(date(2026, 12, 31), estimate=False)


def test_an_unknown_year_skips_weekends_only() -> None:
    assert is_working_day(date(2027, 1, 1))  # Friday: the holiday is not known
    assert not is_working_day(date(2027, 1, 2))  # Saturday
    assert add_working_days(date(2027, 3, 5), 1) == WorkingDay(date(2027, 3, 8), estimate=True)
    assert not knows(date(2003, 6, 1))  # before the calendar's first year: an estimate too
    assert add_working_days(date(2003, 6, 6), 1) == WorkingDay(date(2003, 6, 9), estimate=True)


def test_dates_are_beijing_dates() -> None:
    # 17:00 UTC on 6 March is 01:00 on 7 March in Beijing.
    assert beijing_date(datetime(2026, 3, 6, 17, 0, tzinfo=UTC)) == date(2026, 3, 7)
    assert beijing_date(datetime(2026, 3, 6, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai"))) == date(2026, 3, 6)
    with pytest.raises(ValueError):
        beijing_date(datetime(2026, 3, 6, 12, 0))
