"""Structured logs (structlog, JSON lines) with personal data masked before anything is written."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from knowledge.identifiers import mask_personal_data

# Every kind of personal data knowledge.identifiers masks needs an "@" (e-mail) or at least 11 digits
# (a mobile number; an ID number has 18). Values with neither skip the spaCy pass, which ran on every
# string of every log line, on the event loop (about 2 ms per turn under load).
MIN_PERSONAL_DIGITS = 11


def may_hold_personal_data(value: str) -> bool:
    return "@" in value or sum(ch.isdigit() for ch in value) >= MIN_PERSONAL_DIGITS


def masked(value: str) -> str:
    """`value` with phone numbers, ID numbers and e-mail addresses masked."""
    return mask_personal_data(value) if may_hold_personal_data(value) else value


def mask_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Phone numbers, ID numbers and e-mail addresses never reach a log line."""
    return {key: masked(value) if isinstance(value, str) else value for key, value in event.items()}


class QueryMasking(logging.Filter):
    """Query strings out of access-log lines: they carry event-stream tickets and Rasa's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…" if isinstance(arg, str) and "?" in arg else arg for arg in record.args
            )
        return True


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    # httpx logs every request URL at INFO, and Rasa's HTTP API takes its token in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Off by default (`python -m api`), but an operator may turn uvicorn's access log on.
    logging.getLogger("uvicorn.access").addFilter(QueryMasking())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            # Before the level and timestamp are added: those are ours, never personal.
            mask_processor,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )
