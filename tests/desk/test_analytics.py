"""Analytics on known data: every figure checked against what was seeded, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.analytics import Analytics, Period, Scope, percentile, working_days_after
from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook
from desk.handoff import HandoffReason
from desk.models import Priority, Role
from desk.servqual import Dimension
from desk.settings import DeskSettings
from desk.turns import BotMessage, TurnRecord
from desk.users import Staff, UserDirectory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time in March 2026 (Shanghai is UTC+8: 02:00 UTC is 10:00 there, in service hours)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    clock: Clock
    store: ConversationStore
    escalations: EscalationDesk
    casework: Casework
    feedback: FeedbackBook
    agent: Staff
    analytics: Analytics

    def ask(
        self,
        conversation: str,
        text: str,
        when: datetime,
        outcome: str | None,
        *,
        channel: str = "web",
        language: str = "en",
        confidence: float | None = None,
        faq_id: str | None = None,
    ) -> None:
        self.clock.now = when
        inbound = self.store.record_inbound(conversation, text=text, payload=None, language=language, channel=channel)
        if outcome is not None:
            self.store.record_reply(
                conversation,
                inbound.message.id,
                [BotMessage("…")],
                TurnRecord(outcome, faq_id, confidence),
                language=language,
                latency_ms=12.0,
            )

    def escalate(
        self, conversation: str, reason: HandoffReason, when: datetime, *, channel: str = "web", language: str = "en"
    ) -> int:
        self.clock.now = when
        return self.escalations.open(conversation, reason, channel=channel, language=language).escalation.id

    def respond(self, escalation_id: int, when: datetime) -> None:
        self.clock.now = when
        self.casework.claim(escalation_id, self.agent)
        self.casework.reply(escalation_id, self.agent, "Hello, I am looking into it.")

    def resolve(self, escalation_id: int, when: datetime) -> None:
        self.clock.now = when
        self.casework.resolve(escalation_id, self.agent, "answered")

    def rate(
        self, conversation: str, when: datetime, channel: str = "web", language: str = "en", **kwargs: object
    ) -> None:
        self.clock.now = when
        self.feedback.record(conversation, channel=channel, language=language, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    clock = Clock(NOW)
    settings = DeskSettings()
    audit = AuditLog(sessions, clock)
    user = UserDirectory(sessions, clock).create("agent.li", "a long enough password", Role.AGENT, "Li")
    return Desk(
        clock,
        ConversationStore(sessions, clock),
        EscalationDesk(sessions, settings, clock),
        Casework(sessions, audit, clock),
        FeedbackBook(sessions, clock),
        Staff.of(user),
        Analytics(sessions, settings, clock),
    )


@pytest.fixture
def seeded(desk: Desk) -> Desk:
    """Seven conversations active in March 1–11 (Shanghai), one before it; five escalations."""
    # Before the period (23:00 on 28 February in Shanghai): counted nowhere.
    desk.ask("c-old", "old question", datetime(2026, 2, 28, 15, 0, tzinfo=UTC), "fallback", channel="api")
    desk.rate("c-old", datetime(2026, 2, 28, 15, 5, tzinfo=UTC), kind="csat", score=2)
    # c1: answered by the bot, never escalated; later asks something it cannot answer.
    desk.ask("c1", "where is my parcel", at(2, 2), "answered", confidence=0.92, faq_id="p02-tracking")
    desk.ask("c1", "how long does a refund take", at(2, 2, 5), "fallback")
    # c2: two misses in Chinese, then a complaint: answered in 8 minutes, resolved in 2 days.
    desk.ask("c2", "退款多久到账", at(9, 2), "fallback", language="zh")
    desk.ask("c2", "退款多久能到账？", at(9, 2, 1), "clarified", language="zh")
    e2 = desk.escalate("c2", HandoffReason.COMPLAINT, at(9, 2, 2), language="zh")
    desk.respond(e2, at(9, 2, 10))
    desk.resolve(e2, at(11, 2, 0))
    # c3: asks for a human; answered after 45 minutes (target 30), resolved after an hour.
    desk.ask("c3", "I want a human", at(10, 2), "handoff", channel="wechat")
    e3 = desk.escalate("c3", HandoffReason.CUSTOMER_REQUEST, at(10, 2), channel="wechat")
    desk.respond(e3, at(10, 2, 45))
    desk.resolve(e3, at(10, 3, 0))
    # c4: a safety incident nobody answered: breached, open.
    desk.ask("c4", "my purifier is smoking", at(10, 3), "handoff")
    desk.escalate("c4", HandoffReason.SAFETY, at(10, 3))
    # c5: a media threat on Thursday, answered in 14 minutes, still open past its 3 working days.
    desk.ask("c5", "I will call the newspaper", at(5, 2), None, channel="wechat")
    e5 = desk.escalate("c5", HandoffReason.LEGAL_OR_MEDIA, at(5, 2), channel="wechat")
    desk.respond(e5, at(5, 2, 14))
    # c6: waiting ten minutes for a human (due in 30): not judged yet.
    desk.ask("c6", "转人工", NOW - timedelta(minutes=10), None, channel="wechat", language="zh")
    desk.escalate("c6", HandoffReason.CUSTOMER_REQUEST, NOW - timedelta(minutes=10), channel="wechat", language="zh")
    # c7: low-confidence answers, a confident one, and turns that are not "unanswered".
    desk.ask("c7", "how long does a refund take", at(10, 5), "answered", channel="wechat", confidence=0.4)
    desk.ask("c7", "how long until i get my refund", at(10, 5, 2), "answered", channel="wechat", confidence=0.55)
    desk.ask("c7", "thanks", at(10, 5, 3), "answered", channel="wechat", confidence=0.95)
    desk.ask("c7", "ok", at(10, 5, 4), "answered", channel="wechat", confidence=None)
    desk.ask("c7", "give me a discount", at(10, 5, 5), "declined", channel="wechat")
    # Feedback: CSAT, votes, comments (one from a conversation with no customer message).
    for score, conversation in ((5, "c3"), (4, "c2"), (4, "c7"), (1, "c-feedback-only")):
        desk.rate(conversation, at(10, 6), kind="csat", score=score)
    for faq_id, vote in [("p11-refund-time", "up")] + [("p11-refund-time", "down")] * 3 + [("p02-tracking", "up")] * 2:
        desk.rate("c7", at(10, 6), kind="vote", vote=vote, faq_id=faq_id)
    desk.rate("c1", at(3, 6), kind="vote", vote="down", faq_id="p08-warranty", language="zh")
    for comment in ("回复太慢了", "The agent was rude and slow", "thanks", "<script>alert(1)</script>"):
        desk.rate("c2", at(10, 7), kind="comment", comment=comment)
    desk.clock.now = NOW
    return desk


def scope(**filters: str) -> Scope:
    return Scope(Period.of_dates(date(2026, 3, 1), date(2026, 3, 11), "Asia/Shanghai"), **filters)


def test_periods_are_whole_local_days() -> None:
    period = Period.of_dates(date(2026, 3, 1), date(2026, 3, 11), "Asia/Shanghai")
    assert period.start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="after"):
        Period.of_dates(date(2026, 3, 2), date(2026, 3, 1), "Asia/Shanghai")
    with pytest.raises(ValueError, match="aware"):
        Period(datetime(2026, 3, 1), datetime(2026, 3, 2))


def test_the_default_period_is_the_last_thirty_days(desk: Desk) -> None:
    assert desk.analytics.period() == Period.of_dates(date(2026, 2, 10), date(2026, 3, 11), "Asia/Shanghai")


def test_deflection_counts_conversations_with_a_customer_message_and_no_escalation(seeded: Desk) -> None:
    deflection = seeded.analytics.deflection(scope())
    assert (deflection.conversations, deflection.escalated, deflection.deflected) == (7, 5, 2)
    assert deflection.rate == pytest.approx(2 / 7)
    web = seeded.analytics.deflection(scope(channel="web"))
    assert (web.conversations, web.escalated) == (3, 2)
    assert web.rate == pytest.approx(1 / 3)
    chinese = seeded.analytics.deflection(scope(language="zh"))
    assert (chinese.conversations, chinese.escalated, chinese.rate) == (2, 2, 0.0)
    empty = seeded.analytics.deflection(scope(channel="slack"))
    assert (empty.conversations, empty.rate) == (0, None)


def test_handoff_reasons_and_priorities(seeded: Desk) -> None:
    handoffs = seeded.analytics.handoffs(scope())
    assert handoffs.total == 5
    assert {c.key: c.count for c in handoffs.by_reason} == {
        "customer_request": 2,
        "complaint": 1,
        "safety": 1,
        "legal_or_media": 1,
    }
    assert handoffs.by_reason[0].key == "customer_request" and handoffs.by_reason[0].share == pytest.approx(0.4)
    assert [(c.key, c.count) for c in handoffs.by_priority] == [("urgent", 1), ("high", 2), ("normal", 2)]
    assert [(c.key, c.count) for c in seeded.analytics.handoffs(scope(language="zh")).by_reason] == [
        ("complaint", 1),
        ("customer_request", 1),
    ]


def test_sla_per_priority(seeded: Desk) -> None:
    rows = {row.priority: row for row in seeded.analytics.sla(scope())}
    assert list(rows) == [Priority.URGENT, Priority.HIGH, Priority.NORMAL]

    urgent = rows[Priority.URGENT]
    assert urgent.first_response_target_seconds == 300
    assert (urgent.escalations, urgent.responded, urgent.within_target, urgent.breached, urgent.waiting) == (
        1,
        0,
        0,
        1,
        0,
    )
    assert urgent.share_within == 0.0 and urgent.first_response_median_seconds is None

    high = rows[Priority.HIGH]  # complaint answered in 8 min, media threat in 14 (target 15)
    assert (high.escalations, high.responded, high.within_target, high.breached) == (2, 2, 2, 0)
    assert high.share_within == 1.0
    assert high.first_response_median_seconds == pytest.approx(660)
    assert high.first_response_p90_seconds == pytest.approx(480 + 0.9 * 360)
    assert high.resolved == 1
    assert high.resolution_median_seconds == pytest.approx(timedelta(days=2, minutes=-2).total_seconds())
    # The complaint was resolved within 3 working days; the media threat is open past them.
    assert (high.resolution_targeted, high.resolution_within_target, high.resolution_share_within) == (2, 1, 0.5)

    normal = rows[Priority.NORMAL]  # 45 minutes against 30; the other one still waiting
    assert (normal.escalations, normal.responded, normal.within_target, normal.breached, normal.waiting) == (
        2,
        1,
        0,
        1,
        1,
    )
    assert normal.share_within == 0.0
    assert normal.first_response_median_seconds == pytest.approx(2700)
    assert normal.resolution_median_seconds == pytest.approx(3600)
    assert normal.resolution_targeted == 0 and normal.resolution_share_within is None


def test_csat_average_and_distribution(seeded: Desk) -> None:
    csat = seeded.analytics.csat(scope())
    assert csat.responses == 4
    assert csat.average == pytest.approx(3.5)
    assert [(c.key, c.count) for c in csat.distribution] == [("1", 1), ("2", 0), ("3", 0), ("4", 2), ("5", 1)]
    assert csat.distribution[3].share == pytest.approx(0.5)
    assert csat.satisfied_share == pytest.approx(0.75)
    nothing = seeded.analytics.csat(scope(channel="slack"))
    assert (nothing.responses, nothing.average, nothing.satisfied_share) == (0, None, None)
    assert [c.count for c in nothing.distribution] == [0] * 5


def test_votes_per_faq_entry(seeded: Desk) -> None:
    votes = seeded.analytics.faq_votes(scope())
    assert [(v.faq_id, v.up, v.down, v.total) for v in votes] == [
        ("p11-refund-time", 1, 3, 4),
        ("p02-tracking", 2, 0, 2),
        ("p08-warranty", 0, 1, 1),
    ]
    assert votes[0].down_rate == pytest.approx(0.75)
    assert [v.faq_id for v in seeded.analytics.faq_votes(scope(language="zh"))] == ["p08-warranty"]


def test_unanswered_questions_are_grouped(seeded: Desk) -> None:
    unanswered = seeded.analytics.unanswered(scope())
    assert unanswered.questions == 5 and unanswered.grouped == 5 and unanswered.min_confidence == 0.6
    first, second = unanswered.groups
    assert first.representative == "how long does a refund take"
    assert (first.count, first.conversations, first.languages) == (3, 2, ["en"])
    assert first.examples == ["how long does a refund take", "how long until i get my refund"]
    assert first.outcomes == {"answered": 2, "fallback": 1}
    assert first.last_asked_at == at(10, 5, 2)
    assert set(second.examples) == {"退款多久到账", "退款多久能到账？"}
    assert (second.count, second.languages, second.outcomes) == (2, ["zh"], {"fallback": 1, "clarified": 1})


def test_unanswered_threshold_and_filters(seeded: Desk) -> None:
    strict = seeded.analytics.unanswered(scope(), min_confidence=0.5)
    assert strict.questions == 4
    assert (strict.groups[0].representative, strict.groups[0].count) == ("how long does a refund take", 2)
    chinese = seeded.analytics.unanswered(scope(language="zh"))
    assert [g.representative for g in chinese.groups] == [chinese.groups[0].examples[0]]
    assert chinese.questions == 2
    assert seeded.analytics.unanswered(scope(), limit=1).groups[0].count == 3


def test_comments_are_tagged_with_servqual_dimensions(seeded: Desk) -> None:
    stats = seeded.analytics.comments(scope())
    assert (stats.total, stats.untagged) == (4, 2)
    assert {c.key: c.count for c in stats.by_dimension} == {
        "reliability": 0,
        "responsiveness": 2,
        "assurance": 0,
        "empathy": 1,
        "tangibles": 0,
    }
    tags = {c.comment: c.dimensions for c in stats.comments}
    assert tags["The agent was rude and slow"] == [Dimension.RESPONSIVENESS, Dimension.EMPATHY]
    assert tags["thanks"] == []
    only = seeded.analytics.comments(scope(), dimension=Dimension.EMPATHY)
    assert [c.comment for c in only.comments] == ["The agent was rude and slow"]
    assert only.total == 4  # the counts still cover every comment


def test_feedback_rows_filter_and_page(seeded: Desk) -> None:
    rows = seeded.analytics.feedback(scope())
    assert len(rows) == 4 + 6 + 1 + 4
    assert rows[0].created_at >= rows[-1].created_at
    downs = seeded.analytics.feedback(scope(), kind="vote", faq_id="p11-refund-time")
    assert sorted(r.vote or "" for r in downs) == ["down", "down", "down", "up"]
    assert len(seeded.analytics.feedback(scope(), limit=3, offset=13)) == 2


def test_summary_puts_the_headline_numbers_together(seeded: Desk) -> None:
    summary = seeded.analytics.summary(scope())
    assert summary.turns == 11  # c5 and c6 went straight to a human: no turn record
    assert summary.unanswered == 5
    assert summary.deflection.rate == pytest.approx(2 / 7)
    assert summary.handoffs.total == 5
    assert (summary.votes_up, summary.votes_down, summary.comments) == (3, 4, 4)
    assert summary.csat.average == pytest.approx(3.5)
    assert len(summary.sla) == 3


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(2.5)
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)


def test_working_days_skip_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)
    assert working_days_after(friday, 3, SHANGHAI) == datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=SHANGHAI)
    # Saturday is day 0: Monday, Tuesday, Wednesday are the three working days, due by Wednesday 24:00.
    assert working_days_after(saturday, 3, SHANGHAI) == datetime(2026, 3, 12, 0, 0, tzinfo=SHANGHAI)


def test_working_days_skip_public_holidays_and_count_make_up_days() -> None:
    # 2026: Mid-Autumn Festival 25–27 September, National Day 1–7 October, make-up working days
    # Sunday 20 September and Saturday 10 October (the holiday calendar's data).
    wednesday_before = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert working_days_after(wednesday_before, 3, SHANGHAI) == datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI)
    during_the_holiday = datetime(2026, 10, 3, 9, 0, tzinfo=SHANGHAI)
    # Thursday 8, Friday 9, Saturday 10 (make-up): due by the end of Saturday.
    assert working_days_after(during_the_holiday, 3, SHANGHAI) == datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)
    friday_before_make_up_sunday = datetime(2026, 9, 18, 16, 30, tzinfo=SHANGHAI)
    # Sunday 20 (make-up), Monday 21, Tuesday 22.
    assert working_days_after(friday_before_make_up_sunday, 3, SHANGHAI) == datetime(
        2026, 9, 22, 16, 30, tzinfo=SHANGHAI
    )
    # The deadline is an instant: the same one whatever zone it is read in.
    assert working_days_after(wednesday_before.astimezone(UTC), 3, SHANGHAI) == datetime(2026, 10, 10, 2, 0, tzinfo=UTC)


def test_working_days_in_an_unknown_year_skip_weekends_only() -> None:
    # The calendar knows no 2027 holidays: New Year's Day (Friday 1 January) counts as a working day.
    # The SLA ignores that the date is an estimate (see working_days_after).
    wednesday = datetime(2026, 12, 30, 11, 0, tzinfo=SHANGHAI)
    assert working_days_after(wednesday, 3, SHANGHAI) == datetime(2027, 1, 4, 11, 0, tzinfo=SHANGHAI)
    assert working_days_after(datetime(2027, 3, 5, 9, 0, tzinfo=SHANGHAI), 1, SHANGHAI) == datetime(
        2027, 3, 8, 9, 0, tzinfo=SHANGHAI
    )


def test_a_complaint_before_national_day_is_due_after_the_holiday(desk: Desk) -> None:
    # Opened Wednesday 30 September 2026, 10:00 in Shanghai; resolved Friday 9 October. Monday to
    # Friday alone would have put the deadline on Monday 5 October, inside the holiday week.
    opened = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    complaint = desk.escalate("c-holiday", HandoffReason.COMPLAINT, opened)
    desk.respond(complaint, opened + timedelta(minutes=5))
    desk.resolve(complaint, datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    desk.clock.now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    period = Scope(Period.of_dates(date(2026, 9, 30), date(2026, 10, 12), "Asia/Shanghai"))
    high = {row.priority: row for row in desk.analytics.sla(period)}[Priority.HIGH]
    assert (high.resolution_targeted, high.resolution_within_target) == (1, 1)
