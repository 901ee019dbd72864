"""The requests API's bodies: return, exchange and repair requests, an agent's rejection and edit,
and a decision with the message that tells the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from api.schemas.escalations import MessageOut
from api.schemas.strict import Strict
from desk.models import RequestKind, RequestService, RequestStatus
from desk.service_requests import MAX_DECISION_REASON, MAX_REASON, Decision, RequestChanges, RequestView


class RequestOut(BaseModel):
    id: int
    kind: RequestKind
    status: RequestStatus
    conversation_id: str
    channel: str
    language: str
    order_number: str | None
    sku: str | None
    serial_number: str | None
    category: str | None
    reason: str = Field(description="The customer's words.")
    quality_problem: bool
    eligibility: dict[str, JsonValue] = Field(description="The policy decision the request was created under.")
    attachments: list[str] = Field(description="Media the channel gave; empty: an agent asks for photos or video.")
    rma_number: str | None = Field(description="Repairs only: RMA + 8 digits.")
    service: RequestService
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    decision_message_id: int | None = Field(description="The message that told the customer the decision.")
    created_at: datetime
    updated_at: datetime
    age_seconds: int

    @classmethod
    def of(cls, request: RequestView, now: datetime) -> RequestOut:
        return cls(
            id=request.id,
            kind=request.kind,
            status=request.status,
            conversation_id=request.conversation_id,
            channel=request.channel,
            language=request.language,
            order_number=request.order_number,
            sku=request.sku,
            serial_number=request.serial_number,
            category=request.category,
            reason=request.reason,
            quality_problem=request.quality_problem,
            eligibility=request.eligibility,
            attachments=request.attachments,
            rma_number=request.rma_number,
            service=request.service,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            decision_reason=request.decision_reason,
            decision_message_id=request.decision_message_id,
            created_at=request.created_at,
            updated_at=request.updated_at,
            age_seconds=request.age_seconds(now),
        )


class DecisionOut(BaseModel):
    request: RequestOut
    message: MessageOut = Field(description="What the customer is told; delivered through their channel.")

    @classmethod
    def of(cls, decision: Decision, now: datetime) -> DecisionOut:
        return cls(
            request=RequestOut.of(decision.request, now),
            message=_message(decision),
        )


def _message(decision: Decision) -> MessageOut:
    author = decision.request.decided_by
    return MessageOut.of(
        decision.message, {decision.message.author_id: author} if decision.message.author_id and author else {}
    )


class RejectIn(Strict):
    reason: str = Field(
        min_length=1, max_length=MAX_DECISION_REASON, description="Why: the customer receives it on their channel."
    )


class RequestEditIn(Strict):
    """What to change; a field left out stays as it is, an empty string clears an optional one."""

    kind: Literal["return", "exchange", "repair"] | None = None
    order_number: str | None = Field(default=None, max_length=40, description="LM + 12 digits, or empty.")
    sku: str | None = Field(default=None, max_length=64)
    serial_number: str | None = Field(default=None, max_length=40, description="e.g. RV2406123456, or empty.")
    service: Literal["mail_in_pickup", "on_site"] | None = None
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    quality_problem: bool | None = None

    def changes(self) -> RequestChanges:
        return RequestChanges(
            kind=RequestKind(self.kind) if self.kind else None,
            order_number=self.order_number,
            sku=self.sku,
            serial_number=self.serial_number,
            service=RequestService(self.service) if self.service else None,
            reason=self.reason,
            quality_problem=self.quality_problem,
        )
