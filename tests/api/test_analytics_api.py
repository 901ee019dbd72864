"""The analytics API and console page: numbers on known data, CSV export, roles, bad filters, escaping."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.database import session_factory
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook
from desk.handoff import HandoffReason
from desk.models import Role
from desk.settings import DeskSettings
from desk.turns import BotMessage, TurnRecord
from desk.users import Staff
from tests.api.staff import create_user, services_of, sign_in, token_for

SCRIPT = "<script>alert(1)</script>"
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}
TABLES = ("handoff-reasons", "sla", "csat", "faq-votes", "unanswered", "comments")
ENDPOINTS = ["/api/v1/analytics/summary", *(f"/api/v1/analytics/{t}" for t in TABLES), "/api/v1/feedback"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """October 2026, UTC (02:00 UTC is 10:00 in Shanghai, in service hours)."""
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = at(1, 0)

    def __call__(self) -> datetime:
        return self.now


def seed(client: TestClient) -> None:
    """Three conversations in October: one the bot handled, a complaint answered in 5 minutes and
    resolved, a request for a human nobody answered. Votes, ratings, comments; formula-like text."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    sessions = session_factory(runtime.database_url)
    clock = Clock()
    store = ConversationStore(sessions, clock)
    escalations = EscalationDesk(sessions, DeskSettings(), clock)
    casework = Casework(sessions, AuditLog(sessions, clock), clock)
    feedback = FeedbackBook(sessions, clock)
    agent = Staff.of(create_user(client, "agent.wang", Role.AGENT))

    def ask(
        conversation: str, text: str, when: datetime, outcome: str, confidence: float | None = None, **kw: str
    ) -> None:
        clock.now = when
        language = kw.get("language", "en")
        inbound = store.record_inbound(
            conversation, text=text, payload=None, language=language, channel=kw.get("channel", "web")
        )
        store.record_reply(
            conversation,
            inbound.message.id,
            [BotMessage("…")],
            TurnRecord(outcome, kw.get("faq_id"), confidence),
            language=language,
            latency_ms=10.0,
        )

    ask("bot-only", "where is my parcel", at(2, 2), "answered", 0.93, faq_id="p03-tracking")
    ask("bot-only", SCRIPT, at(2, 3), "fallback")
    ask("bot-only", '=HYPERLINK("http://evil")', at(2, 4), "fallback")
    ask("complaint", "我要投诉", at(3, 2), "handoff", language="zh", channel="wechat")
    clock.now = at(3, 2)
    complaint = escalations.open("complaint", HandoffReason.COMPLAINT, channel="wechat", language="zh").escalation.id
    clock.now = at(3, 2, 5)
    casework.claim(complaint, agent)
    casework.reply(complaint, agent, "您好，我来处理。")
    clock.now = at(3, 6)
    casework.resolve(complaint, agent, "answered")
    ask("human", "I want a human", at(4, 2), "handoff")
    clock.now = at(4, 2)
    escalations.open("human", HandoffReason.CUSTOMER_REQUEST, channel="web", language="en")

    def give(conversation: str, when: datetime, channel: str = "web", language: str = "en", **kw: Any) -> None:
        clock.now = when
        feedback.record(conversation, channel=channel, language=language, **kw)

    give("complaint", at(3, 7), "wechat", "zh", kind="csat", score=5)
    give("bot-only", at(2, 5), kind="csat", score=2)
    give("bot-only", at(2, 5), kind="vote", vote="down", faq_id="p03-tracking")
    give("bot-only", at(2, 5), kind="vote", vote="up", faq_id="p03-tracking")
    give("complaint", at(3, 7), "wechat", "zh", kind="comment", comment="客服态度很好，回复快")
    give("bot-only", at(2, 6), kind="comment", comment=SCRIPT)
    give("bot-only", at(2, 6), kind="comment", comment="=cmd()")
    # Outside the period: counted nowhere.
    give("bot-only", at(1, 0) - timedelta(days=2), kind="csat", score=1)


@pytest.fixture
def lead(client: TestClient) -> dict[str, str]:
    seed(client)
    return token_for(client, Role.LEAD, "lead.zhao")


def get(client: TestClient, path: str, headers: dict[str, str], **params: str) -> Any:
    response = client.get(path, params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="[a-z_]+_2026-10-01_2026-10-31\.csv"', disposition), disposition
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_anonymous_callers_get_401_and_agents_403(client: TestClient) -> None:
    agent = token_for(client, Role.AGENT)
    for path in ENDPOINTS:
        anonymous = client.get(path)
        assert anonymous.status_code == 401, path
        assert anonymous.json()["error"]["code"] == "not_signed_in"
        refused = client.get(path, headers=agent)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "forbidden"
    page = client.get("/console/analytics", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login?next=/console/analytics"


def test_an_agent_signed_in_to_the_console_is_refused_the_page(client: TestClient) -> None:
    create_user(client, "agent.chen", Role.AGENT)
    sign_in(client, "agent.chen")
    page = client.get("/console/analytics")
    assert page.status_code == 403 and "lead" in page.text


def test_summary_numbers(client: TestClient, lead: dict[str, str]) -> None:
    body = get(client, "/api/v1/analytics/summary", lead)
    assert body["scope"]["from"] == "2026-10-01" and body["scope"]["to"] == "2026-10-31"
    assert body["scope"]["start"].startswith("2026-09-30T16:00:00")
    assert body["deflection"] == {"conversations": 3, "escalated": 2, "deflected": 1, "rate": pytest.approx(1 / 3)}
    assert (body["turns"], body["unanswered"]) == (5, 2)
    assert {c["key"]: c["count"] for c in body["handoffs"]["by_reason"]} == {"complaint": 1, "customer_request": 1}
    assert [(c["key"], c["count"]) for c in body["handoffs"]["by_priority"]] == [
        ("urgent", 0),
        ("high", 1),
        ("normal", 1),
    ]
    assert body["csat"]["responses"] == 2 and body["csat"]["average"] == pytest.approx(3.5)
    assert [c["count"] for c in body["csat"]["distribution"]] == [0, 1, 0, 0, 1]
    assert body["votes"] == {"up": 1, "down": 1, "down_rate": 0.5}
    assert body["comments"] == 3
    sla = {row["priority"]: row for row in body["sla"]}
    assert sla["high"]["within_target"] == 1 and sla["high"]["first_response_median_seconds"] == 300
    assert sla["high"]["resolution_median_seconds"] == 4 * 3600
    assert (sla["high"]["resolution_targeted"], sla["high"]["resolution_within_target"]) == (1, 1)
    # Nobody answered the request for a human, long past its 30 minutes.
    assert (sla["normal"]["breached"], sla["normal"]["share_within"]) == (1, 0.0)
    web = get(client, "/api/v1/analytics/summary", lead, channel="web")
    assert web["deflection"]["conversations"] == 2 and web["csat"]["responses"] == 1
    chinese = get(client, "/api/v1/analytics/summary", lead, language="zh")
    assert chinese["deflection"]["rate"] == 0.0 and chinese["comments"] == 1


def test_table_endpoints_in_json(client: TestClient, lead: dict[str, str]) -> None:
    votes = get(client, "/api/v1/analytics/faq-votes", lead)
    assert votes == [{"faq_id": "p03-tracking", "up": 1, "down": 1, "total": 2, "down_rate": 0.5}]
    unanswered = get(client, "/api/v1/analytics/unanswered", lead)
    assert unanswered["questions"] == 2 and unanswered["min_confidence"] == 0.6
    questions = {g["representative"]: g for g in unanswered["groups"]}
    assert set(questions) == {SCRIPT, '=HYPERLINK("http://evil")'}
    link = urlsplit(questions[SCRIPT]["create_faq_url"])
    assert link.path == "/console/knowledge/new" and parse_qs(link.query) == {"q": [SCRIPT]}
    # A stricter threshold keeps answers at 0.93 out; a laxer one lets them in.
    assert get(client, "/api/v1/analytics/unanswered", lead, min_confidence="0.95")["questions"] == 3
    comments = get(client, "/api/v1/analytics/comments", lead)
    assert (comments["total"], comments["untagged"]) == (3, 2)
    tagged = next(c for c in comments["comments"] if c["dimensions"])
    assert tagged["dimensions"] == ["responsiveness", "empathy"]
    empathy = get(client, "/api/v1/analytics/comments", lead, dimension="empathy")
    assert [c["comment"] for c in empathy["comments"]] == ["客服态度很好，回复快"]
    csat = get(client, "/api/v1/analytics/csat", lead)
    assert csat["satisfied_share"] == 0.5
    reasons = get(client, "/api/v1/analytics/handoff-reasons", lead)
    assert reasons["total"] == 2
    assert len(get(client, "/api/v1/analytics/sla", lead)) == 3


def test_feedback_list_filters(client: TestClient, lead: dict[str, str]) -> None:
    rows = get(client, "/api/v1/feedback", lead)
    assert len(rows) == 7
    assert [r["kind"] for r in get(client, "/api/v1/feedback", lead, kind="csat")] == ["csat", "csat"]
    assert {r["vote"] for r in get(client, "/api/v1/feedback", lead, faq_id="p03-tracking")} == {"up", "down"}
    assert len(get(client, "/api/v1/feedback", lead, limit="2", offset="6")) == 1
    assert len(get(client, "/api/v1/feedback", lead, language="zh")) == 2


def test_every_table_exports_csv(client: TestClient, lead: dict[str, str]) -> None:
    for table in TABLES:
        rows = csv_rows(client.get(f"/api/v1/analytics/{table}", params={**PERIOD, "format": "csv"}, headers=lead))
        assert len(rows) >= 2, table
    votes = csv_rows(client.get("/api/v1/analytics/faq-votes", params={**PERIOD, "format": "csv"}, headers=lead))
    assert votes == [["faq_id", "up", "down", "total", "down_rate"], ["p03-tracking", "1", "1", "2", "0.5"]]
    csat = csv_rows(client.get("/api/v1/analytics/csat", params={**PERIOD, "format": "csv"}, headers=lead))
    assert csat[0] == ["score", "count", "share"] and csat[2] == ["2", "1", "0.5"]
    feedback = csv_rows(client.get("/api/v1/feedback", params={**PERIOD, "format": "csv"}, headers=lead))
    assert feedback[0][:3] == ["id", "conversation_id", "kind"] and len(feedback) == 8


def test_csv_neutralises_formulas(client: TestClient, lead: dict[str, str]) -> None:
    comments = csv_rows(client.get("/api/v1/analytics/comments", params={**PERIOD, "format": "csv"}, headers=lead))
    column = comments[0].index("comment")
    texts = [row[column] for row in comments[1:]]
    assert "'=cmd()" in texts and "=cmd()" not in texts
    assert SCRIPT in texts  # not a formula: kept as it is (CSV is data, not markup)
    unanswered = csv_rows(client.get("/api/v1/analytics/unanswered", params={**PERIOD, "format": "csv"}, headers=lead))
    cells = [cell for row in unanswered[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in unanswered + comments for cell in row)


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01"},
        {"from": "yesterday"},
        {"to": "2026-02-30"},
        {"from": "2026-10-31", "to": "2026-10-01"},
        {"from": "2020-01-01", "to": "2026-10-01"},
        {"language": "fr"},
        {"channel": "Web Chat!"},
        {"format": "xml"},
        {"to": "0001-01-01"},  # found by the fuzzer: the default period's start overflowed (500)
        {"from": "9999-12-31"},
    ],
    ids=["month", "word", "day", "from-after-to", "too-long", "language", "channel", "format", "year-1", "year-9999"],
)
def test_bad_filters_are_422(client: TestClient, lead: dict[str, str], params: dict[str, str]) -> None:
    paths = ["/api/v1/analytics/unanswered", "/api/v1/feedback"]
    if "format" not in params:  # the summary is no table: it has no CSV form
        paths.append("/api/v1/analytics/summary")
    for path in paths:
        response = client.get(path, params=params, headers=lead)
        assert response.status_code == 422, (path, params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["details"], error


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/analytics/unanswered", {"min_confidence": "2"}),
        ("/api/v1/analytics/unanswered", {"limit": "0"}),
        ("/api/v1/analytics/comments", {"dimension": "price"}),
        ("/api/v1/feedback", {"kind": "rating"}),
        ("/api/v1/feedback", {"faq_id": "<x>"}),
        ("/api/v1/feedback", {"offset": "-1"}),
    ],
)
def test_bad_table_options_are_422(client: TestClient, lead: dict[str, str], path: str, params: dict[str, str]) -> None:
    response = client.get(path, params=params, headers=lead)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_the_default_period_is_the_last_thirty_days(client: TestClient, lead: dict[str, str]) -> None:
    body = client.get("/api/v1/analytics/summary", headers=lead).json()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert body["scope"]["to"] == today.isoformat()
    assert body["scope"]["from"] == (today - timedelta(days=29)).isoformat()


def test_console_page_shows_everything_escaped(client: TestClient) -> None:
    seed(client)
    create_user(client, "lead.sun", Role.LEAD)
    sign_in(client, "lead.sun")
    page = client.get("/console/analytics", params=PERIOD)
    assert page.status_code == 200, page.text
    text = page.text
    assert SCRIPT not in text
    assert html.escape(SCRIPT, quote=False) in text  # the question and the comment, as text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    # No inline code: every script is a file of the console's own, or JSON data.
    for tag in re.findall(r"<script[^>]*>", text):
        assert 'src="/console/static/' in tag or 'type="application/json"' in tag, tag
    assert '<script src="/console/static/vendor/chart.umd.min.js"></script>' in text
    assert '<script src="/console/static/analytics.js"></script>' in text
    data_match = re.search(r'<script type="application/json" id="analytics-data">(.*?)</script>', text, re.S)
    assert data_match
    data = json.loads(data_match.group(1))
    assert data["deflection"]["counts"] == [1, 2]
    assert data["votes"] == {"labels": ["p03-tracking"], "up": [1], "down": [1]}
    assert data["csat"]["counts"] == [0, 1, 0, 0, 1]
    for canvas in ("chart-reasons", "chart-csat", "chart-deflection", "chart-sla", "chart-votes"):
        assert f'id="{canvas}"' in text
    # One CSV link per table, with the page's filters; the "create FAQ" link carries the question.
    for table in TABLES:
        assert f"/api/v1/analytics/{table}?from=2026-10-01&amp;to=2026-10-31&amp;format=csv" in text
    assert "/console/knowledge/new?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in text
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_console_page_filters_and_bad_input(client: TestClient) -> None:
    seed(client)
    create_user(client, "lead.sun", Role.LEAD)
    sign_in(client, "lead.sun")
    chinese = client.get("/console/analytics", params={**PERIOD, "language": "zh", "channel": "wechat"})
    assert chinese.status_code == 200
    assert "客服态度很好，回复快" in chinese.text and "where is my parcel" not in chinese.text
    assert "language=zh" in chinese.text
    bad = client.get("/console/analytics", params={"from": "not-a-date", "to": "2026-10-01", "language": "fr"})
    assert bad.status_code == 422
    assert "not a date" in bad.text and "showing the default" in bad.text


def test_the_static_script_builds_no_markup_from_data(client: TestClient) -> None:
    script = client.get("/console/static/analytics.js")
    assert script.status_code == 200
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert services_of(client).analytics is not None
