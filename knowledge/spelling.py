"""English spelling slips read as the knowledge base's words: "warrenty" → warranty, "refnd" → refund,
"adress" → address (the only module that imports pyspellchecker and rapidfuzz).

A word is left alone when a general English dictionary (pyspellchecker's word-frequency list, shipped
in the package) or the knowledge base knows it, when it is short (slang such as "pls", "ur"), or when it
is written with capitals inside ("iPhone") or stands in an identifier, an e-mail address or a URL
(LM202611260001, RMA20265678, name@example.com, www.example.com). Otherwise it becomes the knowledge
base's word within one edit (two for words of eight letters or more; a swap of two letters is one
edit), when only one is that close or one is clearly more frequent there than the others.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.entries import load_entries
from knowledge.settings import get_settings
from knowledge.synonyms import SYNONYMS

if TYPE_CHECKING:
    from spellchecker import SpellChecker

# A word of letters (an apostrophe inside: "didn't") standing alone: not glued to digits, "@", "/", "-"
# or a dot followed by more of a name, so identifiers, e-mail addresses and URLs are never touched.
_WORD = re.compile(r"(?<![A-Za-z0-9_@/\-.])[A-Za-z]+(?:'[A-Za-z]+)?(?![A-Za-z0-9_@/\-]|\.[A-Za-z0-9])")
_VOCABULARY_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Shorter words are left alone: "pls", "thx", "ur" are slang, not slips, and a short word's one-edit
# neighbours are too many to choose from ("helo": help or hello?).
MIN_LENGTH = 5
# What a slip may be read as: a word of the general dictionary the knowledge base uses at least this
# often ("huawei" is no slip of the knowledge base's "huabei", which no dictionary knows).
MIN_COUNT = 2
LONG_WORD = 8  # from this length, two edits
# Several words of the knowledge base as close: the most frequent, when this many times as frequent
# as the next.
CLEARLY_MORE = 3


@dataclass(frozen=True)
class Speller:
    """The knowledge base's English words with their counts, and the general dictionary."""

    counts: Counter[str]
    dictionary: SpellChecker
    answer_words: frozenset[str]  # the knowledge base's answers are edited text: their words are right
    _seen: dict[str, str | None] = field(default_factory=dict)  # a word's correction, once looked for

    def knows(self, word: str) -> bool:
        """A word of the general dictionary, also when written without its apostrophe ("doesnt",
        "theyre": a habit, not a slip, and "there" is no reading of "theyre")."""
        if word in self.dictionary or word in self.answer_words:
            return True
        return any(f"{word[:i]}'{word[i:]}" in self.dictionary for i in range(len(word) - 2, len(word)))

    def correction(self, word: str) -> str | None:
        """The knowledge base's word `word` is a slip of, if any (`word` in lower case). The knowledge
        base's own phrasings are written with slips too ("warrenty"): they are corrected alike."""
        if len(word) < MIN_LENGTH or self.knows(word):
            return None
        if word not in self._seen:
            self._seen[word] = self._closest(word)
        return self._seen[word]

    def _closest(self, word: str) -> str | None:
        from rapidfuzz.distance import OSA  # optimal string alignment: a swap of neighbours is one edit

        limit = 2 if len(word) >= LONG_WORD else 1
        near = sorted(
            (
                (known, count)
                for known, count in self.counts.items()
                if count >= MIN_COUNT
                and known[0] == word[0]
                and known in self.dictionary
                and OSA.distance(word, known, score_cutoff=limit) <= limit
            ),
            key=lambda pair: -pair[1],
        )
        if not near:
            return None
        if len(near) == 1 or near[0][1] >= CLEARLY_MORE * near[1][1]:
            return near[0][0]
        return None


def build_speller(questions: Iterable[str], answers: Iterable[str]) -> Speller:
    """The speller for the knowledge base's English phrasings and answers and the synonym table."""
    from spellchecker import SpellChecker

    table = [w for canonical, variants in SYNONYMS.items() for w in (canonical, *variants) if w.isascii()]
    edited = [*answers, *table]
    counts: Counter[str] = Counter()
    for text in [*questions, *edited]:
        counts.update(_VOCABULARY_WORD.findall(text.lower()))
    right = frozenset(word for text in edited for word in _VOCABULARY_WORD.findall(text.lower()))
    return Speller(counts, SpellChecker(language="en"), right)


@lru_cache(maxsize=1)
def speller() -> Speller:
    """The seed knowledge base's speller, built on first use (about a second: the dictionary's word list)."""
    entries = load_entries(get_settings().faq_dir)
    return build_speller(
        [question for entry in entries for question in entry.questions.get("en", [])],
        [entry.answer["en"] for entry in entries if "en" in entry.answer],
    )


def corrected(text: str, words: Speller | None = None) -> str:
    """`text` with its English spelling slips read as the knowledge base's words."""
    if not re.search(rf"[A-Za-z]{{{MIN_LENGTH}}}", text):
        return text
    words = words or speller()
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]

    def fixed(match: re.Match[str]) -> str:
        written = match.group(0)
        if any(start <= match.start() < end for start, end in urls) or _has_inner_capital(written):
            return written
        found = words.correction(written.lower())
        return _cased_like(found, written) if found else written

    return _WORD.sub(fixed, text)


def _has_inner_capital(word: str) -> bool:
    """A name written with a capital inside ("iPhone", "AirPods"), not a slip."""
    return any(c.isupper() for c in word[1:]) and not word.isupper()


def _cased_like(word: str, written: str) -> str:
    if written.isupper():
        return word.upper()
    if written[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
