from __future__ import annotations

import pytest

from desk.handoff import HandoffReason
from desk.triggers import detect_trigger


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
    "text", ["退货运费谁出", "How long is the warranty?", "扫地机不充电了", "smoke-free home", "充电的时候有点热正常吗"]
)
def test_ordinary_questions_trigger_nothing(text: str) -> None:
    assert detect_trigger(text) is None


def test_safety_outranks_a_complaint_in_the_same_message() -> None:
    assert detect_trigger("我要投诉，你们的空调冒烟了") == HandoffReason.SAFETY
