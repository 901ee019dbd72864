"""Votes on answers, CSAT ratings and comments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.models import Conversation, Feedback, Message, Sender, utcnow

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
    ) -> int:
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
            row = Feedback(
                conversation_id=conversation_id,
                kind=kind,
                faq_id=faq_id,
                vote=vote,
                score=score,
                comment=comment,
                turn=turn,
                channel=channel,
                language=language,
                created_at=self._clock(),
            )
            session.add(row)
            session.commit()
            return row.id

    def for_conversation(self, conversation_id: str) -> list[Feedback]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Feedback).where(Feedback.conversation_id == conversation_id).order_by(Feedback.id)
            ).all()
            session.expunge_all()
            return list(rows)
