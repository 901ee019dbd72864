"""Date parsers on customers' words, side by side (`python -m bench.date_phrases`): which library reads
the dates and durations of knowledge/eval/date_phrases.yml (Chinese and English customer sentences,
each with the Beijing date it was written on and what the customer means) best, and at what cost.

Each candidate is measured as the library gives it ("raw": its first date found in the sentence, the
whole period when it reports one, a duration turned into "that long ago"), then with our thin
normalisation in front (`desk.eligibility.customer_dates.normalise`: NFKC, traditional date words,
Chinese numerals, half-units), and finally our interface `customer_dates.when` (the chosen library,
the normalisation and our reading of vague words into ranges). Per language:
- exact: the resolved day, range or duration-ago is exactly the expected one;
- lenient: every day the parser gives lies inside the expected range (a point inside "上周");
- false positives: a date found in a sentence that has none;
- p50 / p90 milliseconds per sentence (after one warm-up pass), install size of what the library
  adds to the environment, and a fresh interpreter's time to its first answer (import + lazy data).
A candidate that is not installed is reported as such. Figures go to bench/results/date_phrases.json;
docs/date-phrases.md holds the table.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.results import percentile, write
from desk.eligibility.customer_dates import normalise, when
from desk.eligibility.date_ranges import Ago, CustomerDate, minus

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"
PHRASES = EVAL / "date_phrases.yml"  # the set the interface was tuned on
HOLDOUT = EVAL / "date_phrases_holdout.yml"  # written after the tuning, never tuned on

Parser = Callable[[str, date, str], CustomerDate | None]


@dataclass(frozen=True)
class Phrase:
    text: str
    language: str
    today: date
    expected: tuple[date, date] | None  # the days the customer may mean (one day: both ends equal)


def load(path: Path = PHRASES) -> list[Phrase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    reference: date = data["reference"]["today"]
    phrases = []
    for item in data["phrases"]:
        today: date = item.get("today", reference)
        phrases.append(Phrase(item["text"], item["language"], today, expected_days(item["expected"], today)))
    return phrases


def expected_days(expected: dict[str, Any] | None, today: date) -> tuple[date, date] | None:
    if expected is None:
        return None
    if "date" in expected:
        return expected["date"], expected["date"]
    if "range" in expected:
        start, end = expected["range"]
        return start, end
    ago = expected["ago"]
    day = minus(today, Ago(months=ago.get("months", 0), days=ago.get("days", 0)))
    return day, day


# --- the candidates, as each library gives its answer -----------------------------------------------


def _noon(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, 12)


def dateparser_raw(text: str, today: date, language: str) -> CustomerDate | None:
    from dateparser.search import search_dates

    settings: Any = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": _noon(today)}
    found = search_dates(text, languages=[language], settings=settings)
    if not found:
        return None
    words, moment = found[0]
    return CustomerDate(moment.date(), moment.date(), None, words, "dateparser")


def _jionlp() -> Any:
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
        import jionlp

    return jionlp


def jionlp_raw(text: str, today: date, language: str) -> CustomerDate | None:
    if language != "zh":
        return None
    base = time.mktime(_noon(today).timetuple())
    try:
        found = _jionlp().ner.extract_time(text, time_base=base, with_parsing=True)
    except Exception:  # it raises on some inputs it cannot resolve
        return None
    for entity in found:
        detail = entity["detail"]
        if detail["type"] == "time_delta":
            parts = detail["time"]
            months = round(12 * parts.get("year", 0) + parts.get("month", 0))
            days = round(7 * parts.get("week", 0) + parts.get("day", 0))
            ago = Ago(months=months, days=days)
            day = minus(today, ago)
            return CustomerDate(day, day, ago, entity["text"], "jionlp")
        if detail["type"] in ("time_point", "time_span") and isinstance(detail["time"], list):
            start, end = (datetime.strptime(value[:10], "%Y-%m-%d").date() for value in detail["time"][:2])
            return CustomerDate(start, min(end, today), None, entity["text"], "jionlp")
    return None


_DURATION = re.compile(r"P(?:(?P<years>[\d.]+)Y)?(?:(?P<months>[\d.]+)M)?(?:(?P<weeks>[\d.]+)W)?(?:(?P<days>[\d.]+)D)?")


def recognizers_raw(text: str, today: date, language: str) -> CustomerDate | None:
    from recognizers_date_time import Culture, recognize_datetime

    culture = Culture.Chinese if language == "zh" else Culture.English
    try:
        found = recognize_datetime(text, culture, reference=_noon(today))
    except Exception:  # an unmaintained alpha: some sentences raise inside it
        return None
    for result in found:
        values = (result.resolution or {}).get("values") or []
        for value in values:
            kind = value.get("type")
            if kind == "duration":
                match = _DURATION.fullmatch(value.get("timex", ""))
                if not match:
                    continue
                number = {key: float(part or 0) for key, part in match.groupdict().items()}
                ago = Ago(
                    months=round(12 * number["years"] + number["months"]),
                    days=round(7 * number["weeks"] + number["days"]),
                )
                day = minus(today, ago)
                return CustomerDate(day, day, ago, result.text, "recognizers")
            if kind == "date" and "value" in value:
                day = date.fromisoformat(value["value"][:10])
                if day <= today:
                    return CustomerDate(day, day, None, result.text, "recognizers")
            if kind == "daterange" and "start" in value:
                start = date.fromisoformat(value["start"][:10])
                end = date.fromisoformat(value["end"][:10]) - timedelta(days=1) if "end" in value else start
                if start <= today:
                    return CustomerDate(start, min(end, today), None, result.text, "recognizers")
    return None


def parsedatetime_raw(text: str, today: date, language: str) -> CustomerDate | None:
    if language != "en":
        return None
    import parsedatetime

    found = parsedatetime.Calendar().nlp(text, sourceTime=_noon(today))
    if not found:
        return None
    moment, _flags, _start, _end, words = found[0]
    return CustomerDate(moment.date(), moment.date(), None, words, "parsedatetime")


def normalised(parser: Parser) -> Parser:
    def parse(text: str, today: date, language: str) -> CustomerDate | None:
        return parser(normalise(text, language), today, language)

    return parse


@dataclass(frozen=True)
class Candidate:
    name: str
    module: str  # what `import` loads
    distributions: tuple[str, ...]  # what installing it adds to our environment
    languages: tuple[str, ...]
    parser: Parser
    note: str


CANDIDATES = (
    Candidate("dateparser 1.5", "dateparser", ("dateparser", "pytz", "tzlocal"), ("zh", "en"), dateparser_raw, "raw"),
    Candidate("jionlp 1.5", "jionlp", ("jionlp", "jiojio", "zipfile36"), ("zh",), jionlp_raw, "raw (Chinese only)"),
    Candidate(
        "Recognizers-Text 1.0.2a2",
        "recognizers_date_time",
        (
            "recognizers-text-date-time",
            "recognizers-text",
            "recognizers-text-number",
            "recognizers-text-number-with-unit",
            "datedelta",
            "multipledispatch",
            "emoji",
        ),
        ("zh", "en"),
        recognizers_raw,
        "raw (needs emoji<1: broken with emoji 2)",
    ),
    Candidate(
        "parsedatetime 2.6", "parsedatetime", ("parsedatetime",), ("en",), parsedatetime_raw, "raw (English only)"
    ),
)


def installed(candidate: Candidate) -> bool:
    try:
        importlib.metadata.distribution(candidate.distributions[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def install_megabytes(distributions: Sequence[str]) -> float:
    total = 0
    for name in distributions:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in files:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return round(total / 1e6, 1)


def first_answer_seconds(candidate: Candidate) -> float:
    """A fresh interpreter's import of the library and its first answer (language data loads lazily)."""
    language = candidate.languages[0]
    text = "上周买的" if language == "zh" else "I bought it last week"
    code = (
        "import time; t = time.perf_counter()\n"
        "from datetime import date\n"
        f"from bench.date_phrases import {candidate.parser.__name__} as parse\n"
        f"parse({text!r}, date(2026, 12, 6), {language!r})\n"
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return round(statistics.median(times), 3)


def score(parser: Parser, phrases: Sequence[Phrase], language: str) -> dict[str, Any]:
    chosen = [phrase for phrase in phrases if phrase.language == language]
    for phrase in chosen:  # warm-up: lazy imports, compiled patterns, caches
        parser(phrase.text, phrase.today, phrase.language)
    exact = lenient = false_positives = dated = 0
    millis: list[float] = []
    wrong: list[str] = []
    for phrase in chosen:
        began = time.perf_counter()
        found = parser(phrase.text, phrase.today, phrase.language)
        millis.append((time.perf_counter() - began) * 1000)
        if phrase.expected is None:
            if found is not None:
                false_positives += 1
                wrong.append(f"{phrase.text} → {found.earliest}…{found.latest} (no date)")
            continue
        dated += 1
        got = None if found is None else (found.earliest, found.latest)
        if got == phrase.expected:
            exact += 1
            lenient += 1
            continue
        if got is not None and phrase.expected[0] <= got[0] and got[1] <= phrase.expected[1]:
            lenient += 1
        shown = "none" if got is None else f"{got[0]}…{got[1]}"
        wrong.append(f"{phrase.text} [{phrase.today}] → {shown}, expected {phrase.expected[0]}…{phrase.expected[1]}")
    undated = len(chosen) - dated
    return {
        "phrases": len(chosen),
        "dated": dated,
        "exact": exact,
        "exact_pct": round(100 * exact / dated, 1),
        "lenient": lenient,
        "lenient_pct": round(100 * lenient / dated, 1),
        "undated": undated,
        "false_positives": false_positives,
        "p50_ms": round(percentile(millis, 50), 3),
        "p90_ms": round(percentile(millis, 90), 3),
        "wrong": wrong,
    }


def progress(message: str) -> None:
    print(f"[bench-date-phrases] {message}", file=sys.stderr, flush=True)


def when_dateparser_for_chinese(text: str, today: date, language: str) -> CustomerDate | None:
    return when(text, today, language, chinese="dateparser")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.date_phrases", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="print the figures, do not write the results file")
    args = parser.parse_args(argv)
    sets = {"tuning": load(PHRASES), "holdout": load(HOLDOUT)}
    rows: list[dict[str, Any]] = []
    for candidate in CANDIDATES:
        if not installed(candidate):
            progress(f"{candidate.name}: not installed, skipped")
            rows.append({"parser": candidate.name, "installed": False})
            continue
        cost = {
            "install_mb": install_megabytes(candidate.distributions),
            "first_answer_s": first_answer_seconds(candidate),
        }
        variants: tuple[tuple[str, Parser], ...] = (
            (candidate.note, candidate.parser),
            ("+ our normalisation", normalised(candidate.parser)),
        )
        for variant, parse in variants:
            progress(f"{candidate.name} {variant}")
            row: dict[str, Any] = {"parser": candidate.name, "variant": variant, "installed": True, **cost}
            for set_name, phrases in sets.items():
                row[set_name] = {language: score(parse, phrases, language) for language in candidate.languages}
            rows.append(row)
    interfaces: tuple[tuple[str, Parser], ...] = (
        ("chosen: jionlp for Chinese, dateparser for English, normalisation, our reading", when),
        ("the same with dateparser for Chinese too", when_dateparser_for_chinese),
    )
    for variant, parse in interfaces:
        progress(f"customer_dates.when: {variant}")
        row = {"parser": "customer_dates.when", "variant": variant, "installed": True}
        for set_name, phrases in sets.items():
            row[set_name] = {language: score(parse, phrases, language) for language in ("zh", "en")}
        rows.append(row)
    figures = {
        "phrases": {name: len(phrases) for name, phrases in sets.items()},
        "reference_today": "2026-12-06 (Beijing) unless a phrase gives its own",
        "rows": rows,
    }
    if args.no_write:
        for row in rows:
            print(row)
        return 0
    write("date_phrases", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
