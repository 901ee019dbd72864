"""Conversations, their transcripts and their state machine, in the database."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.access import digest
from desk.models import Conversation, ConversationStatus, Delivery, Message, MessageState, Sender, Turn, utcnow
from desk.turns import BotMessage, Outcome, TurnRecord

# bot → queued (handed off) → agent (claimed) → resolved (CSAT asked) → bot (customer writes again).
# A human can also hand back to the bot from queued or agent.
TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.BOT: frozenset({ConversationStatus.QUEUED}),
    ConversationStatus.QUEUED: frozenset(
        {ConversationStatus.AGENT, ConversationStatus.RESOLVED, ConversationStatus.BOT}
    ),
    ConversationStatus.AGENT: frozenset(
        {ConversationStatus.QUEUED, ConversationStatus.RESOLVED, ConversationStatus.BOT}
    ),
    ConversationStatus.RESOLVED: frozenset({ConversationStatus.BOT, ConversationStatus.QUEUED}),
}

DEFAULT_LANGUAGE = "en"

# A browser-started conversation: its server-chosen id, and the key that opens it.
KEYED_ID_PREFIX = "c-"
CONVERSATION_KEY_PREFIX = "lck_"

# The claim on a customer message (its turn's lease): one still "processing" after this was left by a
# process that died mid-turn, and another process or the retry loop takes it over, so it is what the
# customers of a killed app wait. It must outlast every live turn, or a slow one would be answered
# twice: the turn service cuts a turn's Rasa work at `engine.turns.TURN_DEADLINE`, this lease minus
# the time the turn's database writes get (tests/engine/test_turn_deadline.py checks the relation).
STALE_PROCESSING = timedelta(seconds=60)

HUMAN_OWNED = frozenset({ConversationStatus.QUEUED, ConversationStatus.AGENT})


def abandoned(now: datetime, stale_after: timedelta = STALE_PROCESSING) -> ColumnElement[bool]:
    """A customer message left "processing" by a process that died mid-turn: its claim lapsed
    (`next_attempt_at`), or, claimed as it was stored (no lapse time), it is older than any turn takes."""
    # Each branch is true or false, never NULL: the retry loop negates this.
    return and_(
        Message.state == MessageState.PROCESSING,
        or_(
            and_(Message.next_attempt_at.is_not(None), Message.next_attempt_at < now),
            and_(Message.next_attempt_at.is_(None), Message.created_at < now - stale_after),
        ),
    )


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class PreviousQuestion:
    """A customer's earlier message and what the bot did with it (its turn's outcome and entry)."""

    text: str
    outcome: Outcome
    faq_id: str | None


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    sender: str
    text: str
    payload: str | None
    buttons: list[dict[str, str]]
    language: str | None
    state: MessageState
    outcome: str | None
    faq_id: str | None
    confidence: float | None
    created_at: datetime
    # Messages pushed to the customer outside a request (agent replies, CSAT question).
    author_id: int | None = None
    delivery: str | None = None
    attempts: int = 0
    last_error: str | None = None
    # Customer messages that failed: when the retry loop tries again (desk/answer_backlog.py).
    next_attempt_at: datetime | None = None

    @classmethod
    def of(cls, row: Message) -> StoredMessage:
        return cls(
            row.id,
            row.conversation_id,
            row.sender,
            row.text,
            row.payload,
            list(row.buttons or []),
            row.language,
            MessageState(row.state),
            row.outcome,
            row.faq_id,
            row.confidence,
            row.created_at,
            row.author_id,
            row.delivery,
            row.attempts or 0,
            row.last_error,
            row.next_attempt_at,
        )


@dataclass(frozen=True)
class ConversationView:
    id: str
    channel: str
    customer_id: str | None
    language: str
    rasa_language: str | None
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime
    rasa_pending_intent: str | None = None
    channel_data: dict[str, Any] = field(default_factory=dict)
    client_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Conversation) -> ConversationView:
        return cls(
            row.id,
            row.channel,
            row.customer_id,
            row.language,
            row.rasa_language,
            ConversationStatus(row.status),
            row.created_at,
            row.updated_at,
            row.rasa_pending_intent,
            dict(row.channel_data or {}),
            dict(row.client_metadata or {}),
        )


@dataclass(frozen=True)
class Inbound:
    """A customer message as stored: `duplicate` when the client already sent this message id."""

    message: StoredMessage
    conversation: ConversationView
    duplicate: bool
    # The customer wrote again after an agent resolved: the conversation went back to the bot.
    reopened: bool = False


class ConversationStore:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, conversation_id: str) -> ConversationView | None:
        with self._sessions() as session:
            row = session.get(Conversation, conversation_id)
            return ConversationView.of(row) if row else None

    def start_keyed(
        self, *, channel: str, language: str | None, client_metadata: dict[str, Any]
    ) -> tuple[ConversationView, str]:
        """A conversation a browser starts: a server-chosen id and the key that opens it, which is
        returned once and stored only as a hash."""
        key = CONVERSATION_KEY_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions() as session:
            conversation = Conversation(
                id=KEYED_ID_PREFIX + secrets.token_urlsafe(16),
                channel=channel,
                language=language or DEFAULT_LANGUAGE,
                status=ConversationStatus.BOT,
                access_key_hash=digest(key),
                client_metadata=client_metadata or None,
                created_at=now,
                updated_at=now,
            )
            session.add(conversation)
            session.commit()
            return ConversationView.of(conversation), key

    def opened_by(self, conversation_id: str, key: str) -> ConversationView | None:
        """The conversation, if `key` is its key; None when it is unknown, keyless or another's."""
        with self._sessions() as session:
            row = session.get(Conversation, conversation_id)
            if row is None or row.access_key_hash is None:
                # Compare anyway, so an unknown id takes as long as a wrong key.
                hmac.compare_digest(digest(key), digest(""))
                return None
            return ConversationView.of(row) if hmac.compare_digest(row.access_key_hash, digest(key)) else None

    def record_inbound(
        self,
        conversation_id: str,
        *,
        text: str,
        payload: str | None,
        language: str | None,
        channel: str,
        default_language: str | None = None,
        customer_id: str | None = None,
        client_message_id: str | None = None,
        channel_data: dict[str, Any] | None = None,
        claim: bool = False,
    ) -> Inbound:
        """Store a customer message (creating the conversation on first contact) and commit it.

        `language` None keeps the conversation's language (a button press, a bare order number); a new
        conversation then takes `default_language` (the channel's), else English.
        A resolved conversation goes back to the bot when the customer writes again.
        `claim`: a new message for the bot is stored already taken for processing, as `claim` would
        take it, in the same commit (one commit per turn less).
        """
        with self._sessions() as session:
            if client_message_id:
                existing = session.scalar(
                    select(Message).where(
                        Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
                    )
                )
                if existing is not None:
                    conversation = session.get_one(Conversation, conversation_id)
                    return Inbound(StoredMessage.of(existing), ConversationView.of(conversation), True)
            found = session.get(Conversation, conversation_id)
            now = self._clock()
            if found is not None:
                conversation = found
            else:
                conversation = Conversation(
                    id=conversation_id,
                    channel=channel,
                    customer_id=customer_id,
                    language=language or default_language or DEFAULT_LANGUAGE,
                    status=ConversationStatus.BOT,
                    created_at=now,
                    updated_at=now,
                )
                session.add(conversation)
            conversation.language = language or conversation.language
            if channel_data:
                conversation.channel_data = {**(conversation.channel_data or {}), **channel_data}
            reopened = conversation.status == ConversationStatus.RESOLVED
            if reopened:
                conversation.status = ConversationStatus.BOT
            conversation.updated_at = now
            message = Message(
                conversation_id=conversation_id,
                sender=Sender.CUSTOMER,
                text=text,
                payload=payload,
                language=conversation.language,
                client_message_id=client_message_id,
                created_at=now,
                state=MessageState.HELD
                if conversation.status in HUMAN_OWNED
                else MessageState.PROCESSING
                if claim
                else MessageState.RECEIVED,
            )
            session.add(message)
            try:
                session.commit()
            except IntegrityError:
                # The same client message id raced in from a retry: answer with the stored one.
                session.rollback()
                return self.record_inbound(
                    conversation_id,
                    text=text,
                    payload=payload,
                    language=language,
                    channel=channel,
                    default_language=default_language,
                    customer_id=customer_id,
                    client_message_id=client_message_id,
                    channel_data=channel_data,
                    claim=claim,
                )
            return Inbound(StoredMessage.of(message), ConversationView.of(conversation), False, reopened)

    def claim(self, message_id: int, stale_after: timedelta = STALE_PROCESSING) -> bool:
        """Take a received, failed (or given up: the customer's own retry still gets an answer)
        customer message for processing; False when another request or the retry loop has it.

        The claim lasts `stale_after`: a message still "processing" after that was left by a process
        that died mid-turn, and a retry may take it over (`abandoned`)."""
        now = self._clock()
        takeable = (MessageState.RECEIVED, MessageState.FAILED, MessageState.UNANSWERED)
        with self._sessions() as session:
            result = session.execute(
                update(Message)
                .where(Message.id == message_id, or_(Message.state.in_(takeable), abandoned(now, stale_after)))
                .values(state=MessageState.PROCESSING, next_attempt_at=now + stale_after)
            )
            session.commit()
            return bool(getattr(result, "rowcount", 0) == 1)

    def mark(self, message_id: int, state: MessageState) -> None:
        with self._sessions() as session:
            session.get_one(Message, message_id).state = state
            session.commit()

    def record_reply(
        self,
        conversation_id: str,
        inbound_id: int,
        messages: Sequence[BotMessage],
        turn: TurnRecord,
        *,
        language: str,
        latency_ms: float | None,
    ) -> list[StoredMessage]:
        """Store the bot's messages and the turn record together, and mark the inbound answered (or
        held, when the turn put it in the agent inbox)."""
        with self._sessions() as session:
            conversation = session.get_one(Conversation, conversation_id)
            now = self._clock()
            rows = bot_messages(conversation_id, messages, turn, language, now)
            for row in rows:
                row.reply_to = inbound_id
            session.add_all(rows)
            session.add(
                Turn(
                    conversation_id=conversation_id,
                    message_id=inbound_id,
                    channel=conversation.channel,
                    language=language,
                    outcome=turn.outcome,
                    faq_id=turn.faq_id,
                    confidence=turn.confidence,
                    latency_ms=latency_ms,
                    created_at=now,
                )
            )
            inbound = session.get_one(Message, inbound_id)
            inbound.state = MessageState.HELD if turn.outcome == Outcome.QUEUED else MessageState.ANSWERED
            inbound.next_attempt_at = None  # the claim's end, or a retry no longer due
            conversation.updated_at = now
            session.commit()
            return [StoredMessage.of(r) for r in rows]

    def record_pushed(
        self, conversation_id: str, messages: Sequence[BotMessage], turn: TurnRecord, *, language: str
    ) -> list[StoredMessage]:
        """Store bot messages that answer no customer message (the CSAT question after an agent
        resolved): they go to the customer through the outbox, like an agent's reply."""
        with self._sessions() as session:
            now = self._clock()
            rows = bot_messages(conversation_id, messages, turn, language, now)
            for row in rows:
                row.delivery, row.attempts, row.next_attempt_at = Delivery.PENDING, 0, now
            session.add_all(rows)
            session.commit()
            return [StoredMessage.of(r) for r in rows]

    def pending_resumptions(self, limit: int = 20, stale_after: timedelta = STALE_PROCESSING) -> list[ConversationView]:
        """Conversations an agent closed while Rasa could not be told (and nobody is telling it now)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Conversation)
                .where(Conversation.rasa_pending_intent.is_not(None), self._resume_free(stale_after))
                .limit(limit)
            ).all()
            return [ConversationView.of(r) for r in rows]

    def claim_resumption(self, conversation_id: str, stale_after: timedelta = STALE_PROCESSING) -> str | None:
        """Take the pending intent for resuming Rasa with it; None when nothing is pending or another
        request has it. Exactly one of competing requests gets it (a conditional update), so Rasa is
        resumed, and the rating asked, once. A claim older than `stale_after` was left by a process
        that died mid-resume: it may be taken over."""
        with self._sessions() as session:
            won = session.execute(
                update(Conversation)
                .where(
                    Conversation.id == conversation_id,
                    Conversation.rasa_pending_intent.is_not(None),
                    self._resume_free(stale_after),
                )
                .values(rasa_resume_claimed_at=self._clock())
            )
            if getattr(won, "rowcount", 0) != 1:
                session.rollback()
                return None
            # Read in the same transaction: the row is ours until the commit.
            intent = session.scalar(select(Conversation.rasa_pending_intent).where(Conversation.id == conversation_id))
            session.commit()
            return intent

    def release_resumption(self, conversation_id: str) -> None:
        """The resume failed (Rasa down): the intent stays pending for a later turn or retry to claim."""
        with self._sessions() as session:
            session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(rasa_resume_claimed_at=None)
            )
            session.commit()

    def resumed(self, conversation_id: str, intent: str) -> None:
        """Rasa has been resumed with `intent`: nothing is pending any more (unless a newer close set
        another, which the next claim takes)."""
        with self._sessions() as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.rasa_pending_intent == intent)
                .values(rasa_pending_intent=None)
            )
            session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(rasa_resume_claimed_at=None)
            )
            session.commit()

    def _resume_free(self, stale_after: timedelta) -> ColumnElement[bool]:
        return or_(
            Conversation.rasa_resume_claimed_at.is_(None),
            Conversation.rasa_resume_claimed_at < self._clock() - stale_after,
        )

    def replies_to(self, inbound_id: int) -> list[StoredMessage]:
        """The bot messages that answer a customer message (`reply_to`). A message answered before
        that link existed, or answered with nothing: the bot messages stored after it and before the
        next customer message that answer no other one."""
        with self._sessions() as session:
            linked = session.scalars(select(Message).where(Message.reply_to == inbound_id).order_by(Message.id)).all()
            if linked:
                return [StoredMessage.of(row) for row in linked]
            inbound = session.get_one(Message, inbound_id)
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == inbound.conversation_id, Message.id > inbound_id)
                .order_by(Message.id)
            ).all()
            replies = []
            for row in rows:
                if row.sender == Sender.CUSTOMER:
                    break
                if row.reply_to is None:
                    replies.append(StoredMessage.of(row))
            return replies

    def set_rasa_language(self, conversation_id: str, language: str) -> None:
        with self._sessions() as session:
            session.get_one(Conversation, conversation_id).rasa_language = language
            session.commit()

    def previous_question(self, conversation_id: str, before_message_id: int) -> PreviousQuestion | None:
        """The customer's last answered message before this one and what its turn did: the light in
        which an elliptical follow-up ("那电池呢？") is read. None when there is none."""
        with self._sessions() as session:
            row = session.execute(
                select(Message.text, Turn.outcome, Turn.faq_id)
                .join(Turn, Turn.message_id == Message.id)
                .where(Turn.conversation_id == conversation_id, Turn.message_id < before_message_id)
                .order_by(Turn.message_id.desc())
                .limit(1)
            ).first()
            return PreviousQuestion(row.text, Outcome(row.outcome), row.faq_id) if row is not None else None

    def transcript(self, conversation_id: str) -> list[StoredMessage]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            ).all()
            return [StoredMessage.of(r) for r in rows]

    def offered_payloads(self, conversation_id: str, recent: int = 6) -> set[str]:
        """Button payloads among the last bot messages: the only payloads a customer can send back."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.sender == Sender.BOT)
                .order_by(Message.id.desc())
                .limit(recent)
            ).all()
            return {b["payload"] for r in rows for b in (r.buttons or []) if "payload" in b}

    def last_buttons(self, conversation_id: str, recent: int = 6) -> list[dict[str, str]]:
        """The buttons of the latest bot message that has any, among the bot messages since the
        customer's (or an agent's) last message: what a channel without buttons showed as numbered options.
        A message still in the outbox (or given up) has not reached the customer: its options are not
        what a number they type refers to (an undelivered rating question must not turn "2" into a rating)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(recent)
            ).all()
            for row in rows:
                if row.sender != Sender.BOT:
                    return []
                if row.buttons and row.delivery in (None, Delivery.DELIVERED):
                    return [dict(b) for b in row.buttons]
            return []

    def record_external_agent_reply(
        self, conversation_id: str, text: str, author_label: str, *, external_id: str | None = None
    ) -> StoredMessage | None:
        """Store a reply a person wrote outside the console (a WeCom 接待人员 in the WeCom client): an
        agent message the channel has already delivered, its text headed by who wrote it.

        `external_id` (the platform's message id) makes reading the same message again harmless.
        Returns None when nothing was stored: the conversation is unknown, or the message is already in."""
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                return None
            if external_id and session.scalar(
                select(Message.id).where(
                    Message.conversation_id == conversation_id, Message.client_message_id == external_id
                )
            ):
                return None
            now = self._clock()
            message = Message(
                conversation_id=conversation_id,
                sender=Sender.AGENT,
                text=f"[{author_label}] {text}",
                language=conversation.language,
                client_message_id=external_id,
                state=MessageState.SENT,
                delivery=Delivery.DELIVERED,
                delivered_at=now,
                created_at=now,
            )
            session.add(message)
            conversation.updated_at = now
            try:
                session.commit()
            except IntegrityError:  # the same message raced in from another read
                session.rollback()
                return None
            return StoredMessage.of(message)


def bot_messages(
    conversation_id: str, messages: Sequence[BotMessage], turn: TurnRecord, language: str, now: datetime
) -> list[Message]:
    """Rows for the bot's messages, each carrying the record of the turn they belong to."""
    return [
        Message(
            conversation_id=conversation_id,
            sender=Sender.BOT,
            text=m.text,
            buttons=m.buttons or None,
            language=language,
            state=MessageState.SENT,
            outcome=turn.outcome,
            faq_id=turn.faq_id,
            confidence=turn.confidence,
            created_at=now,
        )
        for m in messages
    ]


def move(conversation: Conversation, to: ConversationStatus, now: datetime) -> None:
    """Move along the state machine; an impossible move is an error, not a silent overwrite."""
    current = ConversationStatus(conversation.status)
    if current == to:
        return
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"conversation {conversation.id} cannot go from {current} to {to}")
    conversation.status = to
    conversation.updated_at = now


def transcript_json(messages: Sequence[StoredMessage]) -> list[dict[str, Any]]:
    return [
        {"sender": m.sender, "text": m.text, "at": m.created_at.isoformat(), "outcome": m.outcome, "faq_id": m.faq_id}
        for m in messages
    ]
