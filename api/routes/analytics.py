"""Analytics API for leads: headline numbers, and one endpoint per table, each also as CSV.

Every endpoint takes the same filters: `from` and `to` (dates in the desk's time zone, both days
included; the last 30 days by default), `channel` and `language`. Table endpoints return CSV with
`format=csv`, cells that a spreadsheet would run as a formula neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.analytics_filters import Filters, FiltersDep
from api.auth import LeadDep
from api.deps import ServicesDep
from api.schemas.analytics import (
    CommentsOut,
    CsatOut,
    FaqVotesOut,
    FeedbackOut,
    HandoffsOut,
    SlaOut,
    SummaryOut,
    UnansweredGroupOut,
    UnansweredOut,
)
from api.schemas.errors import ErrorOut
from api.staff_route import StaffRoute
from desk.servqual import Dimension

router = APIRouter(prefix="/api/v1", tags=["analytics"], route_class=StaffRoute)

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Signed in without the lead role."},
    422: {"model": ErrorOut, "description": "A filter is not valid (a bad date, `from` after `to`, …)."},
}
CSV_TOO: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    200: {"content": {"text/csv": {}}, "description": "JSON, or with `format=csv` a CSV attachment."},
}
FAQ_ID = r"^[a-z0-9][a-z0-9_-]{0,95}$"
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Filters -----------------------------------------------------------------------------------------


def table_filters(
    filters: FiltersDep,
    output: Annotated[Literal["json", "csv"], Query(alias="format", description="csv: a CSV attachment.")] = "json",
) -> Filters:
    return replace(filters, csv=output == "csv")


TableFiltersDep = Annotated[Filters, Depends(table_filters)]


# CSV ---------------------------------------------------------------------------------------------


def csv_cell(value: object) -> str | int | float:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, Enum):
        return round(value, 4) if isinstance(value, float) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}={v}" for k, v in value.items())
    text = str(value)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def csv_response(filters: Filters, table: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a byte-order mark, so that Excel reads the Chinese as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filters.filename(table)}"'},
    )


# Endpoints ---------------------------------------------------------------------------------------


@router.get("/analytics/summary", response_model=SummaryOut, responses=REFUSALS)
async def summary(caller: LeadDep, services: ServicesDep, filters: FiltersDep) -> SummaryOut:
    """The headline numbers: deflection, handoff reasons and priorities, SLA per priority, CSAT, votes."""
    return SummaryOut.of(await run_in_threadpool(services.analytics.summary, filters.scope), filters)


@router.get("/analytics/handoff-reasons", response_model=HandoffsOut, responses=CSV_TOO)
async def handoff_reasons(caller: LeadDep, services: ServicesDep, filters: TableFiltersDep) -> HandoffsOut | Response:
    """Escalations opened in the period, per reason and per priority."""
    stats = await run_in_threadpool(services.analytics.handoffs, filters.scope)
    if filters.csv:
        rows = [("reason", c.key, c.count, c.share) for c in stats.by_reason]
        rows += [("priority", c.key, c.count, c.share) for c in stats.by_priority]
        return csv_response(filters, "handoff_reasons", ("group", "key", "count", "share"), rows)
    return HandoffsOut.model_validate(stats)


@router.get("/analytics/sla", response_model=list[SlaOut], responses=CSV_TOO)
async def sla(caller: LeadDep, services: ServicesDep, filters: TableFiltersDep) -> list[SlaOut] | Response:
    """First-response and resolution times per priority against the handbook's targets (seconds)."""
    out = [SlaOut.model_validate(r) for r in await run_in_threadpool(services.analytics.sla, filters.scope)]
    if filters.csv:
        fields = list(SlaOut.model_fields)
        return csv_response(filters, "sla", fields, ([getattr(r, f) for f in fields] for r in out))
    return out


@router.get("/analytics/csat", response_model=CsatOut, responses=CSV_TOO)
async def csat(caller: LeadDep, services: ServicesDep, filters: TableFiltersDep) -> CsatOut | Response:
    """CSAT ratings (1–5): average, share of 4–5, and how many of each score."""
    stats = await run_in_threadpool(services.analytics.csat, filters.scope)
    if filters.csv:
        rows = [(c.key, c.count, c.share) for c in stats.distribution]
        return csv_response(filters, "csat", ("score", "count", "share"), rows)
    return CsatOut.model_validate(stats)


@router.get("/analytics/faq-votes", response_model=list[FaqVotesOut], responses=CSV_TOO)
async def faq_votes(caller: LeadDep, services: ServicesDep, filters: TableFiltersDep) -> list[FaqVotesOut] | Response:
    """👍/👎 per FAQ entry, the most voted first, with the share of 👎."""
    votes = await run_in_threadpool(services.analytics.faq_votes, filters.scope)
    if filters.csv:
        rows = [(v.faq_id, v.up, v.down, v.total, v.down_rate) for v in votes]
        return csv_response(filters, "faq_votes", ("faq_id", "up", "down", "total", "down_rate"), rows)
    return [FaqVotesOut.model_validate(v) for v in votes]


@router.get("/analytics/unanswered", response_model=UnansweredOut, responses=CSV_TOO)
async def unanswered(
    caller: LeadDep,
    services: ServicesDep,
    filters: TableFiltersDep,
    min_confidence: Annotated[
        float | None, Query(ge=0, le=1, description="Answers below this confidence count (default 0.6).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> UnansweredOut | Response:
    """Questions the assistant fell back on, asked to clarify, or answered with low confidence, grouped
    by similarity, the most asked first; each with a link that drafts an FAQ entry from it."""
    result = UnansweredOut.of(
        await run_in_threadpool(
            lambda: services.analytics.unanswered(filters.scope, min_confidence=min_confidence, limit=limit)
        )
    )
    if filters.csv:
        fields = list(UnansweredGroupOut.model_fields)
        rows = [[getattr(g, f) for f in fields] for g in result.groups]
        return csv_response(filters, "unanswered", fields, rows)
    return result


@router.get("/analytics/comments", response_model=CommentsOut, responses=CSV_TOO)
async def comments(
    caller: LeadDep,
    services: ServicesDep,
    filters: TableFiltersDep,
    dimension: Dimension | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> CommentsOut | Response:
    """Customer comments tagged with the SERVQUAL dimensions they touch, and counts per dimension."""
    stats = await run_in_threadpool(
        lambda: services.analytics.comments(filters.scope, dimension=dimension, limit=limit)
    )
    if filters.csv:
        header = ("created_at", "conversation_id", "channel", "language", "dimensions", "comment")
        rows = [
            (c.created_at, c.conversation_id, c.channel, c.language, c.dimensions, c.comment) for c in stats.comments
        ]
        return csv_response(filters, "comments", header, rows)
    return CommentsOut.model_validate(stats)


@router.get("/feedback", response_model=list[FeedbackOut], responses=CSV_TOO)
async def feedback(
    caller: LeadDep,
    services: ServicesDep,
    filters: TableFiltersDep,
    kind: Literal["vote", "csat", "comment"] | None = None,
    faq_id: Annotated[str | None, Query(max_length=96, pattern=FAQ_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FeedbackOut] | Response:
    """Feedback rows (votes, CSAT ratings, comments), the most recent first."""
    rows = await run_in_threadpool(
        lambda: services.analytics.feedback(filters.scope, kind=kind, faq_id=faq_id, limit=limit, offset=offset)
    )
    out = [FeedbackOut.model_validate(r) for r in rows]
    if filters.csv:
        fields = list(FeedbackOut.model_fields)
        return csv_response(filters, "feedback", fields, ([getattr(r, f) for f in fields] for r in out))
    return out
