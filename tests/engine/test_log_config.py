"""Log lines never carry personal data or the Rasa token."""

from __future__ import annotations

import logging

import pytest
import structlog

from engine.log_config import configure_logging


def test_personal_data_is_masked_in_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    try:
        structlog.get_logger("test").info(
            "customer_message", text="电话13812345678 邮箱 li@example.com 订单LM202611260001"
        )
        line = capsys.readouterr().out
        assert "13812345678" not in line and "li@example.com" not in line
        assert "138******78" in line and "LM202611260001" in line
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    finally:
        structlog.reset_defaults()


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+86-13812345678",
        "电话 138-1234-5678",
        "my phone is 138 1234 5678",
        "身份证11010519491231002X",
        "id 110105194912310021 thanks",
        "li@example.com",
        "写信到 a.b@example.com.cn",
    ],
)
def test_the_quick_check_lets_through_everything_the_masker_masks(text: str) -> None:
    from engine.log_config import masked, may_hold_personal_data
    from knowledge.identifiers import PERSONAL, find_identifiers, mask_personal_data

    assert any(found.label in PERSONAL for found in find_identifiers(text)), "a sample the masker should mask"
    assert may_hold_personal_data(text)
    assert masked(text) == mask_personal_data(text) != text


@pytest.mark.parametrize("text", ["你好", "How long is the warranty?", "订单LM202611260001", "bench-p-04f3c3"])
def test_values_without_personal_data_are_kept(text: str) -> None:
    from engine.log_config import masked

    assert masked(text) == text
