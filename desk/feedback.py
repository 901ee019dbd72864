"""Votes on answers, CSAT ratings and comments.

A customer's feedback counts once however often it arrives: a turn Rasa ran twice (a retry after a
timeout), a button pressed twice. Each row is keyed by what it is about (`Feedback.about`, unique per
conversation and kind): a vote by the question whose answer it rates, a rating by the escalation
whose resolution it rates, anything else by the customer message that gave it. A repeat is a no-op:
the first one counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.models import Conversation, Escalation, EscalationStatus, Feedback, Message, Sender, utcnow

Vote = Literal["up", "down"]


@dataclass(frozen=True)
class FeedbackView:
    """One vote, CSAT score or comment, as the console and analytics show it."""

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

    @classmethod
    def of(cls, row: Feedback) -> FeedbackView:
        return cls(
            row.id,
            row.conversation_id,
            row.kind,
            row.faq_id,
            row.vote,
            row.score,
            row.comment,
            row.turn,
            row.channel,
            row.language,
            row.created_at,
        )


class FeedbackBook:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(
        self,
        conversation_id: str,
        *,
        kind: Literal["vote", "csat", "comment"],
        channel: str,
        language: str,
        faq_id: str | None = None,
        vote: Vote | None = None,
        score: int | None = None,
        comment: str | None = None,
        message_id: int | None = None,
        question_id: int | None = None,
    ) -> int:
        """Store a vote, rating or comment; the id of its row (of the row already there when it
        repeats one). `message_id`: the customer message that gave it (None: no repeat is
        recognised); `question_id`: for a vote, the customer message whose answer it rates."""
        if kind == "csat" and (score is None or not 1 <= score <= 5):
            raise ValueError("a CSAT score is a whole number from 1 to 5")
        if kind == "vote" and vote not in ("up", "down"):
            raise ValueError("a vote is 'up' or 'down'")
        with self._sessions() as session:
            if session.get(Conversation, conversation_id) is None:
                session.add(Conversation(id=conversation_id, channel=channel, language=language))
                session.flush()
            turn = session.scalar(
                select(func.count(Message.id)).where(
                    Message.conversation_id == conversation_id, Message.sender == Sender.CUSTOMER
                )
            )
            about = _about(session, conversation_id, kind, message_id, question_id)
            row = Feedback(
                conversation_id=conversation_id,
                kind=kind,
                faq_id=faq_id,
                vote=vote,
                score=score,
                comment=comment,
                turn=turn,
                message_id=message_id,
                about=about,
                channel=channel,
                language=language,
                created_at=self._clock(),
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                # The same feedback again (or racing in at once): the first one counts.
                session.rollback()
                first = session.scalar(
                    select(Feedback.id).where(
                        Feedback.conversation_id == conversation_id, Feedback.kind == kind, Feedback.about == about
                    )
                )
                if first is None:
                    raise
                return first
            return row.id

    def for_conversation(self, conversation_id: str) -> list[Feedback]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Feedback).where(Feedback.conversation_id == conversation_id).order_by(Feedback.id)
            ).all()
            session.expunge_all()
            return list(rows)


def _about(
    session: Session, conversation_id: str, kind: str, message_id: int | None, question_id: int | None
) -> str | None:
    if message_id is None:
        return None
    if kind == "vote" and question_id is not None:
        return f"answer:{question_id}"
    if kind == "csat":
        # The CSAT question follows an agent's resolution: one rating per resolved escalation.
        resolved = session.scalar(
            select(Escalation.id)
            .where(Escalation.conversation_id == conversation_id, Escalation.status == EscalationStatus.RESOLVED)
            .order_by(Escalation.resolved_at.desc(), Escalation.id.desc())
            .limit(1)
        )
        if resolved is not None:
            return f"escalation:{resolved}"
    return f"message:{message_id}"
