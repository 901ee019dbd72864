from __future__ import annotations

import pytest

from desk.handoff import HandoffReason
from desk.triggers import complaint_made, detect_trigger, human_asked


@pytest.mark.parametrize(
    "text",
    [
        "空调冒烟了",
        "充电座打火",
        "有一股焦糊味",
        "净水器漏电，我被电了一下",
        "My charger sparked",
        "I got an electric shock",
        # P17 names overheating and water leaking near power, too
        "耳机充电盒充着电烫得根本拿不住",
        "净水器漏水漏到插座上了",
        "the battery area was bulging and far too hot to hold",
        "the purifier keeps overheating",
        "water is leaking onto the power strip",
        "净水器下面一直在渗水，水都流到旁边的插线板上了",
        "The AC is dripping water straight onto the power socket below it",
    ],
)
def test_safety_words_in_both_languages(text: str) -> None:
    assert detect_trigger(text) == HandoffReason.SAFETY


@pytest.mark.parametrize(
    "text", ["我要打12315", "找媒体曝光你们", "I'm calling my lawyer", "we will sue you", "I'll post this on Weibo"]
)
def test_legal_regulator_and_media_threats(text: str) -> None:
    assert detect_trigger(text) == HandoffReason.LEGAL_OR_MEDIA


@pytest.mark.parametrize(
    "text",
    [
        "我知道无理由退货只有7天，但今天才第10天，东西完全没拆，能不能通融一下给我退了？",
        "过了保修期一个月，能破例给我免费修吗",
        "My 7-day return window ended yesterday because I was in hospital. Please make an exception.",
        "can you bend the rules this one time",
    ],
)
def test_an_exception_to_policy_asked_for_goes_to_a_human(text: str) -> None:
    assert detect_trigger(text) == HandoffReason.COMPENSATION  # the escalation table's row, normal priority


@pytest.mark.parametrize(
    "text", ["退货运费谁出", "How long is the warranty?", "扫地机不充电了", "smoke-free home", "充电的时候有点热正常吗"]
)
def test_ordinary_questions_trigger_nothing(text: str) -> None:
    assert detect_trigger(text) is None


def test_safety_outranks_a_complaint_in_the_same_message() -> None:
    assert detect_trigger("我要投诉，你们的空调冒烟了") == HandoffReason.SAFETY


@pytest.mark.parametrize(
    ("text", "made"),
    [
        ("我要投诉，你们的安装师傅把我家墙打坏了", True),
        ("I want to file a formal complaint.", True),
        ("我要投诉 the installer, he was rude", True),
        ("I'd like to complain about the engineer", True),
        ("投诉流程是什么", False),
        ("怎么投诉你们", False),
        ("how do I file a complaint?", False),
        ("What is your complaint process?", False),
    ],
)
def test_a_complaint_made_is_told_from_a_question_about_complaints(text: str, made: bool) -> None:
    assert detect_trigger(text) == HandoffReason.COMPLAINT
    assert complaint_made(text) is made


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("It's been 15 working days already and nothing. I want to speak to a human.", True),
        ("转人工", True),
        ("帮我找个真人", True),
        ("transfer me to an agent pls", True),
        ("人工几点下班", False),
        ("转人工要等多久吗", False),
        ("when can I talk to a human, what are the hours?", False),
        ("What time do the real people on support clock in?", False),
        ("要是半夜十一点多我点了转人工，会怎么样？没人理吗", False),
        ("Is there a fee to talk to a person?", False),
    ],
)
def test_a_human_asked_for_is_told_from_a_question_about_them(text: str, asked: bool) -> None:
    assert human_asked(text) is asked
