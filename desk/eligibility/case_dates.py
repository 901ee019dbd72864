"""Which of a message's dates are the case's, and what each is the date of (`dates_said`): the
customer's words read clause by clause by the date reader (`customer_dates.when`), each date given the
verb of its clause ("3号到的": delivery, "bought it last week": payment), a day of the story ("昨天我
加班到很晚") left out. Part of reading a case (`case_words`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from desk.eligibility import case_vocabulary as words
from desk.eligibility.customer_dates import when
from desk.eligibility.date_ranges import CustomerDate, Language
from desk.eligibility.facts import Fact
from desk.eligibility.rules import Anchor


@dataclass(frozen=True)
class DateSaid:
    """A date the customer gave: the days it may be, and what it is the date of."""

    anchor: Anchor
    earliest: date
    latest: date
    words: str


# The date reader's time grows much faster than its text on runs of time words ("上周上周…").
MAX_CLAUSE = 60  # a clause of about a sentence: read whole
MAX_DATE_TEXT = 32  # the pieces a longer clause is read in
MAX_DATE_PIECES = 6  # date reads per message
MAX_PHRASES = 2  # English date phrases read in one piece
_ASKED_ANCHOR = {Fact.DELIVERED_ON: Anchor.DELIVERY, Fact.PAID_ON: Anchor.PAYMENT, Fact.INVOICE_ON: Anchor.INVOICE}
# Chinese clauses end at any comma or space; English ones at a sentence's end, a comma or "and/but"
# ("on May 3, 2025", "on Monday, Nov 30" and "two and a half years" are one date).
_CLAUSE = {
    "zh": re.compile(r"[，,。!！?？;；\n]+|\s+"),
    "en": re.compile(
        r"[!?;\n]+|\.(?!\d)|,(?!\s*(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b))|\s+(?:and|but|so)\s+(?!a half\b)",
        re.IGNORECASE,
    ),
}


def _pieces(clauses: list[str]) -> Iterator[tuple[str, str]]:
    """Each clause that could hold a date, with the text the date reader reads of it: the whole
    clause when it is of a sentence's length, else overlapping pieces (the reader's time grows much
    faster than its text on runs of time words, "上周上周…"); at most MAX_DATE_PIECES reads."""
    reads = 0
    for clause in clauses:
        if not clause.strip() or not words.DATE_WORDS.search(clause):
            continue
        if len(clause) <= MAX_CLAUSE:
            pieces = [clause]
        else:
            # Overlapping pieces, the last one ending with the clause.
            last = len(clause) - MAX_DATE_TEXT
            starts = [*range(0, last, MAX_DATE_TEXT // 2), last]
            pieces = [
                clause[i : i + MAX_DATE_TEXT] for i in starts if words.DATE_WORDS.search(clause[i : i + MAX_DATE_TEXT])
            ]
        for piece in pieces:
            if reads == MAX_DATE_PIECES:
                return
            reads += 1
            yield clause, piece


def _nearest_verb(clause: str, at: int) -> Anchor | None:
    """What the date at `at` is of: the verb of the clause nearest to it ("ordered it as a surprise,
    it arrived yesterday": delivered yesterday)."""
    at = max(at, 0)
    distances = [
        (min(abs(found.start() - at), abs(found.end() - at)), anchor)
        for anchor, pattern in words.ANCHOR_WORDS
        for found in pattern.finditer(clause)
    ]
    return min(distances)[1] if distances else None


def _date_in(text: str, today: date, language: Language) -> CustomerDate | None:
    """The date reader's date, unless it is none of the case's ("现在", or "we" taken for a day)."""
    if not words.DATE_WORDS.search(text):
        return None  # nothing a date could be made of: the date reader is not asked
    said = when(text, today, language)
    if said is None or words.NOT_A_DATE.match(said.words.strip()) or not words.DATE_WORDS.search(said.words):
        return None
    if said.earliest > today:
        return None  # a day to come ("2026年12月25日" written on the 9th) is no date of the case
    return replace(said, latest=min(said.latest, today))


def _fuller(kept: DateSaid | None, clause: str, said: CustomerDate, clauses_of: dict[Anchor, str]) -> bool:
    """Whether a date replaces the one kept for its anchor: none kept yet, or the same clause's date
    cut short by the piece it was read in ("dated November 18" read as "Nov" or "November 1")."""
    if kept is None:
        return True
    longer = len(said.words) > len(kept.words) and said.words.lower().startswith(kept.words.lower())
    return clauses_of.get(kept.anchor) == clause and longer


def dates_said(text: str, today: date, language: Language, asked: Fact | None) -> tuple[DateSaid, ...]:
    """Each clause's date, with what it is the date of: the verb of its clause ("3号到的", "bought it
    last week"). A date with no verb beside it counts only when it is a duration ("用了14个月", "had it
    14 months"), answers the date just asked for, or is the message's only date and the message has
    such a verb elsewhere; else it is a day in the customer's story ("昨天我加班到很晚"), not the
    case's. An English sentence whose whole gives the date reader nothing is read again by its date
    phrases ("the purifier we got last week shows error E1 …")."""
    verb_anywhere = next((anchor for anchor, pattern in words.ANCHOR_WORDS if pattern.search(text)), None)
    with_verb: dict[Anchor, DateSaid] = {}
    clauses_of: dict[Anchor, str] = {}  # the clause each of with_verb's dates is from
    without: list[tuple[CustomerDate, bool]] = []
    for clause, piece in _pieces(_CLAUSE[language].split(text)):
        read = [(clause, _date_in(piece, today, language))]
        if read[0][1] is None and language == "en":
            # The date reader misses a date inside a long sentence: its date phrases on their own.
            phrases = list(words.EN_DATE_PHRASE.finditer(piece))[:MAX_PHRASES]
            read = [(clause, _date_in(found.group(0), today, language)) for found in phrases]
        for clause_words, said in read:
            if said is None:
                continue
            before = clause_words[: max(clause_words.find(said.words), 0)]
            if said.ago is not None and words.WARRANTY_LENGTH.search(before):
                continue  # "is the compressor covered for 2 years?": a warranty's length
            anchor = _nearest_verb(clause_words, clause_words.find(said.words))
            if anchor is not None:
                if _fuller(with_verb.get(anchor), clause_words, said, clauses_of):
                    with_verb[anchor] = DateSaid(anchor, said.earliest, said.latest, said.words)
                    clauses_of[anchor] = clause_words
            else:
                without.append((said, said.ago is not None))
    found = dict(with_verb)
    for said, duration in without:
        anchor = _ASKED_ANCHOR.get(asked) if asked is not None else None
        story_day = bool(words.STORY_DAY.match(said.words.strip()))
        if anchor is None and (duration or (not with_verb and verb_anywhere and len(without) == 1 and not story_day)):
            anchor = verb_anywhere or Anchor.PAYMENT
        if anchor is not None:
            found.setdefault(anchor, DateSaid(anchor, said.earliest, said.latest, said.words))
    return tuple(found.values())
