"""The development set is large enough, points at real entries and does not copy FAQ phrasings."""

from __future__ import annotations

import re

from knowledge.entries import load_entries
from knowledge.evaluation import load_dev_set
from knowledge.settings import PACKAGE_DIR

QUESTIONS = load_dev_set(PACKAGE_DIR / "eval" / "dev.yml")
ENTRIES = load_entries(PACKAGE_DIR / "faq")


def squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def test_size_and_languages() -> None:
    inside = [q for q in QUESTIONS if q.expected is not None]
    outside = [q for q in QUESTIONS if q.expected is None]
    assert len(inside) >= 150 and len(outside) >= 30
    assert {q.language for q in inside} == {"zh", "en"}


def test_expected_ids_exist() -> None:
    ids = {e.id for e in ENTRIES}
    assert {q.expected for q in QUESTIONS if q.expected} <= ids


def test_questions_are_not_faq_phrasings() -> None:
    phrasings = {squash(text) for e in ENTRIES for _, text in e.phrasings()}
    assert [q.text for q in QUESTIONS if squash(q.text) in phrasings] == []
