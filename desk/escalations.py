"""Opening escalations and telling the customer their place in the queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import StoredMessage, move, transcript_json
from desk.handoff import (
    PRIORITY,
    PRIORITY_RANK,
    HandoffReason,
    QueuePlace,
    ServiceHours,
    expected_wait_minutes,
)
from desk.models import (
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    Message,
    Priority,
    Sender,
    utcnow,
)
from desk.settings import DeskSettings
from knowledge.identifiers import PERSONAL, find_identifiers

OPEN = (EscalationStatus.QUEUED, EscalationStatus.CLAIMED)


@dataclass(frozen=True)
class EscalationView:
    id: int
    conversation_id: str
    reason: str
    priority: Priority
    status: EscalationStatus
    created_at: datetime
    sla_due_at: datetime
    identifiers: dict[str, list[str]]
    candidates: list[dict[str, Any]]

    @classmethod
    def of(cls, row: Escalation) -> EscalationView:
        return cls(
            row.id,
            row.conversation_id,
            row.reason,
            Priority(row.priority),
            EscalationStatus(row.status),
            row.created_at,
            row.sla_due_at,
            dict(row.identifiers or {}),
            list(row.candidates or []),
        )


@dataclass(frozen=True)
class Handoff:
    escalation: EscalationView
    place: QueuePlace
    created: bool  # False when the conversation already had an open escalation


class EscalationDesk:
    def __init__(
        self, sessions: sessionmaker[Session], settings: DeskSettings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self.hours = ServiceHours(settings.service_opens, settings.service_closes, settings.timezone)

    def open(
        self,
        conversation_id: str,
        reason: HandoffReason,
        *,
        channel: str,
        language: str,
        trigger_text: str = "",
        candidates: Sequence[dict[str, Any]] = (),
    ) -> Handoff:
        """Open an escalation and put the conversation in the queue, once.

        A second trigger while one is open keeps the existing escalation, raising its priority if the
        new reason is more urgent (a complaint that turns into a safety incident).
        """
        priority = PRIORITY[reason]
        now = self._clock()
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                conversation = Conversation(id=conversation_id, channel=channel, language=language)
                session.add(conversation)
                session.flush()
            existing = session.scalar(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id, Escalation.status.in_(OPEN))
                .order_by(Escalation.id.desc())
            )
            if existing is not None:
                if PRIORITY_RANK[priority] < PRIORITY_RANK[Priority(existing.priority)]:
                    existing.priority = priority
                    existing.reason = reason
                    existing.sla_due_at = self.hours.sla_due(priority, existing.created_at)
                session.commit()
                view = EscalationView.of(existing)
                return Handoff(view, self._place(session, existing), created=False)
            messages = session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            ).all()
            escalation = Escalation(
                conversation_id=conversation_id,
                reason=reason,
                priority=priority,
                status=EscalationStatus.QUEUED,
                channel=channel,
                language=language,
                trigger_text=trigger_text,
                identifiers=_identifiers(m.text for m in messages if m.sender == Sender.CUSTOMER),
                candidates=list(candidates),
                transcript=transcript_json([StoredMessage.of(m) for m in messages]),
                created_at=now,
                sla_due_at=self.hours.sla_due(priority, now),
            )
            session.add(escalation)
            move(conversation, ConversationStatus.QUEUED, now)
            session.commit()
            return Handoff(EscalationView.of(escalation), self._place(session, escalation), created=True)

    def open_for(self, conversation_id: str) -> EscalationView | None:
        with self._sessions() as session:
            row = session.scalar(
                select(Escalation).where(Escalation.conversation_id == conversation_id).order_by(Escalation.id.desc())
            )
            return EscalationView.of(row) if row else None

    def place_of(self, conversation_id: str) -> QueuePlace | None:
        """Where the conversation's queued escalation stands now (None when it is not queued)."""
        with self._sessions() as session:
            row = session.scalar(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id, Escalation.status == EscalationStatus.QUEUED)
                .order_by(Escalation.id.desc())
            )
            return self._place(session, row) if row else None

    def _place(self, session: Session, escalation: Escalation) -> QueuePlace:
        rank = PRIORITY_RANK[Priority(escalation.priority)]
        more_urgent = [p for p, r in PRIORITY_RANK.items() if r < rank]
        ahead = (
            session.scalar(
                select(func.count(Escalation.id)).where(
                    Escalation.status == EscalationStatus.QUEUED,
                    Escalation.id != escalation.id,
                    or_(
                        Escalation.priority.in_(more_urgent),
                        and_(
                            Escalation.priority == escalation.priority, Escalation.created_at <= escalation.created_at
                        ),
                    ),
                )
            )
            or 0
        )
        position = ahead + 1
        now = self._clock()
        open_now = self.hours.is_open(now)
        return QueuePlace(
            position=position,
            expected_wait_minutes=expected_wait_minutes(
                position, self._settings.agents_on_duty, self._settings.minutes_per_customer
            ),
            in_service_hours=open_now,
            opens_at=None if open_now else self.hours.next_opening(now),
        )


def _identifiers(texts: Sequence[str] | Any) -> dict[str, list[str]]:
    """Order, repair and serial numbers the customer gave (personal data stays in the transcript only)."""
    found: dict[str, list[str]] = {}
    for text in texts:
        for identifier in find_identifiers(text):
            if identifier.label in PERSONAL:
                continue
            values = found.setdefault(identifier.label.lower(), [])
            if identifier.text not in values:
                values.append(identifier.text)
    return found
