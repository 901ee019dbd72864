"""Customer messages the assistant still owes an answer: their turn failed (Rasa was down, or did not
answer in time) or was left mid-way by a process that died (also one stored for a platform that is
acknowledged first, engine/port.py `receive`, and never answered). The retry loop (engine/retries.py) and
the customer's next turn answer them from here, oldest first; whoever answers one claims it first
(`ConversationStore.claim`, a conditional update), so each is answered once whichever replica tries.
One still waiting after the schedule's bound is given up: `MessageState.UNANSWERED`, which the
console's transcript shows.

Customer messages use the columns the outbox keeps for outgoing ones: `attempts` (attempts at an
answer), `next_attempt_at` (when a failed one is due again; while one is claimed, when the claim
lapses) and `last_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from desk.conversations import STALE_PROCESSING, StoredMessage, abandoned
from desk.models import Message, MessageState, Sender, utcnow


@dataclass(frozen=True)
class RetrySchedule:
    """When a failed message is tried again: after `first`, then twice as long each time up to
    `longest`; it is given up `give_up_after` it was written."""

    first: timedelta = timedelta(seconds=5)
    factor: float = 2.0
    longest: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = timedelta(hours=24)

    def after(self, attempts: int) -> timedelta:
        return min(self.longest, self.first * (self.factor ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Earlier:
    """What stands before a customer message in its conversation (`AnswerBacklog.earlier`)."""

    # Waiting for an answer (their turn failed, or was abandoned), oldest first: answered before it.
    waiting: list[StoredMessage]
    # Being answered right now by another request, replica or the retry loop (claimed, the claim not
    # lapsed), or stored and about to be (`receive`, then `handle`): its turn must go to Rasa first.
    in_flight: bool


@dataclass(frozen=True)
class GivenUp:
    message_id: int
    conversation_id: str


class AnswerBacklog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        stale_after: timedelta = STALE_PROCESSING,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._stale_after = stale_after

    def failed(self, message_id: int, error: str, schedule: RetrySchedule) -> int:
        """An attempt at answering the message failed: it is due again after the schedule's wait.
        Returns the attempts so far."""
        with self._sessions() as session:
            message = session.get_one(Message, message_id)
            message.attempts = (message.attempts or 0) + 1
            message.state = MessageState.FAILED
            message.last_error = error[:500]
            message.next_attempt_at = self._clock() + schedule.after(message.attempts)
            session.commit()
            return message.attempts

    def due(self, limit: int = 200) -> list[list[StoredMessage]]:
        """For each conversation whose oldest waiting message is due, its waiting messages, oldest
        first (answered in that order: Rasa must read them as the customer wrote them). A conversation
        with a message being answered right now is left to whoever answers it."""
        now = self._clock()
        with self._sessions() as session:
            busy = set(
                session.scalars(
                    select(Message.conversation_id).where(
                        Message.sender == Sender.CUSTOMER,
                        Message.state.in_((MessageState.PROCESSING, MessageState.RECEIVED)),
                        ~self._waiting(now),
                    )
                ).all()
            )
            rows = session.scalars(select(Message).where(self._waiting(now)).order_by(Message.id).limit(limit)).all()
        waiting: dict[str, list[StoredMessage]] = {}
        for row in rows:
            if row.conversation_id not in busy:
                waiting.setdefault(row.conversation_id, []).append(StoredMessage.of(row))
        return [messages for messages in waiting.values() if self._is_due(messages[0], now)]

    def before(self, conversation_id: str, message_id: int) -> list[StoredMessage]:
        """The conversation's waiting messages older than `message_id`, oldest first: a customer's new
        message is answered after them."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.id < message_id,
                    self._waiting(self._clock()),
                )
                .order_by(Message.id)
            ).all()
            return [StoredMessage.of(row) for row in rows]

    def earlier(self, conversation_id: str, message_id: int) -> Earlier:
        """The conversation's customer messages older than `message_id` that have no answer yet: those
        waiting (as `before`) and whether one is in flight elsewhere. One query: it runs on every turn."""
        now = self._clock()
        in_flight = and_(Message.state.in_((MessageState.PROCESSING, MessageState.RECEIVED)), ~self._waiting(now))
        with self._sessions() as session:
            rows = session.execute(
                select(Message, in_flight)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.id < message_id,
                    Message.sender == Sender.CUSTOMER,
                    or_(self._waiting(now), in_flight),
                )
                .order_by(Message.id)
            ).all()
            return Earlier(
                [StoredMessage.of(row) for row, busy in rows if not busy], any(bool(busy) for _, busy in rows)
            )

    def give_up(self, schedule: RetrySchedule) -> list[GivenUp]:
        """Waiting messages written longer ago than the schedule's bound are not answered any more:
        marked unanswered. Each is reported by the one call that marked it (a conditional update)."""
        now = self._clock()
        cutoff = now - schedule.give_up_after
        given_up: list[GivenUp] = []
        with self._sessions() as session:
            expired = session.execute(
                select(Message.id, Message.conversation_id).where(self._waiting(now), Message.created_at < cutoff)
            ).all()
            for message_id, conversation_id in expired:
                marked = session.execute(
                    update(Message)
                    .where(Message.id == message_id, self._waiting(now))
                    .values(state=MessageState.UNANSWERED, next_attempt_at=None)
                )
                if getattr(marked, "rowcount", 0) == 1:
                    given_up.append(GivenUp(message_id, conversation_id))
            session.commit()
        return given_up

    def waiting(self) -> int:
        """How many customer messages wait for an answer (failed, or abandoned mid-turn)."""
        with self._sessions() as session:
            return session.scalar(select(func.count(Message.id)).where(self._waiting(self._clock()))) or 0

    def _waiting(self, now: datetime) -> ColumnElement[bool]:
        return and_(
            Message.sender == Sender.CUSTOMER,
            or_(
                Message.state == MessageState.FAILED,
                abandoned(now, self._stale_after),
                and_(Message.state == MessageState.RECEIVED, Message.created_at < now - self._stale_after),
            ),
        )

    def _is_due(self, message: StoredMessage, now: datetime) -> bool:
        if message.state != MessageState.FAILED:
            return True  # abandoned (only those are waiting): nobody answers it any more
        return message.next_attempt_at is None or message.next_attempt_at <= now
