"""The console's analytics page (leads): headline numbers, charts, and the tables behind them with
a CSV link each; the unanswered questions with their labelling controls (api/console/label_pages.py).
Charts are drawn by static/analytics.js from a JSON element: no inline script."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.analytics_filters import CHANNEL, Filters, analytics_filters
from api.console.label_pages import labelling_context
from api.console.templating import LeadPage, render
from api.deps import RuntimeDep, ServicesDep
from api.schemas.analytics import UnansweredGroupOut
from api.staff_route import StaffRoute
from desk.analytics import Analytics, Unanswered

router = APIRouter(prefix="/console", include_in_schema=False, route_class=StaffRoute)

CHANNELS = ("api", "web", "wechat", "wecom", "slack")
TOP_VOTED = 15
UNANSWERED_GROUPS = 20
COMMENTS = 50


def _date(value: str, problems: list[str], name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"'{name}' is not a date (YYYY-MM-DD)")
        return None


def page_filters(
    services: ServicesDep, first: str, last: str, channel: str, language: str
) -> tuple[Filters, list[str]]:
    """The page's filters; what cannot be used is reported and replaced by the default."""
    problems: list[str] = []
    if channel and not re.fullmatch(CHANNEL, channel):
        problems.append("unknown channel")
        channel = ""
    lang: Literal["zh", "en"] | None = "zh" if language == "zh" else "en" if language == "en" else None
    if language and lang is None:
        problems.append("language is zh or en")
    start, end = _date(first, problems, "from"), _date(last, problems, "to")
    try:
        return analytics_filters(services, start, end, channel or None, lang), problems
    except RequestValidationError as error:
        problems.extend(str(e.get("msg", "")) for e in error.errors())
        return analytics_filters(services, None, None, channel or None, lang), problems


def csv_links(filters: Filters) -> dict[str, str]:
    query = {"from": filters.first.isoformat(), "to": filters.last.isoformat(), "format": "csv"}
    if filters.scope.channel:
        query["channel"] = filters.scope.channel
    if filters.scope.language:
        query["language"] = filters.scope.language
    encoded = urlencode(query)
    tables = ("handoff-reasons", "sla", "csat", "faq-votes", "unanswered", "comments")
    links = {table: f"/api/v1/analytics/{table}?{encoded}" for table in tables}
    links["feedback"] = f"/api/v1/feedback?{encoded}"
    return links


def page_context(analytics: Analytics, filters: Filters) -> dict[str, Any]:
    scope = filters.scope
    summary = analytics.summary(scope)
    votes = analytics.faq_votes(scope)
    unanswered = analytics.unanswered(scope, limit=UNANSWERED_GROUPS)
    comments = analytics.comments(scope, limit=COMMENTS)
    top = votes[:TOP_VOTED]
    # Only numbers and labels the server chose or ids; rendered with `tojson`, which escapes <, >, &.
    chart_data = {
        "reasons": {
            "labels": [c.key for c in summary.handoffs.by_reason],
            "counts": [c.count for c in summary.handoffs.by_reason],
        },
        "csat": {
            "labels": [c.key for c in summary.csat.distribution],
            "counts": [c.count for c in summary.csat.distribution],
        },
        "deflection": {
            "labels": ["Resolved by the assistant", "Handed to a human"],
            "counts": [summary.deflection.deflected, summary.deflection.escalated],
        },
        "sla": {
            "labels": [row.priority.value for row in summary.sla],
            "within": [
                round(100 * row.share_within, 1) if row.share_within is not None else None for row in summary.sla
            ],
        },
        "votes": {"labels": [v.faq_id for v in top], "up": [v.up for v in top], "down": [v.down for v in top]},
    }
    return {
        "summary": summary,
        "votes": votes,
        "unanswered": unanswered,
        "groups": [UnansweredGroupOut.of(g) for g in unanswered.groups],
        "comments": comments,
        "chart_data": chart_data,
    }


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(
    request: Request,
    caller: LeadPage,
    services: ServicesDep,
    runtime: RuntimeDep,
    first: Annotated[str, Query(alias="from", max_length=32)] = "",
    last: Annotated[str, Query(alias="to", max_length=32)] = "",
    channel: Annotated[str, Query(max_length=32)] = "",
    language: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    filters, problems = page_filters(services, first, last, channel, language)
    context = await run_in_threadpool(page_context, services.analytics, filters)
    unanswered: Unanswered = context["unanswered"]
    context |= await run_in_threadpool(labelling_context, services, runtime.retriever, unanswered.groups)
    return render(
        request,
        "analytics.html",
        caller,
        status_code=422 if problems else 200,
        error="; ".join(problems) + " — showing the default instead." if problems else None,
        filters=filters,
        channels=CHANNELS,
        csv=csv_links(filters),
        **context,
    )
