"""The demo knowledge base covers the handbook, in both languages, with the handbook's facts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from knowledge.entries import FaqEntry, KnowledgeBaseError, load_entries
from knowledge.settings import PACKAGE_DIR

ENTRIES = load_entries(PACKAGE_DIR / "faq")
BY_ID = {e.id: e for e in ENTRIES}


def test_at_least_eighty_entries_cover_every_handbook_section() -> None:
    assert len(ENTRIES) >= 80
    sections = {e.section for e in ENTRIES}
    assert {f"P{n}" for n in range(1, 19)} <= sections


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_entry_is_bilingual_with_enough_phrasings(entry: FaqEntry) -> None:
    assert len(entry.questions.get("zh", [])) >= 3
    assert len(entry.questions.get("en", [])) >= 2
    assert entry.answer.get("zh") and entry.answer.get("en")
    assert entry.id.startswith(f"p{int(entry.section[1:]):02d}-")


def test_phrasings_are_not_repeated_across_entries() -> None:
    counts = Counter(q.strip().lower() for e in ENTRIES for _, q in e.phrasings())
    assert [q for q, n in counts.items() if n > 1] == []


# Facts from the handbook that must appear verbatim in the answers, in both languages.
FACTS = [
    ("p01-human-agent-hours", "09:00", "09:00"),
    ("p01-hotline", "400-820-5566", "400-820-5566"),
    ("p02-free-shipping", "99", "99"),
    ("p08-warranty-battery", "1 年", "1 year"),
    ("p08-warranty-motor-compressor", "2 年", "2 years"),
    ("p08-warranty-accessories", "6 个月", "6 months"),
    ("p11-refund-time-by-payment-method", "1–3 个工作日", "1–3 working days"),
    ("p14-points-redeem", "100", "100"),
    ("p18-account-deletion", "15 个工作日", "15 working days"),
]


@pytest.mark.parametrize(("entry_id", "zh", "en"), FACTS)
def test_answers_state_the_handbook_facts(entry_id: str, zh: str, en: str) -> None:
    entry = BY_ID[entry_id]
    assert zh in entry.answer["zh"]
    assert en in entry.answer["en"]


def test_no_answer_invents_a_phone_number_or_address() -> None:
    phone = re.compile(r"\b\d{3}-\d{3}-\d{4}\b")
    for entry in ENTRIES:
        for answer in entry.answer.values():
            assert set(phone.findall(answer)) <= {"400-820-5566"}, entry.id
            assert "http" not in answer, entry.id


def test_a_broken_seed_file_is_reported_with_its_place(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("entries:\n  - id: x1\n    category: c\n    questions: {}\n    answer: {en: a}\n")
    with pytest.raises(KnowledgeBaseError, match=r"bad.yml, entry 1"):
        load_entries(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = "  - id: same\n    category: c\n    questions: {en: [q]}\n    answer: {en: a}\n"
    (tmp_path / "a.yml").write_text("entries:\n" + entry + entry)
    with pytest.raises(KnowledgeBaseError, match="duplicate"):
        load_entries(tmp_path)
