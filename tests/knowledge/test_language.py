from __future__ import annotations

import pytest

from knowledge.language import detect_language


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
