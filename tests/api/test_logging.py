"""Log lines never carry personal data or the Rasa token."""

from __future__ import annotations

import logging

import pytest
import structlog

from api.log_config import configure_logging


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
