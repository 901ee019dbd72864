"""P9's expected repair completion: 5–7 working days after the device arrives at the service centre.

Working days are China's (`desk.working_days`: weekends and public holidays skipped, make-up working
days counted). Day 0 is the Beijing date of `received_at`, never counted: a device that arrives on
Friday has Monday as working day 1, one that arrives on Saturday too (Counting days). When the count
runs into a year whose holidays are not known, the dates are an estimate and the answer says so.

What each stage can say (decisions also in docs/order-lookups.md, "Decisions the handbook leaves open"):

- **created, pickup booked**: the device has not arrived, so there is no date yet; the answer says the
  5–7 working days start when it arrives at the service centre.
- **received, diagnosing, repairing**: expected between working day 5 and working day 7 after arrival.
  Once the last of those days has passed and the device is not on its way back, the repair is
  `overdue`: the answer says it is taking longer than usual instead of showing a date in the past.
- **quoted** (out of warranty, P8: nothing is done without the customer's consent): the clock is
  paused while the quote waits for the customer. No date is shown; the answer says the repair goes
  ahead once the quote is accepted and takes 5–7 working days from that acceptance (counted afresh:
  parts for a paid repair are often ordered only then, and no record says how much of the
  turnaround diagnosis used). A repair record has no acceptance time, so a repair back in
  `repairing` after a quote is still dated from arrival, and is likely shown as overdue.
- **shipped back, completed**: nothing left to estimate.
- A stage after arrival without `received_at` (a gap in the order system's data) has no date either:
  the answer gives the stage only, never a guessed date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from desk.orders.records import Repair, RepairStage
from desk.working_days import add_working_days, beijing_date

# P9: "5–7 working days after the device arrives at the service centre".
TURNAROUND_WORKING_DAYS = (5, 7)

NOT_ARRIVED = frozenset({RepairStage.CREATED, RepairStage.PICKUP_BOOKED})
IN_PROGRESS = frozenset({RepairStage.RECEIVED, RepairStage.DIAGNOSING, RepairStage.REPAIRING})
FINISHED = frozenset({RepairStage.SHIPPED_BACK, RepairStage.COMPLETED})


class EtaKind(StrEnum):
    """What the answer can say about when the repair is done."""

    NOT_ARRIVED = "not_arrived"  # no date yet: the count starts at arrival
    EXPECTED = "expected"  # earliest and latest dates
    AWAITING_APPROVAL = "awaiting_approval"  # quoted: paused until the customer accepts
    FINISHED = "finished"  # shipped back or completed: nothing to estimate
    UNKNOWN = "unknown"  # arrived, but the order system gave no arrival time


@dataclass(frozen=True)
class RepairEta:
    kind: EtaKind
    earliest: date | None = None  # Beijing dates, for EXPECTED only
    latest: date | None = None
    estimate: bool = False  # the count went through a year whose holidays are not known
    overdue: bool = False  # EXPECTED and `today` is after `latest`


def repair_eta(repair: Repair, *, today: date) -> RepairEta:
    """When the repair is expected to be done, as P9 and the module's decisions say; `today` is the
    Beijing date the answer is given on (to tell an overdue repair)."""
    if repair.stage in FINISHED:
        return RepairEta(EtaKind.FINISHED)
    if repair.stage in NOT_ARRIVED:
        return RepairEta(EtaKind.NOT_ARRIVED)
    if repair.stage is RepairStage.QUOTED:
        return RepairEta(EtaKind.AWAITING_APPROVAL)
    if repair.received_at is None:
        return RepairEta(EtaKind.UNKNOWN)
    arrived = beijing_date(repair.received_at)
    low, high = TURNAROUND_WORKING_DAYS
    earliest = add_working_days(arrived, low)
    latest = add_working_days(arrived, high)
    return RepairEta(
        EtaKind.EXPECTED,
        earliest.day,
        latest.day,
        estimate=earliest.estimate or latest.estimate,
        overdue=today > latest.day,
    )
