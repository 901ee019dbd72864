from __future__ import annotations

import pytest

from knowledge.language import detect_language, language_signal


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("扫地机保修多久", "zh"),
        ("我的order怎么还没到", "zh"),
        ("refund 到账要多久", "zh"),
        ("How long is the warranty?", "en"),
        ("where is my 包裹 please", "en"),
        ("RMA20261234", "en"),
        ("👍", "en"),
    ],
)
def test_language_of_a_message(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("LM202611260001", None),  # an order number alone says nothing of the customer's language
        ("RMA20261234", None),
        ("RV7", None),
        ("👍", None),
        ("my order LM202611260001", "en"),
        ("订单LM202611260001", "zh"),
        ("RV7 的电池", "zh"),
        ("我的order怎么还没到", "zh"),  # a word next to Chinese characters is still a word
    ],
)
def test_identifiers_carry_no_language(text: str, signal: str | None) -> None:
    assert language_signal(text) == signal
