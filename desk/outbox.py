"""Agent replies on their way to the customer's channel: what is due, what arrived, what to retry.

A reply is stored before anyone tries to deliver it; a failed delivery is retried with exponential
backoff and, after `max_attempts`, waits as `failed` until an agent asks for another try.

A conversation's messages go out in the order they were stored: one waits while an earlier one of
its conversation is still on its way (pending or retrying); a failed one (given up) no longer holds
the others back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from desk.models import Conversation, Delivery, Message, MessageState, Sender, utcnow

RETRYABLE = (Delivery.PENDING, Delivery.RETRYING)


def agent_message(conversation_id: str, text: str, language: str, author_id: int, now: datetime) -> Message:
    """A message of staff to the customer, due for delivery now: the row the delivery worker takes
    (an agent's reply, the decision on a request)."""
    return Message(
        conversation_id=conversation_id,
        sender=Sender.AGENT,
        text=text,
        language=language,
        state=MessageState.SENT,
        author_id=author_id,
        delivery=Delivery.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(seconds=2)
    factor: float = 2.0
    longest: timedelta = timedelta(minutes=5)
    max_attempts: int = 8

    def after(self, attempts: int) -> timedelta:
        return min(self.longest, self.first * (self.factor ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Outgoing:
    """A message on its way out, with what the channel needs to address and render it."""

    message_id: int
    conversation_id: str
    channel: str
    customer_id: str | None
    text: str
    attempts: int
    sender: str = "agent"
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    channel_data: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # the message's own (a channel's fixed words around it follow it)


@dataclass(frozen=True)
class DeliveryState:
    message_id: int
    conversation_id: str
    delivery: Delivery
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(
        self, sessions: sessionmaker[Session], backoff: Backoff = Backoff(), clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._backoff = backoff
        self._clock = clock

    def due(self, limit: int = 50, message_id: int | None = None) -> list[Outgoing]:
        """Replies whose next attempt is due (or the one asked for), oldest first; never one whose
        conversation has an earlier message still on its way and not due (waiting out its backoff,
        or being sent by a worker): a later reply must not overtake it. Earlier ones that are due come
        first in the list, and a worker sends none after one that fails (`DeliveryWorker`)."""
        now = self._clock()
        earlier = aliased(Message)
        overtaking = exists().where(
            earlier.conversation_id == Message.conversation_id,
            earlier.id < Message.id,
            earlier.delivery.in_(list(RETRYABLE)),
            earlier.next_attempt_at > now,
        )
        with self._sessions() as session:
            query = (
                select(Message, Conversation.channel, Conversation.customer_id, Conversation.channel_data)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.delivery.in_(list(RETRYABLE)), Message.next_attempt_at <= now, ~overtaking)
                .order_by(Message.id)
                .limit(limit)
            )
            if message_id is not None:
                query = query.where(Message.id == message_id)
            return [
                Outgoing(
                    m.id,
                    m.conversation_id,
                    channel,
                    customer,
                    m.text,
                    m.attempts,
                    m.sender,
                    tuple((str(b.get("title", "")), str(b.get("payload", ""))) for b in m.buttons or []),
                    dict(data or {}),
                    m.language,
                )
                for m, channel, customer, data in session.execute(query)
            ]

    def enqueue(self, message_ids: list[int]) -> None:
        """Send stored bot messages through the channel after all, e.g. when a channel could not
        answer within its request (WeChat's 5-second budget, Slack's acknowledgement first)."""
        if not message_ids:
            return
        with self._sessions() as session:
            now = self._clock()
            session.execute(
                update(Message)
                .where(Message.id.in_(message_ids), Message.delivery.is_(None))
                .values(delivery=Delivery.PENDING, attempts=0, next_attempt_at=now)
            )
            session.commit()

    def take(self, message_id: int) -> bool:
        """Hold a due reply for one delivery attempt, so that two workers never send it twice."""
        with self._sessions() as session:
            lease = self._clock() + self._backoff.longest
            result = session.execute(
                update(Message)
                .where(
                    Message.id == message_id,
                    Message.delivery.in_(list(RETRYABLE)),
                    Message.next_attempt_at <= self._clock(),
                )
                .values(next_attempt_at=lease)
            )
            session.commit()
            return bool(getattr(result, "rowcount", 0) == 1)

    def delivered(self, message_id: int) -> DeliveryState:
        with self._sessions() as session:
            message = session.get_one(Message, message_id)
            message.delivery = Delivery.DELIVERED
            message.attempts += 1
            message.delivered_at = self._clock()
            message.next_attempt_at = None
            message.last_error = None
            session.commit()
            return _state(message)

    def attempt_failed(self, message_id: int, error: str) -> DeliveryState:
        with self._sessions() as session:
            message = session.get_one(Message, message_id)
            message.attempts += 1
            message.last_error = error[:500]
            if message.attempts >= self._backoff.max_attempts:
                message.delivery = Delivery.FAILED
                message.next_attempt_at = None
            else:
                message.delivery = Delivery.RETRYING
                message.next_attempt_at = self._clock() + self._backoff.after(message.attempts)
            session.commit()
            return _state(message)

    def in_flight(self, conversation_id: str) -> bool:
        """Whether any of the conversation's messages is still on its way (pending or retrying)."""
        with self._sessions() as session:
            found = session.scalar(
                select(Message.id)
                .where(Message.conversation_id == conversation_id, Message.delivery.in_(list(RETRYABLE)))
                .limit(1)
            )
            return found is not None

    def retry_waiting(self, conversation_id: str) -> list[int]:
        """The customer can be reached again (they wrote): the conversation's replies waiting out their
        backoff are due now. Failed ones stay failed (an agent retries those)."""
        with self._sessions() as session:
            now = self._clock()
            ids = list(
                session.scalars(
                    select(Message.id).where(
                        Message.conversation_id == conversation_id,
                        Message.delivery == Delivery.RETRYING,
                        Message.next_attempt_at > now,
                    )
                )
            )
            if ids:
                session.execute(update(Message).where(Message.id.in_(ids)).values(next_attempt_at=now))
                session.commit()
            return ids

    def retry_now(self, message_id: int) -> DeliveryState | None:
        """An agent asks for another try of a failed (or waiting) reply."""
        with self._sessions() as session:
            message = session.get(Message, message_id)
            if message is None or message.delivery is None or message.delivery == Delivery.DELIVERED:
                return None
            message.delivery = Delivery.RETRYING
            message.next_attempt_at = self._clock()
            session.commit()
            return _state(message)


def _state(message: Message) -> DeliveryState:
    return DeliveryState(
        message.id,
        message.conversation_id,
        Delivery(message.delivery or Delivery.PENDING),
        message.attempts,
        message.last_error,
    )
