"""Database tables (SQLAlchemy 2 declarative). The schema is owned by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which stores them without a zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class ConversationStatus(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    RESOLVED = "resolved"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class MessageState(StrEnum):
    """A message's place in its turn: a customer message is received, processed (claimed by one
    request), answered or held for the agents, or failed (Rasa was down or too slow: the retry loop,
    engine/retries.py, or a client's retry takes it again); one still failed after the retry bound
    is unanswered (given up: agents see it so in the transcript). Bot and agent messages are sent."""

    RECEIVED = "received"
    PROCESSING = "processing"
    ANSWERED = "answered"
    HELD = "held"
    FAILED = "failed"
    UNANSWERED = "unanswered"
    SENT = "sent"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class EscalationStatus(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Role(StrEnum):
    """Console roles, each allowed what the one before it is (see `ROLE_RANK` in desk.users)."""

    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class TokenRole(StrEnum):
    """What an API token acts as: a staff role on the ladder, or an integration, which is no staff
    role at all: it opens only the scopes it carries, never the console or the staff API."""

    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"
    INTEGRATION = "integration"


class Scope(StrEnum):
    """What an integration token may call: the conversation API, the order-system API."""

    CONVERSATIONS = "conversations"
    ORDERS = "orders"


class Delivery(StrEnum):
    """Where an agent's reply stands on its way to the customer's channel."""

    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), default="api")
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The language last written into the Rasa tracker's `language` slot.
    rasa_language: Mapped[str | None] = mapped_column(String(8))
    # An intent Rasa still has to be resumed with (an agent closed the escalation while Rasa was down).
    rasa_pending_intent: Mapped[str | None] = mapped_column(String(64))
    # When a request took the pending intent to resume Rasa with it (None: nobody has it): one claim,
    # so the close, the retry loop and the customer's next turn cannot all ask for the rating.
    rasa_resume_claimed_at: Mapped[datetime | None] = mapped_column()
    # Where the channel delivers to: e.g. a WeChat openid, a Slack channel and thread, a WeCom kf id.
    channel_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Conversations a browser started (`POST /api/v1/conversations`): the hash of the key that opens
    # it. None for every other conversation.
    access_key_hash: Mapped[str | None] = mapped_column(String(64))
    # What the client said of the conversation when it started it, passed to Rasa with every message.
    client_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ConversationStatus] = mapped_column(String(16), default=ConversationStatus.BOT, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender: Mapped[Sender] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(8))
    # Set on customer messages: an id the client chose, so a retried request is not stored twice.
    client_message_id: Mapped[str | None] = mapped_column(String(128))
    # Customer messages: received → answered (bot replied) / held (a human owns it) / failed (Rasa
    # down) → unanswered (given up). Indexed: the retry loop looks for the few failed ones often.
    state: Mapped[str] = mapped_column(String(16), default=MessageState.RECEIVED, index=True)
    # Bot messages: what the turn did.
    outcome: Mapped[str | None] = mapped_column(String(16))
    faq_id: Mapped[str | None] = mapped_column(String(96))
    confidence: Mapped[float | None] = mapped_column(Float)
    # Bot messages: the customer message they answer (None: pushed unasked, e.g. the CSAT question).
    # No foreign key: a late answer is stored after newer customer messages, so only this link (not
    # the order of ids) tells whose answer it is; deleting a conversation deletes both ends anyway.
    reply_to: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Agent messages: who wrote it and its delivery through the conversation's channel (`Delivery`).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivery: Mapped[str | None] = mapped_column(String(16), index=True)
    # Outgoing messages: delivery attempts. Customer messages: attempts at answering them, when a
    # failed one is due again (or, while one is being answered, when that claim lapses), and why the
    # last attempt failed (desk/answer_backlog.py).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column()

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Turn(Base):
    """What the assistant did with one customer message: the record analytics are built from."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    faq_id: Mapped[str | None] = mapped_column(String(96))
    confidence: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Escalation(Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[Priority] = mapped_column(String(16), index=True)
    status: Mapped[EscalationStatus] = mapped_column(String(16), default=EscalationStatus.QUEUED, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    trigger_text: Mapped[str] = mapped_column(Text, default="")
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    transcript: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sla_due_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    # resolved | handed_back | … (`desk.casework.RESOLUTION_CODES`)
    resolution_code: Mapped[str | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)


class EscalationNote(Base):
    """An internal note on an escalation: seen by staff only, never sent to the customer."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerLink(Base):
    """Two identities of one customer, as an authenticated integration or staff asserted it (never
    inferred): an integration's own customer id and the WeChat OpenID it knows for them, say. The
    case file's history and forgetting a customer follow links both ways (`desk.customers`)."""

    __tablename__ = "customer_links"
    __table_args__ = (UniqueConstraint("customer_id", "linked_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The asserting side (an integration's customer, `int:<token name>:<id>`) and the other identity.
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    linked_id: Mapped[str] = mapped_column(String(128), index=True)
    created_by: Mapped[str] = mapped_column(String(160))  # the audit log's actor: "token:crm", "user:lead"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """A vote, CSAT score or comment. One per conversation, kind and `about`: a vote or rating sent
    twice (a retried turn, a button pressed twice) counts once (desk/feedback.py)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("conversation_id", "kind", "about"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # vote | csat | comment
    faq_id: Mapped[str | None] = mapped_column(String(96), index=True)
    vote: Mapped[str | None] = mapped_column(String(8))  # up | down
    score: Mapped[int | None] = mapped_column(Integer)  # CSAT 1–5
    comment: Mapped[str | None] = mapped_column(Text)
    turn: Mapped[int | None] = mapped_column(Integer)  # the customer message it answers, by number
    # The customer message that gave it (the turn service's `desk.turns.MESSAGE_ID`); None before it was sent.
    message_id: Mapped[int | None] = mapped_column(Integer)
    # What it is about: "answer:<question message id>", "escalation:<id>" or "message:<id>" (its own).
    about: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A member of staff who signs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()


class StaffSession(Base):
    """A console sign-in. Only the token's hash is stored; signing out or deactivating ends it."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class ApiToken(Base):
    """A token an integration sends as `Authorization: Bearer …`; stored as a hash, shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[TokenRole] = mapped_column(String(16))
    # Integration tokens only (`Scope` values); staff tokens act with their role.
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The user who answers for the token: it never does more than they currently may, and dies with them.
    owner_id: Mapped[int] = mapped_column("created_by", ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginAttempt(Base):
    """Sign-in attempts, kept for rate limiting and for the audit of failed sign-ins."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    """Who did what, when: every state-changing action of staff and integrations."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))  # "user:lead" or "token:crm-sync"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(160))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KnowledgeEntry(Base):
    """The live, editable copy of one FAQ entry (the YAML files only seed it)."""

    __tablename__ = "knowledge_entries"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    # The entry as `knowledge.entries.FaqEntry` JSON; `enabled` is part of it.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160))


class KnowledgeRevision(Base):
    """Every saved version of an entry, never changed afterwards: history and rollback."""

    __tablename__ = "knowledge_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(96), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    change: Mapped[str] = mapped_column(String(16))  # seed | create | edit | disable | enable | rollback
    author: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionLabel(Base):
    """A lead's verdict on a customer question: the FAQ entry that answers it, or out of scope (no
    entry). One per question text: labelling it again replaces the verdict. It keeps what the bot
    did then, so a wrong answer is known (desk/question_labels.py)."""

    __tablename__ = "question_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # SHA-256 of the text with blanks collapsed and case folded: the same question is one row.
    text_key: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    # The customer message it was taken from (None: typed by staff); the label goes with its conversation.
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    expected_faq_id: Mapped[str | None] = mapped_column(String(96), index=True)  # None: out of scope
    # The turn's record of that message: what the bot did, with which entry, how sure.
    bot_outcome: Mapped[str | None] = mapped_column(String(16))
    bot_faq_id: Mapped[str | None] = mapped_column(String(96), index=True)
    bot_confidence: Mapped[float | None] = mapped_column(Float)
    labelled_by: Mapped[str] = mapped_column(String(160))  # the audit log's actor
    labelled_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgePublication(Base):
    """One publish: the entry versions that went into a rebuilt index, who asked, and how it went."""

    __tablename__ = "knowledge_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))  # building | live | failed
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checksum: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class ChannelState(Base):
    """Small durable state a channel adapter keeps across restarts (a sync cursor, a cached token)."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """Work one app replica does at a time (desk/leases.py): who holds it, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)
    holder: Mapped[str] = mapped_column(String(160))
    expires_at: Mapped[datetime] = mapped_column()
    # Since when this holder has it (renewals keep it): the console and the logs can say.
    acquired_at: Mapped[datetime] = mapped_column()


class StoredOrder(Base):
    """An order as the built-in order store keeps it (`desk.orders.store`): a copy of what the
    merchant's order system sent, with the customer's name, phone and address (personal data, see
    `desk.personal_data`). `updated_at` moves only when what was sent changed: the retention purge
    goes by it."""

    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(14), primary_key=True)  # LM + 12 digits
    customer_name: Mapped[str] = mapped_column(String(128))
    customer_phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # `desk.orders.records.OrderStatus`
    paid_at: Mapped[datetime | None] = mapped_column()
    shipped_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    invoice_date: Mapped[datetime | None] = mapped_column()
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    # [{"at": ISO 8601 in UTC, "description": …}], oldest first.
    tracking_events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    province: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(64))
    address_line: Mapped[str] = mapped_column(String(255))
    # How it was priced (P12).
    flash_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    coupon_price: Mapped[bool] = mapped_column(Boolean, default=False)
    trade_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    items: Mapped[list[StoredOrderItem]] = relationship(
        order_by="StoredOrderItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class StoredOrderItem(Base):
    """One line of a stored order; an order's lines are replaced as a whole when it is sent again."""

    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_number", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, … as the order system listed them
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(32))  # `desk.orders.records.Category`
    serial_number: Mapped[str | None] = mapped_column(String(12), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # yuan
    quantity: Mapped[int] = mapped_column(Integer)


class StoredRepair(Base):
    """A repair ticket as the built-in order store keeps it. Its order must be stored (the foreign
    key): the purge deletes an order's repairs with it, and the store refuses a repair of an order it
    does not know (`desk.orders.store.UnknownOrder`)."""

    __tablename__ = "repairs"

    rma_number: Mapped[str] = mapped_column(String(11), primary_key=True)  # RMA + 8 digits
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    serial_number: Mapped[str] = mapped_column(String(12))
    stage: Mapped[str] = mapped_column(String(16))  # `desk.orders.records.RepairStage`
    received_at: Mapped[datetime | None] = mapped_column()
    # [{"at": ISO 8601 in UTC, "description": …}], oldest first.
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OrderLookup(Base):
    """One phone check of an order or repair number in a conversation (P19, desk/orders/phone_check.py):
    failures count against the conversation and the number; a passed one keeps the case it showed."""

    __tablename__ = "order_lookups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    # The number as the customer gave it (normalised), whether or not such an order exists.
    number: Mapped[str] = mapped_column(String(16), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    case: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RequestKind(StrEnum):
    """What a self-service request asks for (handbook P6, P7, P9, P19's last bullet)."""

    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"


class RequestStatus(StrEnum):
    """pending → approved | rejected (an agent decides) | cancelled (the customer or an agent withdrew it)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RequestService(StrEnum):
    """How the item reaches the service (P9): an SF pickup, or an engineer's visit for air
    conditioners and water purifiers."""

    MAIL_IN_PICKUP = "mail_in_pickup"
    ON_SITE = "on_site"


class ServiceRequest(Base):
    """A return, exchange or repair request opened in a conversation, created only when the policy
    allowed it (`desk.service_requests`); an agent approves, rejects or edits it, and the customer is
    told the decision in the conversation."""

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[RequestKind] = mapped_column(String(16), index=True)
    status: Mapped[RequestStatus] = mapped_column(String(16), default=RequestStatus.PENDING, index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    # The conversation's when the request was opened: analytics filter by them, as for escalations.
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    order_number: Mapped[str | None] = mapped_column(String(14), index=True)  # LM + 12 digits
    sku: Mapped[str | None] = mapped_column(String(64))
    serial_number: Mapped[str | None] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(32))  # `desk.orders.records.Category`
    reason: Mapped[str] = mapped_column(Text, default="")  # the customer's words, bounded
    quality_problem: Mapped[bool] = mapped_column(Boolean, default=False)
    # The policy decision it was created under, as the policy engine gave it (rule, verdict, reason).
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # References the channels gave (media ids, URLs); empty: an agent asks for photos or video.
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Repairs only: RMA + year + 4-digit sequence of that year (`desk.rma_numbers`).
    rma_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    service: Mapped[RequestService] = mapped_column(String(16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The message that told the customer the decision (delivered by the outbox like an agent's reply).
    decision_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RmaCounter(Base):
    """The last repair ticket number handed out in a year (Beijing time): one row per year, taken
    with a conditional update, so two requests at once never get the same number."""

    __tablename__ = "rma_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
