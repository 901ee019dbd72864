"""The learned reading of a case's clauses (desk/eligibility/clause_meaning.py): fitted on the dev sets'
clauses, it reads facts the vocabulary has no word for, and the case reader asks it only where the
vocabulary reads nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from bench.cases import EVAL
from bench.clause_examples import examples
from desk.eligibility.case_vocabulary import CLAUSE
from desk.eligibility.case_words import prepared_text, read_words, vocabulary_meanings
from desk.eligibility.clause_meaning import (
    EXAMPLES_FILE,
    ClauseReader,
    Example,
    Meaning,
    clause_reader,
    load_examples,
    load_written,
)
from desk.eligibility.customer_case import decide_case
from desk.eligibility.date_ranges import Language
from desk.eligibility.engine import Remedy, Verdict
from desk.eligibility.facts import Condition, DamageCause
from desk.eligibility.rules import load_policy

TODAY = date(2026, 12, 9)


@pytest.mark.parametrize(
    ("clause", "meaning"),
    [
        # Faults and changes of mind in words the vocabulary does not have.
        ("the fan wobbles like crazy", Meaning.FAULT),
        ("这个水龙头出水很小", Meaning.FAULT),
        ("turns out I don't have room for it", Meaning.CHANGE_OF_MIND),
        ("家里人说根本用不到", Meaning.CHANGE_OF_MIND),
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


# --- the written examples and P6's conditions ---------------------------------------------------------


def test_the_written_examples_are_single_prepared_clauses_none_of_a_dev_set() -> None:
    """Each written clause is what the reader sees (one clause of prepared text), is no clause of a dev
    set the examples are drawn from (that would flatter the cross-validation), and every cause and
    condition has at least 40 in each language, with denials and look-alikes beside them."""
    written = load_written()
    sources = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))["sources"]
    dev = {clause.lower() for clause, _ in examples([EVAL / name for name in sources])}
    for example in written:
        assert prepared_text(example.clause) == example.clause
        assert [c for c in CLAUSE.split(example.clause) if c.strip()] == [example.clause]
        assert example.clause.lower() not in dev
    for meaning in Meaning:
        if meaning.cause is None and meaning.condition is None:
            continue
        chinese = [e for e in written if meaning in e.meanings and re.search(r"[\u4e00-\u9fff]", e.clause)]
        english = [e for e in written if meaning in e.meanings and not re.search(r"[\u4e00-\u9fff]", e.clause)]
        assert len(chinese) >= 40 and len(english) >= 40, meaning
    assert sum(1 for example in written if not example.meanings) >= 150


@pytest.mark.parametrize(
    ("clause", "meanings"),
    [
        ("用了三天", {Meaning.USED_BEYOND_INSPECTION}),
        ("I've been using it every day", {Meaning.USED_BEYOND_INSPECTION}),
        ("拆了滤芯", {Meaning.OPENED_CONSUMABLE}),
        ("包装扔了", {Meaning.INCOMPLETE}),
        ("滤芯没拆", set()),
        ("没用过", set()),
    ],
)
def test_the_vocabulary_reports_the_conditions_it_reads(clause: str, meanings: set[Meaning]) -> None:
    """The dev clauses are labelled with P6's conditions too (a denial labels none)."""
    assert vocabulary_meanings(clause) == meanings


@pytest.mark.parametrize(
    ("text", "language", "condition"),
    [
        ("前天到的净化器，新滤芯已经装进机器里了，不想要了能退吗", "zh", Condition.OPENED_CONSUMABLE),
        (
            "Got the vacuum yesterday, I slotted the new filter in straight away, don't want it now, can I return it?",
            "en",
            Condition.OPENED_CONSUMABLE,
        ),
        ("昨天收到的音箱，连着几个晚上都开着睡觉，不想要了可以退吗", "zh", Condition.USED_BEYOND_INSPECTION),
        (
            "The speaker came yesterday, we've had it on all week, I changed my mind, can I return it?",
            "en",
            Condition.USED_BEYOND_INSPECTION,
        ),
        ("昨天到的扫地机，不想要了，袋子和隔板都丢垃圾桶了，能退吗", "zh", Condition.INCOMPLETE),
        (
            "The purifier arrived yesterday, I changed my mind, I don't have the packaging anymore, can I return it?",
            "en",
            Condition.INCOMPLETE,
        ),
    ],
)
def test_a_learned_condition_refuses_a_no_reason_return(text: str, language: Language, condition: Condition) -> None:
    """A condition said in words the vocabulary does not have: the vocabulary alone allows the
    no-reason return, with the learned reading it is refused by that condition."""
    policy = load_policy()
    alone = read_words(text, TODAY, language, learned=False)
    assert getattr(alone, condition.value) is None
    answer = decide_case(alone, TODAY, policy)
    assert answer is not None
    allowed = answer.decision(Remedy.NO_REASON_RETURN)
    assert allowed is not None and allowed.verdict is Verdict.ALLOWED
    words = read_words(text, TODAY, language)
    assert getattr(words, condition.value) is True
    answer = decide_case(words, TODAY, policy)
    assert answer is not None
    refused = answer.decision(Remedy.NO_REASON_RETURN)
    assert refused is not None and refused.verdict is Verdict.NOT_ALLOWED
    assert refused.reason.refused_by == condition.value


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("昨天收到的音箱，没拆封，不想要了可以退吗", "zh"),
        ("The purifier arrived yesterday, still sealed, I changed my mind, can I return it?", "en"),
        ("还没用过，每天晚上都开着睡觉，不想要了可以退吗", "zh"),  # the vocabulary's denial wins
    ],
)
def test_a_denied_condition_is_not_read(text: str, language: Language) -> None:
    words = read_words(text, TODAY, language)
    assert not words.opened_consumable and not words.used_beyond_inspection and not words.incomplete


@pytest.mark.parametrize(
    ("text", "language", "causes"),
    [
        ("音箱不响了，奶茶洒在上面了，能保修吗", "zh", {DamageCause.LIQUID_DAMAGE}),
        ("The speaker stopped working, a glass of water knocked over onto it, is it covered by warranty?", "en", {DamageCause.LIQUID_DAMAGE}),
        ("扫地机不动了，从楼梯上滚下去了，能保修吗", "zh", {DamageCause.DROP}),
        ("My earbuds won't charge, my kid shoved a crayon into the charging port, can I get a repair?", "en", {DamageCause.USER_DAMAGE}),
        ("音箱不响了，没进过水，能保修吗", "zh", None),
        ("My earbuds won't charge, never dropped them, can I get a repair?", "en", set()),
        ("净水器水流很小，能保修吗", "zh", None),
    ],
)  # fmt: skip
def test_a_cause_in_new_words_is_read_and_a_denial_or_look_alike_is_not(
    text: str, language: Language, causes: set[DamageCause] | None
) -> None:
    assert read_words(text, TODAY, language).damage_causes == causes


@pytest.mark.parametrize(
    "text",
    [
        "The carton went out with the recycling though the speaker works fine. Don't want it anymore, return?",
        "My son tossed the outer carton in the paper recycling though the unit works perfectly. Can I send it back?",
    ],
)
def test_a_denial_in_a_clause_takes_out_only_what_it_denies(text: str) -> None:
    """ "Works fine" denies a fault; the learned reading still reads the box gone in the same clause."""
    assert read_words(text, TODAY, "en", learned=False).incomplete is None
    assert read_words(text, TODAY, "en").incomplete is True


def test_a_clause_with_a_refusing_word_is_still_asked_about_the_others() -> None:
    """The vocabulary reads the case gone missing; the learned reading, the charger in other words."""
    text = "The charging case went missing, so I've been using some no-name charger off a market stall, now the buds won't charge. Warranty?"
    assert read_words(text, TODAY, "en").damage_causes == {DamageCause.NON_ORIGINAL_CHARGER}
