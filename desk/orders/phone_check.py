"""P19's phone check and its limits, kept in the desk database (`order_lookups`) so that they hold
across conversations, channels, processes and restarts.

Nothing about an order is shown before the customer gives the last 4 digits of its phone number. A
wrong number, an unknown order and a wrong phone are one and the same failure: each is recorded
against the conversation and against the number the customer gave, so neither the answer nor the
limits tell whether an order exists. After 3 failures in a conversation, or 5 on one number within
24 hours from anywhere, no more lookups are made there (the customer is offered a human). A passed
check holds for that number in that conversation, and keeps the case as it was shown (`case_of`):
the escalation of the conversation shows agents the orders and repairs its customer proved theirs.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.models import OrderLookup, utcnow

CONVERSATION_FAILURES = 3
NUMBER_FAILURES = 5
NUMBER_WINDOW = timedelta(hours=24)
DIGITS = 4


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # wrong phone, unknown number: told apart from nothing
    LOCKED = "locked"  # the limits are reached: no lookup was made, a human is offered


@dataclass(frozen=True)
class Standing:
    verified: bool  # passed the check for the number in this conversation
    locked: bool  # P19's limits reached: no lookup of it here


@dataclass(frozen=True)
class CheckResult:
    outcome: CheckOutcome
    tries_left: int  # in this conversation


def last_digits(text: str) -> str | None:
    """The 4 digits a customer gave for the check: a lone group of 4 digits ("8000", "尾号 8000"), or
    the end of a whole phone number ("138 0013 8000"); None when the message holds neither."""
    groups: list[str] = re.findall(r"[0-9]+", unicodedata.normalize("NFKC", text))
    if len(groups) == 1 and len(groups[0]) == DIGITS:
        return groups[0]
    joined = "".join(groups)
    if 11 <= len(joined) <= 13 and re.fullmatch(r"(86)?1[3-9][0-9]{9}", joined):
        return joined[-DIGITS:]
    return None


def phone_matches(phone_on_file: str, digits: str) -> bool:
    """Whether `digits` are the last 4 of the order's phone, compared in constant time."""
    on_file = re.sub(r"[^0-9]", "", phone_on_file)[-DIGITS:]
    return len(on_file) == DIGITS and hmac.compare_digest(on_file.encode(), digits.encode())


class PhoneCheck:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def standing(self, conversation_id: str, number: str) -> Standing:
        """Where this conversation stands with `number`: checked already, or past P19's limits."""
        with self._sessions() as session:
            if self._passed(session, conversation_id, number) is not None:
                return Standing(verified=True, locked=False)
            locked = self._tries_left(session, conversation_id) == 0 or (
                self._number_failures(session, number) >= NUMBER_FAILURES
            )
            return Standing(verified=False, locked=locked)

    def verified(self, conversation_id: str, number: str) -> bool:
        """Whether the customer of this conversation passed the check for `number`."""
        return self.standing(conversation_id, number).verified

    def locked(self, conversation_id: str, number: str) -> bool:
        """Whether no more lookups of `number` may be made in this conversation (P19's limits)."""
        return self.standing(conversation_id, number).locked

    def record(
        self, conversation_id: str, number: str, *, passed: bool, case: dict[str, Any] | None = None
    ) -> CheckResult:
        """Store one check: passed (with the case as shown) or failed; a failure that reaches a limit
        is LOCKED."""
        with self._sessions() as session:
            earlier = self._passed(session, conversation_id, number) if passed else None
            if earlier is not None:  # shown again: the case as it is now, no second row
                earlier.case = case
            else:
                session.add(
                    OrderLookup(
                        conversation_id=conversation_id,
                        number=number,
                        passed=passed,
                        case=case if passed else None,
                        created_at=self._clock(),
                    )
                )
            session.commit()
            left = self._tries_left(session, conversation_id)
            if passed:
                return CheckResult(CheckOutcome.PASSED, left)
            if left == 0 or self._number_failures(session, number) >= NUMBER_FAILURES:
                return CheckResult(CheckOutcome.LOCKED, left)
            return CheckResult(CheckOutcome.FAILED, left)

    def case(self, conversation_id: str, number: str) -> dict[str, Any] | None:
        """What the passed check of `number` in this conversation showed (None: not passed)."""
        with self._sessions() as session:
            row = self._passed(session, conversation_id, number)
            return row.case if row is not None else None

    def case_of(self, conversation_id: str) -> list[dict[str, Any]]:
        """What the conversation's customer was shown after passing the check, latest first, one per
        number."""
        with self._sessions() as session:
            rows = session.scalars(
                select(OrderLookup)
                .where(OrderLookup.conversation_id == conversation_id, OrderLookup.passed.is_(True))
                .order_by(OrderLookup.id.desc())
            ).all()
        seen: set[str] = set()
        cases = []
        for row in rows:
            if row.number not in seen and row.case:
                seen.add(row.number)
                cases.append(row.case)
        return cases

    def _passed(self, session: Session, conversation_id: str, number: str) -> OrderLookup | None:
        return session.scalar(
            select(OrderLookup)
            .where(
                OrderLookup.conversation_id == conversation_id,
                OrderLookup.number == number,
                OrderLookup.passed.is_(True),
            )
            .order_by(OrderLookup.id.desc())
            .limit(1)
        )

    def _tries_left(self, session: Session, conversation_id: str) -> int:
        failures = session.scalar(
            select(func.count())
            .select_from(OrderLookup)
            .where(OrderLookup.conversation_id == conversation_id, OrderLookup.passed.is_(False))
        )
        return max(CONVERSATION_FAILURES - int(failures or 0), 0)

    def _number_failures(self, session: Session, number: str) -> int:
        since = self._clock() - NUMBER_WINDOW
        failures = session.scalar(
            select(func.count())
            .select_from(OrderLookup)
            .where(OrderLookup.number == number, OrderLookup.passed.is_(False), OrderLookup.created_at >= since)
        )
        return int(failures or 0)
