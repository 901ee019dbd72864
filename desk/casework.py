"""What agents do with an escalation: claim, reply, note, transfer, resolve, hand back to the bot.

Every change is one transaction with its audit entry. Competing changes are decided by the
database (conditional updates), so two agents claiming, or resolving and transferring, at once
cannot both win: the loser is refused with a Conflict (409).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.conversations import StoredMessage, move
from desk.customers import same_customer
from desk.feedback import FeedbackView
from desk.handoff import PRIORITY_RANK
from desk.models import (
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationNote,
    EscalationStatus,
    Feedback,
    Message,
    Priority,
    Role,
    Sender,
    User,
    utcnow,
)
from desk.outbox import agent_message
from desk.users import Staff, allows

MAX_TEXT = 4000
# How an escalation ended. `handed_back` is set by `hand_back`, not chosen in the resolve form.
RESOLUTION_CODES = ("answered", "refund_issued", "return_arranged", "repair_arranged", "replacement", "no_action")
HANDED_BACK = "handed_back"
# What Rasa is told when the conversation comes back to it (rules in bot/rules/feedback.yml).
RESUME_INTENT = {ConversationStatus.RESOLVED: "EXTERNAL_resolved", ConversationStatus.BOT: "EXTERNAL_handed_back"}
PRIORITY_ORDER = case({p.value: r for p, r in PRIORITY_RANK.items()}, value=Escalation.priority, else_=9)


class CaseworkError(Exception):
    """Base of the refusals below; `str()` is the message shown to the agent."""


class NotFound(CaseworkError):
    pass


class Conflict(CaseworkError):
    """The escalation is not in a state that allows this (already claimed, resolved, transferred)."""


class Forbidden(CaseworkError):
    """The escalation belongs to another agent."""


class InvalidText(CaseworkError, ValueError):
    """A reply or note that is empty (blanks only) or too long."""


@dataclass(frozen=True)
class QueueItem:
    id: int
    conversation_id: str
    customer_id: str | None
    channel: str
    language: str
    reason: str
    priority: Priority
    status: EscalationStatus
    created_at: datetime
    sla_due_at: datetime
    first_response_at: datetime | None
    assignee_id: int | None
    assignee: str | None
    last_customer_text: str

    def waiting_seconds(self, now: datetime) -> int:
        end = self.first_response_at or now
        return max(0, int((end - self.created_at).total_seconds()))

    def sla_breached(self, now: datetime) -> bool:
        responded = self.first_response_at
        return (responded or now) > self.sla_due_at


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    text: str
    created_at: datetime
    conversation_id: str


@dataclass(frozen=True)
class EarlierConversation:
    id: str
    channel: str
    status: str
    created_at: datetime
    escalations: int


@dataclass(frozen=True)
class CaseFile:
    """Everything the conversation view shows."""

    item: QueueItem
    trigger_text: str
    identifiers: dict[str, list[str]]
    candidates: list[dict[str, Any]]
    resolution_code: str | None
    resolution_note: str | None
    resolved_at: datetime | None
    conversation_status: ConversationStatus
    messages: list[StoredMessage]
    authors: dict[int, str]
    notes: list[Note]
    feedback: list[FeedbackView]
    earlier: list[EarlierConversation]


@dataclass(frozen=True)
class Change:
    """What a state change did, for the caller to announce (live views) and to act on (Rasa)."""

    escalation_id: int
    conversation_id: str
    channel: str
    language: str
    status: EscalationStatus
    conversation_status: ConversationStatus
    assignee_id: int | None


class Casework:
    def __init__(
        self, sessions: sessionmaker[Session], audit: AuditLog, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    # Reading --------------------------------------------------------------------------------------

    def queue(
        self,
        *,
        statuses: Sequence[EscalationStatus] = (EscalationStatus.QUEUED, EscalationStatus.CLAIMED),
        priority: Priority | None = None,
        channel: str | None = None,
        language: str | None = None,
        assignee_id: int | None = None,
        limit: int = 200,
    ) -> list[QueueItem]:
        """Escalations, most urgent first, then by SLA due time."""
        with self._sessions() as session:
            query = (
                select(Escalation, Conversation.customer_id, User.display_name)
                .join(Conversation, Conversation.id == Escalation.conversation_id)
                .outerjoin(User, User.id == Escalation.assignee_id)
                .where(Escalation.status.in_(list(statuses)))
                .order_by(PRIORITY_ORDER, Escalation.sla_due_at, Escalation.id)
                .limit(limit)
            )
            if priority:
                query = query.where(Escalation.priority == priority)
            if channel:
                query = query.where(Escalation.channel == channel)
            if language:
                query = query.where(Escalation.language == language)
            if assignee_id is not None:
                query = query.where(Escalation.assignee_id == assignee_id)
            rows = session.execute(query).all()
            last_texts = self._last_customer_texts(session, [row[0].conversation_id for row in rows])
            return [
                _item(e, customer, assignee, last_texts.get(e.conversation_id, "")) for e, customer, assignee in rows
            ]

    def case_file(self, escalation_id: int) -> CaseFile:
        with self._sessions() as session:
            escalation = self._get(session, escalation_id)
            conversation = session.get_one(Conversation, escalation.conversation_id)
            assignee = session.get(User, escalation.assignee_id) if escalation.assignee_id else None
            messages = session.scalars(
                select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
            ).all()
            author_ids = {m.author_id for m in messages if m.author_id is not None}
            notes = session.execute(
                select(EscalationNote, User.display_name)
                .join(User, User.id == EscalationNote.author_id)
                .where(EscalationNote.escalation_id == escalation_id)
                .order_by(EscalationNote.id)
            ).all()
            earlier_ids: list[str] = []
            earlier: list[EarlierConversation] = []
            if conversation.customer_id:
                # The same customer id, or one linked to it by an integration or staff (never inferred).
                identities = same_customer(session, conversation.customer_id).identities
                others = session.scalars(
                    select(Conversation)
                    .where(Conversation.customer_id.in_(identities), Conversation.id != conversation.id)
                    .order_by(Conversation.created_at.desc())
                    .limit(20)
                ).all()
                for other in others:
                    count = len(
                        session.scalars(select(Escalation.id).where(Escalation.conversation_id == other.id)).all()
                    )
                    earlier.append(EarlierConversation(other.id, other.channel, other.status, other.created_at, count))
                    earlier_ids.append(other.id)
            feedback = session.scalars(
                select(Feedback)
                .where(Feedback.conversation_id.in_([conversation.id, *earlier_ids]))
                .order_by(Feedback.id.desc())
                .limit(50)
            ).all()
            authors = (
                {
                    i: name
                    for i, name in session.execute(select(User.id, User.display_name).where(User.id.in_(author_ids)))
                }
                if author_ids
                else {}
            )
            last = next((m.text for m in reversed(messages) if m.sender == Sender.CUSTOMER), "")
            return CaseFile(
                item=_item(escalation, conversation.customer_id, assignee.display_name if assignee else None, last),
                trigger_text=escalation.trigger_text,
                identifiers=dict(escalation.identifiers or {}),
                candidates=list(escalation.candidates or []),
                resolution_code=escalation.resolution_code,
                resolution_note=escalation.resolution_note,
                resolved_at=escalation.resolved_at,
                conversation_status=ConversationStatus(conversation.status),
                messages=[StoredMessage.of(m) for m in messages],
                authors=authors,
                notes=[Note(n.id, name, n.text, n.created_at, conversation.id) for n, name in notes],
                feedback=[FeedbackView.of(f) for f in feedback],
                earlier=earlier,
            )

    # Changing -------------------------------------------------------------------------------------

    def claim(self, escalation_id: int, agent: Staff) -> Change:
        now = self._clock()
        with self._sessions() as session:
            won = session.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.QUEUED)
                .values(status=EscalationStatus.CLAIMED, assignee_id=agent.id, claimed_at=now)
            )
            escalation = self._get(session, escalation_id)
            if getattr(won, "rowcount", 0) != 1:
                session.rollback()
                raise Conflict(self._why_not_open(session, escalation, agent))
            conversation = session.get_one(Conversation, escalation.conversation_id)
            move(conversation, ConversationStatus.AGENT, now)
            self._audit.add(session, agent.actor, "escalation.claim", f"escalation:{escalation_id}")
            session.commit()
            return _change(escalation, conversation)

    def reply(self, escalation_id: int, agent: Staff, text: str) -> StoredMessage:
        """Store the agent's reply for delivery; delivery itself happens after the commit."""
        text = _clean(text)
        now = self._clock()
        with self._sessions() as session:
            escalation = self._owned(session, escalation_id, agent, "reply")
            self._hold(session, escalation, "reply")
            message = agent_message(escalation.conversation_id, text, escalation.language, agent.id, now)
            session.add(message)
            if escalation.first_response_at is None:
                escalation.first_response_at = now
            session.flush()
            self._audit.add(
                session, agent.actor, "escalation.reply", f"escalation:{escalation_id}", message_id=message.id
            )
            session.commit()
            return StoredMessage.of(message)

    def note(self, escalation_id: int, author: Staff, text: str) -> Note:
        text = _clean(text)
        with self._sessions() as session:
            escalation = self._get(session, escalation_id)
            row = EscalationNote(escalation_id=escalation_id, author_id=author.id, text=text, created_at=self._clock())
            session.add(row)
            session.flush()
            self._audit.add(session, author.actor, "escalation.note", f"escalation:{escalation_id}", note_id=row.id)
            session.commit()
            return Note(row.id, author.display_name, row.text, row.created_at, escalation.conversation_id)

    def transfer(self, escalation_id: int, by: Staff, to_user_id: int | None) -> Change:
        """Give the escalation to another agent, or back to the queue (`to_user_id` None)."""
        now = self._clock()
        with self._sessions() as session:
            escalation = self._owned(session, escalation_id, by, "transfer")
            self._hold(session, escalation, "transfer")
            conversation = session.get_one(Conversation, escalation.conversation_id)
            if to_user_id is None:
                escalation.status = EscalationStatus.QUEUED
                escalation.assignee_id = None
                escalation.claimed_at = None
                move(conversation, ConversationStatus.QUEUED, now)
                target = "queue"
            else:
                user = session.get(User, to_user_id)
                if user is None or not user.active:
                    raise NotFound("no active agent with that id")
                if to_user_id == escalation.assignee_id:
                    raise Conflict("the escalation is already assigned to that agent")
                escalation.assignee_id = user.id
                escalation.claimed_at = now
                target = f"user:{user.username}"
            self._audit.add(session, by.actor, "escalation.transfer", f"escalation:{escalation_id}", to=target)
            session.commit()
            return _change(escalation, conversation)

    def resolve(self, escalation_id: int, by: Staff, code: str, note: str = "") -> Change:
        if code not in RESOLUTION_CODES:
            raise ValueError(f"resolution code must be one of {', '.join(RESOLUTION_CODES)}")
        return self._close(escalation_id, by, code, note.strip()[:MAX_TEXT], ConversationStatus.RESOLVED)

    def hand_back(self, escalation_id: int, by: Staff) -> Change:
        return self._close(escalation_id, by, HANDED_BACK, "", ConversationStatus.BOT)

    def _close(self, escalation_id: int, by: Staff, code: str, note: str, to: ConversationStatus) -> Change:
        now = self._clock()
        with self._sessions() as session:
            doing = "resolve" if code != HANDED_BACK else "hand back"
            escalation = self._owned(session, escalation_id, by, doing)
            self._hold(session, escalation, doing)
            conversation = session.get_one(Conversation, escalation.conversation_id)
            escalation.status = EscalationStatus.RESOLVED
            escalation.resolved_at = now
            escalation.resolution_code = code
            escalation.resolution_note = note or None
            move(conversation, to, now)
            conversation.rasa_pending_intent = RESUME_INTENT[to]
            action = "escalation.hand_back" if code == HANDED_BACK else "escalation.resolve"
            self._audit.add(session, by.actor, action, f"escalation:{escalation_id}", code=code)
            session.commit()
            return _change(escalation, conversation)

    # Rules ----------------------------------------------------------------------------------------

    def _get(self, session: Session, escalation_id: int) -> Escalation:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            raise NotFound(f"no escalation {escalation_id}")
        return escalation

    def _owned(self, session: Session, escalation_id: int, user: Staff, doing: str) -> Escalation:
        """The escalation, if it is open and this user may act on it.

        The assignee acts on a claimed escalation; a lead may also transfer, resolve or hand back
        one that is queued or someone else's (never reply in another agent's name)."""
        escalation = self._get(session, escalation_id)
        if escalation.status == EscalationStatus.RESOLVED:
            raise Conflict(f"escalation {escalation_id} is already resolved; you cannot {doing} it")
        if escalation.assignee_id == user.id and escalation.status == EscalationStatus.CLAIMED:
            return escalation
        if doing != "reply" and allows(user.role, Role.LEAD):
            return escalation
        if escalation.status == EscalationStatus.QUEUED:
            raise Conflict(f"escalation {escalation_id} is waiting in the queue: claim it before you {doing}")
        holder = session.get(User, escalation.assignee_id) if escalation.assignee_id else None
        name = holder.display_name if holder else "another agent"
        raise Forbidden(f"escalation {escalation_id} was transferred to or claimed by {name}; you cannot {doing} it")

    def _hold(self, session: Session, escalation: Escalation, doing: str) -> None:
        """Take the escalation for this transaction, if it is still as `_owned` judged it.

        A conditional update (status and assignee as read): of two changes racing on one escalation
        (two resolves, a resolve and a transfer, a reply and a transfer) the database lets one
        through, and the row stays taken until the commit (PostgreSQL's row lock, SQLite's write
        lock); the other is refused with a Conflict. The caller then changes the row at leisure."""
        seen_status, seen_assignee = escalation.status, escalation.assignee_id
        won = session.execute(
            update(Escalation)
            .where(
                Escalation.id == escalation.id,
                Escalation.status == seen_status,
                Escalation.assignee_id.is_(None) if seen_assignee is None else Escalation.assignee_id == seen_assignee,
            )
            .values(status=seen_status)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            session.rollback()
            raise Conflict(self._why_changed(session, escalation.id, doing))
        session.refresh(escalation)

    def _why_changed(self, session: Session, escalation_id: int, doing: str) -> str:
        escalation = self._get(session, escalation_id)
        if escalation.status == EscalationStatus.RESOLVED:
            return f"escalation {escalation_id} is already resolved; you cannot {doing} it"
        holder = session.get(User, escalation.assignee_id) if escalation.assignee_id else None
        where = f"with {holder.display_name}" if holder else "back in the queue"
        return f"escalation {escalation_id} changed while you were acting on it (it is now {where}): reload it"

    def _why_not_open(self, session: Session, escalation: Escalation, agent: Staff) -> str:
        if escalation.status == EscalationStatus.RESOLVED:
            return f"escalation {escalation.id} is already resolved"
        if escalation.assignee_id == agent.id:
            return f"you already hold escalation {escalation.id}"
        holder = session.get(User, escalation.assignee_id) if escalation.assignee_id else None
        return f"escalation {escalation.id} was already claimed by {holder.display_name if holder else 'another agent'}"

    def _last_customer_texts(self, session: Session, conversation_ids: list[str]) -> dict[str, str]:
        if not conversation_ids:
            return {}
        latest = (
            select(Message.conversation_id, Message.text)
            .where(Message.conversation_id.in_(conversation_ids), Message.sender == Sender.CUSTOMER)
            .order_by(Message.id)
        )
        found: dict[str, str] = {}
        for conversation_id, text in session.execute(latest):
            found[conversation_id] = text
        return found


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidText("the text is empty")
    if len(text) > MAX_TEXT:
        raise InvalidText(f"the text is longer than {MAX_TEXT} characters")
    return text


def _item(escalation: Escalation, customer_id: str | None, assignee: str | None, last_text: str) -> QueueItem:
    return QueueItem(
        id=escalation.id,
        conversation_id=escalation.conversation_id,
        customer_id=customer_id,
        channel=escalation.channel,
        language=escalation.language,
        reason=escalation.reason,
        priority=Priority(escalation.priority),
        status=EscalationStatus(escalation.status),
        created_at=escalation.created_at,
        sla_due_at=escalation.sla_due_at,
        first_response_at=escalation.first_response_at,
        assignee_id=escalation.assignee_id,
        assignee=assignee,
        last_customer_text=last_text,
    )


def _change(escalation: Escalation, conversation: Conversation) -> Change:
    return Change(
        escalation.id,
        conversation.id,
        conversation.channel,
        conversation.language,
        EscalationStatus(escalation.status),
        ConversationStatus(conversation.status),
        escalation.assignee_id,
    )
