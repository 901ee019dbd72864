"""Handoff rules from the handbook's escalation table: reasons, priorities, SLAs, service hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from desk.models import Priority


class HandoffReason(StrEnum):
    SAFETY = "safety"
    COMPLAINT = "complaint"
    LEGAL_OR_MEDIA = "legal_or_media"
    CUSTOMER_REQUEST = "customer_request"
    UNRESOLVED = "unresolved"
    COMPENSATION = "compensation"
    # P3: tracking has not moved for 72 hours; agents answer within 48 hours.
    PARCEL_INVESTIGATION = "parcel_investigation"


PRIORITY: dict[HandoffReason, Priority] = {
    HandoffReason.SAFETY: Priority.URGENT,
    HandoffReason.COMPLAINT: Priority.HIGH,
    HandoffReason.LEGAL_OR_MEDIA: Priority.HIGH,
    HandoffReason.CUSTOMER_REQUEST: Priority.NORMAL,
    HandoffReason.UNRESOLVED: Priority.NORMAL,
    HandoffReason.COMPENSATION: Priority.NORMAL,
    HandoffReason.PARCEL_INVESTIGATION: Priority.NORMAL,
}

FIRST_RESPONSE: dict[Priority, timedelta] = {
    Priority.URGENT: timedelta(minutes=5),
    Priority.HIGH: timedelta(minutes=15),
    Priority.NORMAL: timedelta(minutes=30),
}

# Queue order: most urgent first.
PRIORITY_RANK: dict[Priority, int] = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}

# The key of the message metadata by which the turn service tells `action_handoff` whether this turn
# may open a new escalation (False: the conversation or its client has opened as many as it may
# lately, engine/escalation_budget.py). Set on every turn by the turn service, over what a client sent.
MAY_ESCALATE = "may_escalate"


@dataclass(frozen=True)
class ServiceHours:
    """Handbook P1: agents work every day between `opens` and `closes`, local time."""

    opens: time
    closes: time
    timezone: str

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone)).time()
        return self.opens <= local < self.closes

    def next_opening(self, at: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        opening = local.replace(hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0)
        if local.time() >= self.opens:
            opening += timedelta(days=1)
        return opening

    def sla_due(self, priority: Priority, created_at: datetime) -> datetime:
        """The first-response target runs in service hours; outside them it starts at the next opening."""
        start = created_at if self.is_open(created_at) else self.next_opening(created_at)
        return start + FIRST_RESPONSE[priority]


@dataclass(frozen=True)
class QueuePlace:
    position: int
    expected_wait_minutes: int
    in_service_hours: bool
    opens_at: datetime | None


def expected_wait_minutes(position: int, agents_on_duty: int, minutes_per_customer: float) -> int:
    """Customers ahead, served `agents_on_duty` at a time, each taking `minutes_per_customer`."""
    rounds = -(-position // max(agents_on_duty, 1))
    return max(1, round(rounds * minutes_per_customer))
