from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from desk.handoff import PRIORITY, HandoffReason, ServiceHours, expected_wait_minutes
from desk.models import Priority

HOURS = ServiceHours(time(9, 0), time(21, 0), "Asia/Shanghai")


def beijing(hour: int, minute: int = 0) -> datetime:
    # 2026-11-26 in Beijing is UTC+8.
    return datetime(2026, 11, 26, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_priorities_follow_the_escalation_table() -> None:
    assert PRIORITY[HandoffReason.SAFETY] == Priority.URGENT
    assert PRIORITY[HandoffReason.COMPLAINT] == Priority.HIGH
    assert PRIORITY[HandoffReason.LEGAL_OR_MEDIA] == Priority.HIGH
    for reason in (HandoffReason.CUSTOMER_REQUEST, HandoffReason.UNRESOLVED, HandoffReason.COMPENSATION):
        assert PRIORITY[reason] == Priority.NORMAL


@pytest.mark.parametrize(
    ("hour", "minute", "open_"), [(8, 59, False), (9, 0, True), (20, 59, True), (21, 0, False), (2, 0, False)]
)
def test_service_hours_are_nine_to_nine_beijing_time(hour: int, minute: int, open_: bool) -> None:
    assert HOURS.is_open(beijing(hour, minute)) is open_


def test_sla_runs_from_creation_in_service_hours() -> None:
    created = beijing(10, 0)
    assert HOURS.sla_due(Priority.URGENT, created) == created + timedelta(minutes=5)
    assert HOURS.sla_due(Priority.HIGH, created) == created + timedelta(minutes=15)
    assert HOURS.sla_due(Priority.NORMAL, created) == created + timedelta(minutes=30)


def test_outside_service_hours_the_sla_starts_at_nine_next_morning() -> None:
    due = HOURS.sla_due(Priority.NORMAL, beijing(22, 30))
    assert due == beijing(9, 30) + timedelta(days=1)


def test_before_opening_the_sla_starts_at_nine_the_same_morning() -> None:
    assert HOURS.sla_due(Priority.URGENT, beijing(3, 0)) == beijing(9, 5)


@pytest.mark.parametrize(("position", "agents", "expected"), [(1, 2, 6), (2, 2, 6), (3, 2, 12), (5, 1, 30)])
def test_expected_wait_counts_rounds_of_agents(position: int, agents: int, expected: int) -> None:
    assert expected_wait_minutes(position, agents, 6.0) == expected
