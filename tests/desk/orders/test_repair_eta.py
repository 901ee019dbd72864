"""P9's expected repair completion per stage: 5–7 working days after arrival, China's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from desk.orders.records import Repair, RepairStage
from desk.orders.repair_eta import EtaKind, RepairEta, repair_eta

BEIJING = ZoneInfo("Asia/Shanghai")


def repair(stage: RepairStage, received_at: datetime | None = None) -> Repair:
    return Repair("RMA20261234", "LM202611260001", "RV2406123456", stage, received_at)


@pytest.mark.parametrize("stage", [RepairStage.CREATED, RepairStage.PICKUP_BOOKED])
def test_no_date_before_the_device_arrives(stage: RepairStage) -> None:
    assert repair_eta(repair(stage), today=date(2026, 3, 2)) == RepairEta(EtaKind.NOT_ARRIVED)


@pytest.mark.parametrize("stage", [RepairStage.SHIPPED_BACK, RepairStage.COMPLETED])
def test_nothing_to_estimate_once_it_is_done(stage: RepairStage) -> None:
    received = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
    assert repair_eta(repair(stage, received), today=date(2026, 3, 20)) == RepairEta(EtaKind.FINISHED)


def test_a_quote_waiting_for_the_customer_pauses_the_clock() -> None:
    received = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
    assert repair_eta(repair(RepairStage.QUOTED, received), today=date(2026, 3, 20)) == RepairEta(
        EtaKind.AWAITING_APPROVAL
    )


@pytest.mark.parametrize("stage", [RepairStage.RECEIVED, RepairStage.DIAGNOSING, RepairStage.REPAIRING])
def test_five_to_seven_working_days_after_arrival(stage: RepairStage) -> None:
    # Arrived Monday 2 March 2026: working days 5 and 7 are Monday 9 and Wednesday 11 March.
    eta = repair_eta(repair(stage, datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)), today=date(2026, 3, 3))
    assert eta == RepairEta(EtaKind.EXPECTED, date(2026, 3, 9), date(2026, 3, 11), estimate=False, overdue=False)


def test_arrival_on_a_saturday_counts_from_monday() -> None:
    eta = repair_eta(repair(RepairStage.RECEIVED, datetime(2026, 3, 7, 11, 0, tzinfo=BEIJING)), today=date(2026, 3, 7))
    assert (eta.earliest, eta.latest) == (date(2026, 3, 13), date(2026, 3, 17))


def test_arrival_is_the_beijing_date() -> None:
    # 17:00 UTC on Friday 6 March is 01:00 on Saturday 7 March in Beijing.
    eta = repair_eta(repair(RepairStage.RECEIVED, datetime(2026, 3, 6, 17, 0, tzinfo=UTC)), today=date(2026, 3, 7))
    assert (eta.earliest, eta.latest) == (date(2026, 3, 13), date(2026, 3, 17))


def test_the_national_day_week_and_its_make_up_saturday() -> None:
    # Arrived Tuesday 29 September 2026: 30 September, (1–7 October off), 8, 9, 10 (make-up Saturday),
    # 12, 13, 14 October.
    eta = repair_eta(
        repair(RepairStage.DIAGNOSING, datetime(2026, 9, 29, 15, 0, tzinfo=BEIJING)), today=date(2026, 10, 8)
    )
    assert eta == RepairEta(EtaKind.EXPECTED, date(2026, 10, 12), date(2026, 10, 14), estimate=False)


def test_a_count_into_an_unknown_year_is_an_estimate() -> None:
    # Arrived Monday 28 December 2026: the count runs into 2027, whose holidays are not known.
    eta = repair_eta(
        repair(RepairStage.RECEIVED, datetime(2026, 12, 28, 9, 0, tzinfo=BEIJING)), today=date(2026, 12, 28)
    )
    assert eta == RepairEta(EtaKind.EXPECTED, date(2027, 1, 4), date(2027, 1, 6), estimate=True)


def test_overdue_after_the_last_expected_day() -> None:
    received = repair(RepairStage.REPAIRING, datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING))
    assert not repair_eta(received, today=date(2026, 3, 11)).overdue
    assert repair_eta(received, today=date(2026, 3, 12)).overdue


def test_no_guessed_date_when_the_arrival_time_is_missing() -> None:
    assert repair_eta(repair(RepairStage.DIAGNOSING, None), today=date(2026, 3, 2)) == RepairEta(EtaKind.UNKNOWN)
