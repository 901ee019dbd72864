"""The end-to-end evaluation's data and scoring (bench/e2e.py); the run itself is `make bench`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.e2e import PATHS, SETS, Scored, score, summary
from knowledge.conversation_sets import Conversation, Turn, load
from knowledge.entries import load_entries

FAQ = Path(__file__).resolve().parents[2] / "knowledge" / "faq"


@pytest.mark.parametrize("path", [path for paths in SETS.values() for path in paths], ids=lambda path: path.name)
def test_every_label_is_one_the_scoring_knows_and_every_entry_exists(path: Path) -> None:
    ids = {entry.id for entry in load_entries(FAQ)}
    conversations = load(path)
    assert conversations and len({c.id for c in conversations}) == len(conversations)
    for conversation in conversations:
        assert conversation.language in ("zh", "en")
        for turn in conversation.turns:
            assert turn.text.strip()
            assert turn.expect in ("answer", "handoff", *PATHS), turn
            assert set(turn.entries) <= ids, turn
            if turn.expect == "handoff":
                assert turn.priority in ("urgent", "high", "normal"), turn


def test_the_test_set_is_as_large_as_issue_14_asks() -> None:
    turns = [turn for path in SETS["test"] for conversation in load(path) for turn in conversation.turns]
    assert len(turns) >= 400


@pytest.mark.parametrize(
    ("turn", "record", "options", "verdict"),
    [
        (Turn("q", "answer", ("a",)), {"outcome": "answered", "faq_id": "a"}, [], "right"),
        (Turn("q", "answer", ("a", "b")), {"outcome": "answered", "faq_id": "b"}, [], "right"),
        (Turn("q", "answer", ("a",)), {"outcome": "answered", "faq_id": "c"}, [], "wrong"),
        (Turn("q", "answer", ("a",)), {"outcome": "clarified"}, ["c", "a"], "clarified"),
        (Turn("q", "answer", ("a",)), {"outcome": "clarified"}, ["c", "d"], "clarified_wrong"),
        (Turn("q", "answer", ("a",)), {"outcome": "fallback"}, [], "rephrase"),
        (Turn("q", "answer", ("a",)), {"outcome": "handoff", "priority": "normal"}, [], "handed_off"),
        (Turn("q", "answer", ("a",)), {"outcome": "eligibility"}, [], "path:eligibility"),
        (Turn("q", "handoff", priority="urgent"), {"outcome": "handoff", "priority": "urgent"}, [], "right"),
        (Turn("q", "handoff", priority="urgent"), {"outcome": "handoff", "priority": "normal"}, [], "wrong_priority"),
        (Turn("q", "handoff", priority="high"), {"outcome": "answered", "faq_id": "a"}, [], "path:answered"),
        (Turn("q", "case", flow="return"), {"outcome": "eligibility"}, [], "right"),
        (Turn("q", "decline"), {"outcome": "declined"}, [], "right"),
        (Turn("q", "lookup"), {"outcome": "fallback"}, [], "path:fallback"),
    ],
)
def test_a_turn_is_scored_by_what_it_did(turn: Turn, record: dict[str, str], options: list[str], verdict: str) -> None:
    assert score(turn, record, options) == verdict


def test_the_summary_counts_the_issue_targets_per_language() -> None:
    answer = Turn("q", "answer", ("a",))
    zh = Conversation("c1", "zh", ("plain",), (answer, Turn("q", "handoff", priority="urgent")))
    en = Conversation("c2", "en", ("typo",), (answer,))
    scored = [
        Scored(zh, 0, "answered", "right"),
        Scored(zh, 1, "handoff", "wrong_priority"),
        Scored(en, 0, "fallback", "rephrase"),
    ]
    figures = summary(scored)
    assert figures["targets"]["zh"]["kb_right"] == 1.0 and figures["targets"]["zh"]["handoff_right_priority"] == 0.0
    assert figures["targets"]["en"]["kb_rephrase"] == 1.0 and figures["targets"]["all"]["kb_right"] == 0.5
    assert figures["confusion"] == {"answer": {"answered": 1, "fallback": 1}, "handoff": {"handoff": 1}}
    assert figures["by_tag"]["typo"] == {"turns": 1, "right": 0.0}
