"""Analytics for support leads: deflection, handoffs, SLA, CSAT, votes, unanswered questions, comments,
return, exchange and repair requests.

Everything is read from the records the desk already keeps (turns, escalations, feedback, requests),
for a period and optionally one channel and language. Queries are plain SQLAlchemy `select`s that run on
SQLite and PostgreSQL alike; medians and percentiles are computed here, not in SQL, because the
two databases do not share a percentile function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import floor
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from desk.feedback import FeedbackView
from desk.handoff import FIRST_RESPONSE, PRIORITY_RANK, HandoffReason
from desk.models import (
    Conversation,
    Escalation,
    Feedback,
    Message,
    Priority,
    RequestKind,
    RequestStatus,
    Sender,
    ServiceRequest,
    Turn,
    utcnow,
)
from desk.servqual import Dimension, dimensions_of
from desk.settings import DeskSettings
from desk.working_days import add_working_days, is_working_day
from knowledge.grouping import MAX_QUESTIONS, group_questions

# A turn answered with less confidence than this counts as "low confidence" among the unanswered.
LOW_CONFIDENCE = 0.6
UNANSWERED_OUTCOMES = ("fallback", "clarified")
# Handbook P16: complaints are resolved within 3 working days. The escalation table files legal
# threats, regulators and media under the same row as complaints, so they share the target.
RESOLUTION_TARGET_WORKING_DAYS = 3
RESOLUTION_TARGET_REASONS = frozenset({HandoffReason.COMPLAINT, HandoffReason.LEGAL_OR_MEDIA})
EXAMPLES_PER_GROUP = 5
_Columns = TypeVarTuple("_Columns")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """From `start` (inclusive) to `end` (exclusive), aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware datetimes")
        if self.start >= self.end:
            raise ValueError("a period must start before it ends")

    @classmethod
    def of_dates(cls, first: date, last: date, timezone: str) -> Period:
        """Whole days of the desk's time zone, `first` to `last` included: what a lead means by dates."""
        if first > last:
            raise ValueError("the first day is after the last day")
        zone = ZoneInfo(timezone)
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        return cls(start.astimezone(UTC), end.astimezone(UTC))


@dataclass(frozen=True)
class Scope:
    """What a figure covers: a period, and optionally one channel and one language."""

    period: Period
    channel: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Count:
    key: str
    count: int
    share: float  # of the total the count belongs to (0 when that total is 0)


@dataclass(frozen=True)
class Deflection:
    """Conversations with a customer message in the period, and how many of them never reached a human."""

    conversations: int
    escalated: int
    deflected: int
    rate: float | None


@dataclass(frozen=True)
class HandoffStats:
    total: int
    by_reason: list[Count]
    by_priority: list[Count]


@dataclass(frozen=True)
class SlaRow:
    """One priority's escalations against the handbook's targets; times in seconds.

    First response counts as within target when it came by `sla_due_at` (which already runs in
    service hours); an escalation still unanswered after that is breached; one unanswered and not
    yet due is `waiting` and left out of the share."""

    priority: Priority
    first_response_target_seconds: int
    escalations: int
    responded: int
    within_target: int
    breached: int
    waiting: int
    share_within: float | None
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    resolved: int
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    # Complaints (P16: 3 working days) that were closed or are overdue, and how many made it.
    resolution_targeted: int
    resolution_within_target: int
    resolution_share_within: float | None


@dataclass(frozen=True)
class CsatStats:
    responses: int
    average: float | None
    distribution: list[Count]  # keys "1" … "5", all present
    satisfied_share: float | None  # ratings of 4 or 5


@dataclass(frozen=True)
class FaqVotes:
    faq_id: str
    up: int
    down: int
    total: int
    down_rate: float


@dataclass(frozen=True)
class UnansweredGroup:
    representative: str
    count: int
    conversations: int
    languages: list[str]
    examples: list[str]  # distinct questions, the representative first
    # The latest customer message of each example, in the same order: what a lead labels.
    message_ids: list[int]
    outcomes: dict[str, int]
    last_asked_at: datetime


@dataclass(frozen=True)
class Unanswered:
    questions: int  # all unanswered or low-confidence customer messages in the scope
    grouped: int  # the most recent of them, up to `knowledge.grouping.MAX_QUESTIONS`, went into groups
    min_confidence: float
    groups: list[UnansweredGroup]


@dataclass(frozen=True)
class CommentRow:
    id: int
    conversation_id: str
    created_at: datetime
    channel: str
    language: str
    comment: str
    dimensions: list[Dimension]


@dataclass(frozen=True)
class CommentStats:
    total: int
    untagged: int
    by_dimension: list[Count]  # every dimension; shares of all comments
    comments: list[CommentRow]  # most recent first, up to the limit asked


@dataclass(frozen=True)
class RequestStats:
    """Return, exchange and repair requests opened in the scope, and how agents decided them."""

    total: int
    by_kind: list[Count]  # every kind
    by_status: list[Count]  # every status
    approved: int
    rejected: int
    approval_rate: float | None  # approved / (approved + rejected); None before any decision


@dataclass(frozen=True)
class Summary:
    """The headline numbers of the analytics page."""

    scope: Scope
    turns: int  # customer messages with a turn record: what the assistant did with each
    unanswered: int  # of those, fell back, clarified or answered with low confidence
    deflection: Deflection
    handoffs: HandoffStats
    sla: list[SlaRow]
    csat: CsatStats
    votes_up: int
    votes_down: int
    comments: int
    requests: RequestStats


class Analytics:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: DeskSettings,
        clock: Callable[[], datetime] = utcnow,
        low_confidence: float = LOW_CONFIDENCE,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.timezone = settings.timezone
        self.low_confidence = low_confidence

    # Periods ------------------------------------------------------------------------------------

    def today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self.timezone)).date()

    def period(self, first: date | None = None, last: date | None = None) -> Period:
        """Whole local days; without dates the last 30 days up to today."""
        last = last or self.today()
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        return Period.of_dates(first, last, self.timezone)

    # Figures ------------------------------------------------------------------------------------

    def summary(self, scope: Scope) -> Summary:
        votes = self.faq_votes(scope)
        with self._sessions() as session:
            turns = session.scalar(_in_scope(select(func.count(Turn.id)), Turn, scope)) or 0
            unanswered = session.scalar(_unanswered(select(func.count(Turn.id)), scope, self.low_confidence)) or 0
            comments = (
                session.scalar(_in_scope(select(func.count(Feedback.id)), Feedback, scope, Feedback.kind == "comment"))
                or 0
            )
        return Summary(
            scope=scope,
            turns=turns,
            unanswered=unanswered,
            deflection=self.deflection(scope),
            handoffs=self.handoffs(scope),
            sla=self.sla(scope),
            csat=self.csat(scope),
            votes_up=sum(v.up for v in votes),
            votes_down=sum(v.down for v in votes),
            comments=comments,
            requests=self.requests(scope),
        )

    def requests(self, scope: Scope) -> RequestStats:
        with self._sessions() as session:
            rows = session.execute(
                _in_scope(
                    select(ServiceRequest.kind, ServiceRequest.status, func.count(ServiceRequest.id)),
                    ServiceRequest,
                    scope,
                ).group_by(ServiceRequest.kind, ServiceRequest.status)
            ).all()
        kinds: Counter[str] = Counter({k.value: 0 for k in RequestKind})
        statuses: Counter[str] = Counter({s.value: 0 for s in RequestStatus})
        for kind, status, count in rows:
            kinds[kind] += count
            statuses[status] += count
        total = sum(kinds.values())
        approved, rejected = statuses[RequestStatus.APPROVED], statuses[RequestStatus.REJECTED]
        return RequestStats(
            total=total,
            by_kind=_counts([(k.value, kinds[k.value]) for k in RequestKind], total),
            by_status=_counts([(s.value, statuses[s.value]) for s in RequestStatus], total),
            approved=approved,
            rejected=rejected,
            approval_rate=approved / (approved + rejected) if approved + rejected else None,
        )

    def deflection(self, scope: Scope) -> Deflection:
        """Deflected: a conversation with a customer message in the period and no escalation opened
        in it. Long-lived conversations (a WeChat user's) count in every period they are active."""
        active = (
            select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.sender == Sender.CUSTOMER,
                Message.created_at >= scope.period.start,
                Message.created_at < scope.period.end,
            )
        )
        if scope.channel:
            active = active.where(Conversation.channel == scope.channel)
        if scope.language:
            active = active.where(Message.language == scope.language)
        with self._sessions() as session:
            conversations = session.scalar(select(func.count()).select_from(active.distinct().subquery())) or 0
            escalated = (
                session.scalar(
                    select(func.count(func.distinct(Escalation.conversation_id))).where(
                        Escalation.created_at >= scope.period.start,
                        Escalation.created_at < scope.period.end,
                        Escalation.conversation_id.in_(active),
                    )
                )
                or 0
            )
        deflected = conversations - escalated
        return Deflection(conversations, escalated, deflected, deflected / conversations if conversations else None)

    def handoffs(self, scope: Scope) -> HandoffStats:
        with self._sessions() as session:
            rows = session.execute(
                _in_scope(
                    select(Escalation.reason, Escalation.priority, func.count(Escalation.id)), Escalation, scope
                ).group_by(Escalation.reason, Escalation.priority)
            ).all()
        reasons: Counter[str] = Counter()
        priorities: Counter[str] = Counter({p.value: 0 for p in Priority})
        for reason, priority, count in rows:
            reasons[reason] += count
            priorities[priority] += count
        total = sum(reasons.values())
        by_priority = sorted(priorities.items(), key=lambda kv: PRIORITY_RANK.get(Priority(kv[0]), 9))
        return HandoffStats(total, _counts(reasons.most_common(), total), _counts(by_priority, total))

    def sla(self, scope: Scope) -> list[SlaRow]:
        """First-response and resolution times of the escalations opened in the scope, per priority."""
        with self._sessions() as session:
            rows = session.execute(
                _in_scope(
                    select(
                        Escalation.priority,
                        Escalation.reason,
                        Escalation.created_at,
                        Escalation.sla_due_at,
                        Escalation.first_response_at,
                        Escalation.resolved_at,
                    ),
                    Escalation,
                    scope,
                )
            ).all()
        now = self._clock()
        zone = ZoneInfo(self.timezone)
        by_priority: dict[Priority, list[Any]] = {p: [] for p in sorted(Priority, key=PRIORITY_RANK.__getitem__)}
        for row in rows:
            by_priority.setdefault(Priority(row.priority), []).append(row)
        result = []
        for priority, escalations in by_priority.items():
            first_responses: list[float] = []
            resolutions: list[float] = []
            within = breached = waiting = 0
            targeted = resolved_in_time = 0
            for e in escalations:
                if e.first_response_at is not None:
                    first_responses.append(_seconds(e.first_response_at - e.created_at))
                    if e.first_response_at <= e.sla_due_at:
                        within += 1
                    else:
                        breached += 1
                elif (e.resolved_at or now) > e.sla_due_at:
                    breached += 1
                else:
                    waiting += 1
                if e.resolved_at is not None:
                    resolutions.append(_seconds(e.resolved_at - e.created_at))
                if e.reason in RESOLUTION_TARGET_REASONS:
                    due = working_days_after(e.created_at, RESOLUTION_TARGET_WORKING_DAYS, zone)
                    if e.resolved_at is not None:
                        targeted += 1
                        resolved_in_time += e.resolved_at <= due
                    elif now > due:
                        targeted += 1
            judged = within + breached
            result.append(
                SlaRow(
                    priority=priority,
                    first_response_target_seconds=int(FIRST_RESPONSE[priority].total_seconds()),
                    escalations=len(escalations),
                    responded=len(first_responses),
                    within_target=within,
                    breached=breached,
                    waiting=waiting,
                    share_within=within / judged if judged else None,
                    first_response_median_seconds=percentile(first_responses, 0.5),
                    first_response_p90_seconds=percentile(first_responses, 0.9),
                    resolved=len(resolutions),
                    resolution_median_seconds=percentile(resolutions, 0.5),
                    resolution_p90_seconds=percentile(resolutions, 0.9),
                    resolution_targeted=targeted,
                    resolution_within_target=resolved_in_time,
                    resolution_share_within=resolved_in_time / targeted if targeted else None,
                )
            )
        return result

    def csat(self, scope: Scope) -> CsatStats:
        with self._sessions() as session:
            rows = session.execute(
                _in_scope(
                    select(Feedback.score, func.count(Feedback.id)),
                    Feedback,
                    scope,
                    Feedback.kind == "csat",
                    Feedback.score.between(1, 5),
                ).group_by(Feedback.score)
            ).all()
        counts: Counter[int] = Counter({score: count for score, count in rows if score is not None})
        responses = sum(counts.values())
        return CsatStats(
            responses=responses,
            average=sum(s * n for s, n in counts.items()) / responses if responses else None,
            distribution=_counts([(str(s), counts[s]) for s in range(1, 6)], responses),
            satisfied_share=(counts[4] + counts[5]) / responses if responses else None,
        )

    def faq_votes(self, scope: Scope) -> list[FaqVotes]:
        """👍/👎 per FAQ entry, the most voted first."""
        with self._sessions() as session:
            rows = session.execute(
                _in_scope(
                    select(Feedback.faq_id, Feedback.vote, func.count(Feedback.id)),
                    Feedback,
                    scope,
                    Feedback.kind == "vote",
                    Feedback.faq_id.is_not(None),
                ).group_by(Feedback.faq_id, Feedback.vote)
            ).all()
        votes: dict[str, Counter[str]] = {}
        for faq_id, vote, count in rows:
            if faq_id is not None and vote is not None:
                votes.setdefault(faq_id, Counter())[vote] += count
        result = [
            FaqVotes(faq_id, c["up"], c["down"], c["up"] + c["down"], c["down"] / (c["up"] + c["down"]))
            for faq_id, c in votes.items()
            if c["up"] + c["down"]
        ]
        return sorted(result, key=lambda v: (-v.total, -v.down, v.faq_id))

    def unanswered(self, scope: Scope, *, min_confidence: float | None = None, limit: int = 20) -> Unanswered:
        """Customer questions the bot fell back on, asked to clarify, or answered with low confidence,
        grouped by similarity (`knowledge.grouping`), the most asked first."""
        threshold = self.low_confidence if min_confidence is None else min_confidence
        with self._sessions() as session:
            total = session.scalar(_unanswered(select(func.count(Turn.id)), scope, threshold)) or 0
            rows = session.execute(
                _unanswered(
                    select(
                        Message.id.label("message_id"),
                        Message.text,
                        Turn.conversation_id,
                        Turn.language,
                        Turn.outcome,
                        Turn.created_at,
                    )
                    .select_from(Turn)
                    .join(Message, Message.id == Turn.message_id),
                    scope,
                    threshold,
                )
                .order_by(Turn.created_at.desc(), Turn.id.desc())
                .limit(MAX_QUESTIONS)
            ).all()
        rows = [r for r in rows if r.text and r.text.strip()]
        groups = []
        for group in group_questions([r.text.strip() for r in rows]):
            members = [rows[i] for i in group.members]
            latest: dict[str, int] = {}
            for m in members:  # the most recent first
                latest.setdefault(m.text.strip(), m.message_id)
            examples = list(latest)[:EXAMPLES_PER_GROUP]
            groups.append(
                UnansweredGroup(
                    representative=examples[0],
                    count=len(members),
                    conversations=len({m.conversation_id for m in members}),
                    languages=sorted({m.language for m in members}),
                    examples=examples,
                    message_ids=[latest[e] for e in examples],
                    outcomes=dict(Counter(m.outcome for m in members).most_common()),
                    last_asked_at=max(m.created_at for m in members),
                )
            )
        groups.sort(key=lambda g: (-g.count, -g.conversations, -g.last_asked_at.timestamp()))
        return Unanswered(total, len(rows), threshold, groups[:limit])

    def comments(self, scope: Scope, *, dimension: Dimension | None = None, limit: int = 200) -> CommentStats:
        """Comments tagged with the SERVQUAL dimensions they touch; counts cover every comment in
        the scope, the list the most recent `limit` (of one dimension, if asked)."""
        with self._sessions() as session:
            rows = session.scalars(
                _in_scope(select(Feedback), Feedback, scope, Feedback.kind == "comment").order_by(
                    Feedback.created_at.desc(), Feedback.id.desc()
                )
            ).all()
            tagged = [
                CommentRow(
                    f.id,
                    f.conversation_id,
                    f.created_at,
                    f.channel,
                    f.language,
                    f.comment or "",
                    dimensions_of(f.comment or ""),
                )
                for f in rows
                if f.comment and f.comment.strip()
            ]
        counts = Counter(d for row in tagged for d in row.dimensions)
        listed = [row for row in tagged if dimension is None or dimension in row.dimensions]
        return CommentStats(
            total=len(tagged),
            untagged=sum(1 for row in tagged if not row.dimensions),
            by_dimension=_counts([(d.value, counts[d]) for d in Dimension], len(tagged)),
            comments=listed[:limit],
        )

    def feedback(
        self,
        scope: Scope,
        *,
        kind: str | None = None,
        faq_id: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FeedbackView]:
        """Feedback rows, the most recent first."""
        query = _in_scope(select(Feedback), Feedback, scope)
        if kind:
            query = query.where(Feedback.kind == kind)
        if faq_id:
            query = query.where(Feedback.faq_id == faq_id)
        with self._sessions() as session:
            rows = session.scalars(
                query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit).offset(offset)
            ).all()
            return [FeedbackView.of(f) for f in rows]


def working_days_after(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """P16's resolution deadline: the same local time `days` working days later, in China's
    working-day calendar (`desk.working_days`: weekends and public holidays skipped, make-up working
    days counted). A start on a non-working day is day 0 like any other, so its deadline is the end
    (24:00) of the `days`th working day after it: a complaint on Saturday with 3 working days is due
    by Wednesday 24:00, one on the eve of National Day counts from the first day back.

    For a year the holiday calendar does not know, weekends alone are skipped and
    `add_working_days` flags the day as an estimate; the SLA figure ignores that flag on purpose: a
    lead's report has no customer to warn, and the deadline is still the best one that can be known."""
    local = start.astimezone(zone)
    due = add_working_days(local.date(), days).day
    if is_working_day(local.date()):
        deadline = datetime.combine(due, local.time(), zone)
    else:
        deadline = datetime.combine(due + timedelta(days=1), time(0), zone)
    return deadline.astimezone(UTC)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile with linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


def _counts(items: Sequence[tuple[str, int]], total: int) -> list[Count]:
    return [Count(key, count, count / total if total else 0.0) for key, count in items]


def _in_scope(
    query: Select[*_Columns], table: type[Turn | Escalation | Feedback | ServiceRequest], scope: Scope, *where: Any
) -> Select[*_Columns]:
    """Rows of a table that records its own time, channel and language, within the scope."""
    query = query.where(table.created_at >= scope.period.start, table.created_at < scope.period.end, *where)
    if scope.channel:
        query = query.where(table.channel == scope.channel)
    if scope.language:
        query = query.where(table.language == scope.language)
    return query


def _unanswered(query: Select[*_Columns], scope: Scope, min_confidence: float) -> Select[*_Columns]:
    """Customer messages the bot fell back on, asked to clarify, or answered with low confidence."""
    query = query.where(
        or_(
            Turn.outcome.in_(UNANSWERED_OUTCOMES),
            and_(Turn.outcome == "answered", Turn.confidence < min_confidence),
        )
    )
    return _in_scope(query, Turn, scope)
