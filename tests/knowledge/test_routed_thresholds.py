"""Thresholds chosen through the routing (bench.routed_calibration): a question the running system keeps
from the knowledge base weighs on them only by what it costs there."""

from __future__ import annotations

from knowledge.abstention import Decision, Thresholds
from knowledge.conversation_sets import Conversation, Turn
from knowledge.evaluation import DevQuestion, Scored, choose_thresholds, conversation_turns, report, total_cost


def scored(text: str, expected: str | None, confidence: float, top: str = "p02-courier") -> Scored:
    question = DevQuestion(text=text, language="en", expected=expected)
    signal_top = dict.fromkeys(("dense", "lexical", "supervised"), top)
    return Scored(question, [top, "p08-battery"], [confidence, 0.01], signal_top, Thresholds())


# A question answered right at 0.6, and an out-of-scope one the retriever scores 0.9.
QUESTIONS = [scored("when does it ship", "p02-courier", 0.6), scored("who won the cup", None, 0.9)]


def declined_by_diet(question: DevQuestion, decision: Decision, confidence: float) -> bool:
    return question.expected is not None


def test_alone_an_out_of_scope_question_the_retriever_likes_keeps_the_answer_threshold_above_it() -> None:
    chosen = choose_thresholds(QUESTIONS)["en"]
    assert chosen.answer > 0.9
    assert chosen.decide(0.6, 0.01) != Decision.ANSWER


def test_through_the_routing_one_diet_declines_costs_nothing_and_the_question_is_answered() -> None:
    chosen = choose_thresholds(QUESTIONS, declined_by_diet)["en"]
    assert chosen.decide(0.6, 0.01) == Decision.ANSWER


def test_a_question_kept_from_the_knowledge_base_is_counted_as_routed_away() -> None:
    def nothing_reaches(question: DevQuestion, decision: Decision, confidence: float) -> bool:
        return False

    row = report(QUESTIONS, nothing_reaches)["en"]
    assert row["routed_away"] == 1.0 and row["answered_correct"] == 0.0
    assert row["out_of_scope_routed_away"] == 1.0 and row["out_of_scope_answered"] == 0.0
    assert total_cost(QUESTIONS, nothing_reaches)["en"] == 1.0  # the in-scope question's miss only
    assert "routed_away" not in report(QUESTIONS)["en"]


def test_conversation_turns_carry_the_question_a_follow_up_leans_on() -> None:
    conversation = Conversation(
        "c1",
        "zh",
        (),
        (
            Turn("扫地机保修多久", "answer", ("p08-warranty-whole-unit",)),
            Turn("那电池呢？", "answer", ("p08-warranty-battery",)),
            Turn("谢谢", "smalltalk"),
            Turn("你们发什么快递", "answer", ("p02-courier",)),
        ),
    )
    questions = conversation_turns([conversation])
    assert [(q.text, q.previous) for q in questions] == [
        ("扫地机保修多久", None),
        ("那电池呢？", "扫地机保修多久"),
        ("你们发什么快递", None),
    ]


def test_a_follow_up_is_scored_on_the_reading_the_app_goes_on() -> None:
    question = DevQuestion(text="and the dock?", language="en", expected="p08-dock", previous="warranty?")
    signal_top = dict.fromkeys(("dense", "lexical", "supervised"), "p08-dock")
    joined = Scored(question, ["p08-dock", "p08-unit"], [0.9, 0.05], signal_top, Thresholds())
    alone = Scored(question, ["p02-courier", "p08-dock"], [0.2, 0.1], signal_top, Thresholds(), joined)
    assert alone.reading() is joined and alone.outcome() == ("in", Decision.ANSWER, True)
    # Alone answered outright: the app does not read it after the question before.
    confident = Scored(question, ["p02-courier", "p08-dock"], [0.9, 0.05], signal_top, Thresholds(), joined)
    assert confident.reading() is confident and confident.outcome() == ("in", Decision.ANSWER, False)
