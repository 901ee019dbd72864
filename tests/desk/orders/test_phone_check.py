from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.orders.phone_check import (
    CONVERSATION_FAILURES,
    NUMBER_FAILURES,
    CheckOutcome,
    PhoneCheck,
    last_digits,
    phone_matches,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("8000", "8000"),
        ("尾号8000", "8000"),
        ("后四位是 0921", "0921"),
        ("the last four are 5566", "5566"),
        ("13800138000", "8000"),
        ("138 0013 8000", "8000"),
        ("+86 138-0013-8000", "8000"),
        ("８０００", "8000"),  # full width
        ("٨٠٠٠", None),  # other scripts' digits are not taken
        ("800", None),
        ("80001", None),
        ("1234 5678", None),  # two groups: which one? ask again
        ("no idea", None),
    ],
)
def test_the_digits_a_customer_gives(text: str, digits: str | None) -> None:
    assert last_digits(text) == digits


def test_phone_matches_the_last_four_digits_only() -> None:
    assert phone_matches("+86 138-0013-8000", "8000")
    assert not phone_matches("13800138000", "0013")
    assert not phone_matches("", "8000")


@pytest.fixture
def check(sessions: sessionmaker[Session]) -> tuple[PhoneCheck, Clock]:
    clock = Clock()
    return PhoneCheck(sessions, clock), clock


def test_a_passed_check_holds_for_that_number_in_that_conversation_only(check: tuple[PhoneCheck, Clock]) -> None:
    checks, _ = check
    result = checks.record("c1", "LM202611260001", passed=True, case={"number": "LM202611260001"})
    assert result.outcome is CheckOutcome.PASSED
    assert checks.verified("c1", "LM202611260001")
    assert not checks.verified("c2", "LM202611260001")
    assert not checks.verified("c1", "LM202611260002")
    assert checks.case_of("c1") == [{"number": "LM202611260001"}]
    assert checks.case_of("c2") == []


def test_three_failures_lock_the_conversation_for_every_number(check: tuple[PhoneCheck, Clock]) -> None:
    checks, _ = check
    outcomes = [checks.record("c1", f"LM20261126000{i}", passed=False).outcome for i in range(CONVERSATION_FAILURES)]
    assert outcomes == [CheckOutcome.FAILED] * (CONVERSATION_FAILURES - 1) + [CheckOutcome.LOCKED]
    assert checks.locked("c1", "LM202611269999")
    assert not checks.locked("c2", "LM202611269999")


def test_five_failures_on_one_number_lock_it_everywhere_for_24_hours(check: tuple[PhoneCheck, Clock]) -> None:
    checks, clock = check
    number = "LM202611260001"
    results = [checks.record(f"c{i}", number, passed=False) for i in range(NUMBER_FAILURES)]
    assert [r.outcome for r in results][-1] is CheckOutcome.LOCKED
    assert all(r.outcome is CheckOutcome.FAILED for r in results[:-1])
    assert checks.locked("somebody-new", number)
    assert not checks.locked("somebody-new", "LM202611260002")
    clock.now += timedelta(hours=24, seconds=1)
    assert not checks.locked("somebody-new", number)


def test_an_unknown_number_counts_like_a_wrong_phone(check: tuple[PhoneCheck, Clock]) -> None:
    """The ledger does not know or care whether the order exists: the limits cannot tell either."""
    checks, _ = check
    for i in range(NUMBER_FAILURES):
        checks.record(f"c{i}", "LM000000000000", passed=False)
    assert checks.locked("another", "LM000000000000")
