"""The two date libraries chosen by measurement (docs/date-phrases.md): jionlp reads Chinese, dateparser
English. Both are imported on first use, never at import time (the action server imports the actions
at start); around each, the corrections the phrase set showed it needs."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from desk.eligibility.date_ranges import LAST_YEAR, CustomerDate, one_day, part_of_month, valid_date, whole_month


def _noon(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, 12)


_jionlp_module: Any = None
# One importer at a time: `redirect_stdout` swaps the process's sys.stdout, and two threads nesting it
# leave it swapped for good (every later print, structlog's lines among them, then went to a buffer).
_jionlp_import = threading.Lock()


class _WithoutJionlp(logging.Filter):
    """jionlp logs its parse failures on the root logger, with pieces of the customer's message
    (phone numbers included): never written."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "jionlp" not in record.pathname


def _jionlp_library() -> Any:
    """jionlp, imported on first use (this module is the one that imports it). While it imports, the
    process's prints go nowhere: the app imports it at start (`warm_up`), before it serves anyone."""
    global _jionlp_module
    with _jionlp_import:
        if _jionlp_module is None:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
                import jionlp

            logging.getLogger().addFilter(_WithoutJionlp())
            _jionlp_module = jionlp
    return _jionlp_module


def warm_up() -> None:
    """Import the Chinese date reader (seconds, and a banner on stdout) now, not in a case turn."""
    _jionlp_library()


def read_jionlp(text: str, today: date) -> CustomerDate | None:
    try:
        found = _jionlp_library().ner.extract_time(
            text, time_base=time.mktime(_noon(today).timetuple()), with_parsing=True
        )
    except Exception:  # it raises on a few inputs it cannot resolve: nothing read
        return None
    for entity in found:
        detail = entity.get("detail", {})
        if detail.get("type") == "time_delta":
            continue  # "保修期是一年吗": a bare length, not the customer's date (durations were read before)
        if detail.get("type") in ("time_point", "time_span") and isinstance(detail.get("time"), list):
            try:
                start, end = (date.fromisoformat(str(value)[:10]) for value in detail["time"][:2])
            except ValueError:  # an open end ("inf"): no day to decide on
                continue
            if start > today and "月" in entity["text"] and "年" not in entity["text"]:
                # "12月初买的" said in March: last December (jionlp takes this year's).
                start, end = _year_before(start), _year_before(end)
            if start > today:
                return None  # a future date is not when something was bought or delivered
            return part_of_month(CustomerDate(start, min(end, today), None, entity["text"], "jionlp"), text, today)
    return None


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if (day.month, day.day) == (2, 29) else day.day)


_NOT_A_DATE = re.compile(r"may|we|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)", re.IGNORECASE)
_EN_AGO_ONLY = re.compile(r"^\d+(?:\.\d+)?\s*(?:days?|weeks?|months?|years?)$", re.IGNORECASE)


def read_dateparser(text: str, today: date, language: str = "en") -> CustomerDate | None:
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    settings: Any = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": _noon(today)}
    for words, _moment in search_dates(text, languages=[language], settings=settings) or []:
        if _EN_AGO_ONLY.match(words) or _NOT_A_DATE.fullmatch(words):
            continue  # "warranty 1 year", "May I…", "We" (Wednesday), "the 3rd time" (March): not dates, or read before
        data = DateDataParser(languages=[language], settings=settings).get_date_data(words)
        if data.date_obj is None:
            continue
        day = data.date_obj.date()
        if day > today:
            continue
        if data.period == "week":
            start = day - timedelta(days=day.weekday())
            found = CustomerDate(start, min(start + timedelta(days=6), today), None, words, "dateparser")
        elif data.period == "month":
            first = day.replace(day=1)
            if LAST_YEAR.search(text) and first.year == today.year:  # "in March last year": it reads "in March"
                first = first.replace(year=today.year - 1)
            elif first.year == today.year and first.month == today.month and re.search(rf"\blast {words}", text, re.I):
                first = first.replace(year=today.year - 1)  # "last September" written in September
            found = whole_month(first, today, words, "dateparser")
        elif data.period == "year":
            found = CustomerDate(date(day.year, 1, 1), min(date(day.year, 12, 31), today), None, words, "dateparser")
        else:
            if LAST_YEAR.search(text) and day.year == today.year and not re.search(r"\d{4}", words):
                day = valid_date(today.year - 1, day.month, day.day) or day  # "on June 5 last year"
            found = one_day(day, words, "dateparser")
        return part_of_month(found, text, today)
    return None
