"""The analytics API's bodies: the headline numbers and one table each (every one a response)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field

from api.analytics_filters import Filters
from desk.analytics import Summary, Unanswered, UnansweredGroup
from desk.models import Priority
from desk.servqual import Dimension

# An unanswered group's "create FAQ" link pre-fills this many of its questions, each cut to length.
DRAFT_QUESTIONS = 5
DRAFT_QUESTION_CHARS = 200


def faq_draft_url(questions: Sequence[str]) -> str:
    """The knowledge-base editor's create form, pre-filled with these phrasings."""
    picked = [" ".join(q.split())[:DRAFT_QUESTION_CHARS] for q in questions[:DRAFT_QUESTIONS]]
    return "/console/knowledge/new?" + urlencode([("q", q) for q in picked if q])


class Out(BaseModel):
    """The base of the responses read from the attributes of `desk.analytics`' dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class ScopeOut(BaseModel):
    first_day: date = Field(serialization_alias="from")
    last_day: date = Field(serialization_alias="to")
    start: datetime = Field(description="The first day's start, UTC.")
    end: datetime = Field(description="The end of the last day (exclusive), UTC.")
    channel: str | None
    language: str | None

    @classmethod
    def of(cls, filters: Filters) -> ScopeOut:
        scope = filters.scope
        return cls(
            first_day=filters.first,
            last_day=filters.last,
            start=scope.period.start,
            end=scope.period.end,
            channel=scope.channel,
            language=scope.language,
        )


class CountOut(Out):
    key: str
    count: int
    share: float


class DeflectionOut(Out):
    conversations: int = Field(description="Conversations with a customer message in the period.")
    escalated: int = Field(description="Of those, with an escalation opened in the period.")
    deflected: int
    rate: float | None = Field(description="deflected / conversations; null without conversations.")


class HandoffsOut(Out):
    total: int
    by_reason: list[CountOut]
    by_priority: list[CountOut]


class SlaOut(Out):
    priority: Priority
    first_response_target_seconds: int
    escalations: int
    responded: int
    within_target: int
    breached: int
    waiting: int = Field(description="Not answered yet and not yet due: left out of the share.")
    share_within: float | None
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    resolved: int
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    resolution_targeted: int = Field(description="Complaints (3 working days, P16) closed or overdue.")
    resolution_within_target: int
    resolution_share_within: float | None


class CsatOut(Out):
    responses: int
    average: float | None
    distribution: list[CountOut]
    satisfied_share: float | None = Field(description="Share of ratings 4 or 5.")


class RequestsOut(Out):
    total: int = Field(description="Return, exchange and repair requests opened in the period.")
    by_kind: list[CountOut]
    by_status: list[CountOut]
    approved: int
    rejected: int
    approval_rate: float | None = Field(description="approved / (approved + rejected); null before any decision.")


class VotesTotalOut(BaseModel):
    up: int
    down: int
    down_rate: float | None


class SummaryOut(BaseModel):
    scope: ScopeOut
    turns: int = Field(description="Customer messages with a turn record (what the assistant did).")
    unanswered: int = Field(description="Of those: fell back, clarified or answered with low confidence.")
    deflection: DeflectionOut
    handoffs: HandoffsOut
    sla: list[SlaOut]
    csat: CsatOut
    votes: VotesTotalOut
    comments: int
    requests: RequestsOut

    @classmethod
    def of(cls, summary: Summary, filters: Filters) -> SummaryOut:
        votes = summary.votes_up + summary.votes_down
        return cls(
            scope=ScopeOut.of(filters),
            turns=summary.turns,
            unanswered=summary.unanswered,
            deflection=DeflectionOut.model_validate(summary.deflection),
            handoffs=HandoffsOut.model_validate(summary.handoffs),
            sla=[SlaOut.model_validate(row) for row in summary.sla],
            csat=CsatOut.model_validate(summary.csat),
            votes=VotesTotalOut(
                up=summary.votes_up, down=summary.votes_down, down_rate=summary.votes_down / votes if votes else None
            ),
            comments=summary.comments,
            requests=RequestsOut.model_validate(summary.requests),
        )


class FaqVotesOut(Out):
    faq_id: str
    up: int
    down: int
    total: int
    down_rate: float


class UnansweredGroupOut(Out):
    representative: str
    count: int
    conversations: int
    languages: list[str]
    examples: list[str]
    message_ids: list[int] = Field(
        description="The latest customer message of each example, in order: what `POST /api/v1/question-labels` labels."
    )
    outcomes: dict[str, int]
    last_asked_at: datetime
    create_faq_url: str = Field(description="The knowledge-base editor, pre-filled with the examples.")

    @classmethod
    def of(cls, group: UnansweredGroup) -> UnansweredGroupOut:
        return cls.model_validate({**asdict(group), "create_faq_url": faq_draft_url(group.examples)})


class UnansweredOut(BaseModel):
    questions: int = Field(description="Unanswered or low-confidence customer messages in the scope.")
    grouped: int = Field(description="The most recent of them that were grouped.")
    min_confidence: float
    groups: list[UnansweredGroupOut]

    @classmethod
    def of(cls, unanswered: Unanswered) -> UnansweredOut:
        return cls(
            questions=unanswered.questions,
            grouped=unanswered.grouped,
            min_confidence=unanswered.min_confidence,
            groups=[UnansweredGroupOut.of(g) for g in unanswered.groups],
        )


class CommentOut(Out):
    id: int
    conversation_id: str
    created_at: datetime
    channel: str
    language: str
    comment: str
    dimensions: list[Dimension]


class CommentsOut(Out):
    total: int
    untagged: int
    by_dimension: list[CountOut]
    comments: list[CommentOut]


class FeedbackOut(Out):
    id: int
    conversation_id: str
    kind: str
    faq_id: str | None
    vote: str | None
    score: int | None
    comment: str | None
    turn: int | None
    channel: str
    language: str
    created_at: datetime
