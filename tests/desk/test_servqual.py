from __future__ import annotations

import pytest

from desk.servqual import LEXICON, Dimension, count_dimensions, dimensions_of

R, S, A, E, T = (
    Dimension.RELIABILITY,
    Dimension.RESPONSIVENESS,
    Dimension.ASSURANCE,
    Dimension.EMPATHY,
    Dimension.TANGIBLES,
)


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        # Chinese, one dimension each
        ("等了很久才有人回", [S]),
        ("回复快，点赞", [S]),
        ("客服态度很好", [E]),
        ("很有耐心", [E]),
        ("问题还是没解决", [R]),
        ("说话不算数", [R]),
        ("客服很专业", [A]),
        ("不专业", [A]),
        ("网页打不开", [T]),
        ("包装破了", [T]),
        # English, one dimension each
        ("Way too slow", [S]),
        ("I waited an hour", [S]),
        ("quick reply, thanks", [S]),
        ("The agent was rude", [E]),
        ("very patient and caring", [E]),
        ("You gave me the wrong answer", [R]),
        ("They promised a refund", [R]),
        ("Problem fixed!", [R]),
        ("knowledgeable staff", [A]),
        ("I don't trust this", [A]),
        ("The website keeps crashing", [T]),
        ("the packaging was torn", [T]),
        # Several dimensions, in the order of the enum
        ("态度很好但是等了很久，问题也没解决", [R, S, E]),
        ("Rude agent, slow reply, and the app crashed", [S, E, T]),
        ("专业又耐心，App 也好用", [A, E, T]),
        ("这个App太难用", [T]),  # English word inside Chinese text
        ("knowledgeable and patient, fixed it quickly", [R, S, A, E]),
        # None at all
        ("谢谢", []),
        ("thanks!", []),
        ("", []),
        ("😀👍", []),
    ],
)
def test_dimensions_in_both_languages(comment: str, expected: list[Dimension]) -> None:
    assert dimensions_of(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "happy with it",  # "app" inside a word is not the app
        "what kind of warranty do I get",  # "kind" as in sort, not kindness
        "扫地机拖地很干净",  # mopping (拖地) is not a delay
        "I applied for a return",
    ],
)
def test_words_inside_other_words_do_not_count(comment: str) -> None:
    assert dimensions_of(comment) == []


def test_letter_case_and_full_width_letters_do_not_matter() -> None:
    assert dimensions_of("SLOW") == [S]
    assert dimensions_of("ＡＰＰ不好用") == [T]


def test_counts_per_dimension() -> None:
    counts = count_dimensions(["太慢了", "态度差，回复慢", "thanks", "wrong answer"])
    assert counts == {R: 1, S: 2, A: 0, E: 1, T: 0}


def test_every_dimension_has_cues_in_both_languages() -> None:
    assert set(LEXICON) == set(Dimension)
    for cues in LEXICON.values():
        assert cues.zh and cues.en
