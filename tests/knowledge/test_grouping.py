from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from knowledge.entries import load_entries
from knowledge.grouping import (
    MAX_QUESTIONS,
    SIMILARITY_THRESHOLD,
    QuestionGroup,
    group_questions,
    measure_thresholds,
    pairwise_scores,
)

FAQ_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "faq"
THRESHOLDS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]


def texts_of(questions: list[str], groups: list[QuestionGroup]) -> list[set[str]]:
    return [{questions[i] for i in g.members} for g in groups]


def test_near_duplicates_group_in_both_languages_and_topics_stay_apart() -> None:
    questions = [
        "退款多久到账",
        "退款多久能到账？",
        "我的退款多久能到",
        "how long does a refund take",
        "how long until i get my refund",
        "Where is my parcel?",
        "where is my package",
        "空调可以上门安装吗",
        "空调能上门安装吗",
    ]
    groups = texts_of(questions, group_questions(questions))
    assert {"退款多久到账", "退款多久能到账？", "我的退款多久能到"} in groups
    assert {"how long does a refund take", "how long until i get my refund"} in groups
    assert {"Where is my parcel?", "where is my package"} in groups
    assert {"空调可以上门安装吗", "空调能上门安装吗"} in groups


def test_identical_questions_share_a_group_and_the_representative_is_the_most_typical() -> None:
    questions = ["where is my order", "Where is my order?", "where is my order", "where is my order now", "发票"]
    groups = group_questions(questions)
    assert len(groups) == 2
    biggest = groups[0]
    assert sorted(biggest.members) == [0, 1, 2, 3]
    # Asked twice word for word: the most typical, listed first with its repetition.
    assert questions[biggest.representative] == "where is my order"
    assert biggest.members[:2] == (0, 2)
    assert groups[1].members == (4,)


def test_edge_cases() -> None:
    assert group_questions([]) == []
    assert group_questions(["只有一个问题"]) == [QuestionGroup((0,))]
    assert [g.members for g in group_questions(["", " "])] == [(0, 1)]
    with pytest.raises(ValueError, match="at most"):
        group_questions(["q"] * (MAX_QUESTIONS + 1))


def test_pairwise_scores_count_pairs() -> None:
    # Predicted {0,1,2} {3}; truth {0,1} {2,3}: 3 pairs predicted, 1 right; 2 true pairs, 1 found.
    scores = pairwise_scores([QuestionGroup((0, 1, 2)), QuestionGroup((3,))], ["a", "a", "b", "b"], 0.3)
    assert scores.precision == pytest.approx(1 / 3)
    assert (scores.recall, scores.groups) == (0.5, 2)
    assert scores.f_score() == pytest.approx(0.4)
    assert scores.f_score(0.5) == pytest.approx(1.25 * (1 / 3) * 0.5 / (0.25 / 3 + 0.5))


def test_the_threshold_is_the_best_f_half_on_the_faq_phrasings() -> None:
    """How SIMILARITY_THRESHOLD was chosen: phrasings of one FAQ entry in one language belong
    together; precision weighs double (F0.5), a mixed group misleads more than a split one."""
    questions: list[str] = []
    truth: list[tuple[str, str]] = []
    for entry in load_entries(FAQ_DIR):
        for language, question in entry.phrasings():
            questions.append(question)
            truth.append((entry.id, language))
    scores = {s.threshold: s for s in measure_thresholds(questions, truth, THRESHOLDS)}
    for s in scores.values():
        print(f"{s.threshold:.2f}: P={s.precision:.3f} R={s.recall:.3f} F1={s.f_score():.3f} F0.5={s.f_score(0.5):.3f}")
    best = max(scores.values(), key=lambda s: s.f_score(0.5))
    assert best.threshold == SIMILARITY_THRESHOLD
    chosen = scores[SIMILARITY_THRESHOLD]
    # Precision rises and recall falls with the threshold: the trade-off the choice is about.
    ordered = [scores[t] for t in THRESHOLDS]
    assert all(a.recall >= b.recall for a, b in pairwise(ordered))
    assert chosen.precision > 0.4 and chosen.recall > 0.1
