"""The learned reading of a case's clauses (desk/eligibility/clause_meaning.py): fitted on the dev sets'
clauses, it reads facts the vocabulary has no word for, and the case reader asks it only where the
vocabulary reads nothing."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from bench.cases import EVAL
from bench.clause_examples import examples
from desk.eligibility.case_words import read_words, vocabulary_meanings
from desk.eligibility.clause_meaning import EXAMPLES_FILE, ClauseReader, Example, Meaning, clause_reader, load_examples
from desk.eligibility.facts import DamageCause

TODAY = date(2026, 12, 9)


@pytest.mark.parametrize(
    ("clause", "meaning"),
    [
        # Faults and changes of mind in words the vocabulary does not have.
        ("the fan wobbles like crazy", Meaning.FAULT),
        ("这个水龙头出水很小", Meaning.FAULT),
        ("turns out I don't have room for it", Meaning.CHANGE_OF_MIND),
        ("家里人觉得没必要", Meaning.CHANGE_OF_MIND),
    ],
)
def test_a_meaning_the_vocabulary_has_no_word_for_is_read(clause: str, meaning: Meaning) -> None:
    assert not vocabulary_meanings(clause)
    assert clause_reader().read([clause]) == {meaning}


@pytest.mark.parametrize("clause", ["上周买的", "能退吗", "I bought it on the 3rd", "the charging dock", "想开个发票"])
def test_a_clause_of_the_story_means_nothing(clause: str) -> None:
    assert clause_reader().read([clause]) == frozenset()


def test_the_case_reader_uses_the_learned_reading_where_the_vocabulary_reads_nothing() -> None:
    text = "这个水龙头出水很小，能退吗"
    assert read_words(text, TODAY, "zh", learned=False).quality_problem is None
    learned = read_words(text, TODAY, "zh")
    assert (learned.quality_problem, learned.symptom) == (True, True)
    assert read_words("Turns out I don't have room for it, can I return it?", TODAY, "en").quality_problem is False


def test_a_word_the_vocabulary_knows_beats_the_learned_reading() -> None:
    # "activated … set it up" is a condition, and "don't like the fit" a change of mind the vocabulary
    # reads: nothing learned makes either a fault.
    assert (
        read_words("I activated the speaker and set it up in the app, can I return it?", TODAY, "en").quality_problem
        is None
    )
    words = read_words(
        "I activated the earbuds and wore them on my commute, but I just don't like the fit.", TODAY, "en"
    )
    assert words.quality_problem is False
    # A denied cause is no cause, learned or not.
    assert read_words("没摔过也没进水，就是不开机了", TODAY, "zh").damage_causes == frozenset()


def test_a_learned_cause_counts_only_when_the_vocabulary_reads_none() -> None:
    reader = ClauseReader(
        [Example("狗把它撞翻了", frozenset({Meaning.DROP})), Example("猫把它撞翻了", frozenset({Meaning.DROP}))]
        + [Example(f"第{i}天到的货", frozenset()) for i in range(20)]
    )
    assert Meaning.DROP in reader.read(["狗把它撞翻了"], {m: 0.4 for m in Meaning})
    assert Meaning.DROP.cause is DamageCause.DROP and Meaning.FAULT.cause is None


def test_the_examples_file_is_what_the_dev_sets_give() -> None:
    """The shipped examples are the dev sets' clauses as the vocabulary reads them today: a vocabulary
    change without `python -m bench.clause_examples` fails here. No test set is among the sources."""
    sources = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))["sources"]
    assert sources and all(name.startswith("cases_dev") for name in sources)
    expected = [
        Example(clause, frozenset(Meaning(m) for m in meanings))
        for clause, meanings in examples([EVAL / name for name in sources])
    ]
    shipped = load_examples()
    assert shipped == expected
    assert sum(1 for example in shipped if Meaning.FAULT in example.meanings) >= 300
