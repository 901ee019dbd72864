"""The filters every analytics request takes (the API's and the console page's): `from` and `to`
(dates in the desk's time zone, both days included; the last 30 days by default), `channel` and
`language`, as the `Scope` the analytics queries read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from api.deps import ServicesDep
from desk.analytics import DEFAULT_DAYS, Scope

# A longer period makes the database read a lot of rows for one page view.
MAX_DAYS = 366
# Days outside these hold no conversations; at the calendar's ends the period's arithmetic overflows.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
CHANNEL = r"^[a-z0-9_-]*$"


@dataclass(frozen=True)
class Filters:
    """One request's filters: the scope, the days as asked (for file names and links), CSV or not."""

    scope: Scope
    first: date
    last: date
    csv: bool

    def filename(self, table: str) -> str:
        return f"{table}_{self.first.isoformat()}_{self.last.isoformat()}.csv"


def _invalid(field: str, message: str, value: object) -> RequestValidationError:
    """The same 422 body as FastAPI's own validation errors."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}])


def analytics_filters(
    services: ServicesDep,
    first: Annotated[
        date | None, Query(alias="from", ge=EARLIEST, le=LATEST, description="First day (YYYY-MM-DD), included.")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", ge=EARLIEST, le=LATEST, description="Last day (YYYY-MM-DD), included.")
    ] = None,
    channel: Annotated[str | None, Query(max_length=32, pattern=CHANNEL)] = None,
    language: Literal["zh", "en"] | None = None,
) -> Filters:
    analytics = services.analytics
    last = last or analytics.today()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise _invalid("from", "'from' is after 'to'", first.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise _invalid("to", f"the period is longer than {MAX_DAYS} days", last.isoformat())
    period = analytics.period(first, last)
    return Filters(Scope(period, channel or None, language), first, last, csv=False)


FiltersDep = Annotated[Filters, Depends(analytics_filters)]
