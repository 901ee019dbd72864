"""Repair ticket numbers for repairs the desk opens (handbook P9: RMA + 8 digits).

`RMA` + the year (Beijing time) + a 4-digit sequence of that year: `RMA20260001`, `RMA20260002`, …
The sequence lives in `rma_counters`, one row per year, taken by an update inside the caller's
transaction: the database hands each number out once (PostgreSQL's row lock, SQLite's write lock),
and a transaction that fails gives its number back. A number the built-in order store already holds
as a repair ticket is skipped. The demo set's `RMA99…` cannot be reached (years start with 20), and
9,999 a year is the limit (`RmaExhausted` after that).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from desk.casework import CaseworkError
from desk.models import RmaCounter, StoredRepair
from desk.working_days import BEIJING

RMA_PER_YEAR = 9999


class RmaExhausted(CaseworkError):
    """Every repair ticket number of the year has been handed out."""


def next_rma_number(session: Session, now: datetime) -> str:
    """The next free number of `now`'s year, taken in `session`'s transaction (the caller commits)."""
    year = now.astimezone(BEIJING).year
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(RmaCounter).values(year=year, last=0).on_conflict_do_nothing(index_elements=["year"])
    )
    while True:
        session.execute(update(RmaCounter).where(RmaCounter.year == year).values(last=RmaCounter.last + 1))
        last = session.scalar(select(RmaCounter.last).where(RmaCounter.year == year)) or 0
        if last > RMA_PER_YEAR:
            session.rollback()
            raise RmaExhausted(f"all {RMA_PER_YEAR} repair ticket numbers of {year} have been handed out")
        number = f"RMA{year:04d}{last:04d}"
        if session.scalar(select(StoredRepair.rma_number).where(StoredRepair.rma_number == number)) is None:
            return number
