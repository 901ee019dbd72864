"""Self-service requests: returns, exchanges and repairs a customer opens in a conversation
(handbook P19's last bullet), which an agent approves, rejects (with a reason) or edits.

A request is created only when the policy allows it: `open` takes the caller's eligibility decision
(`allowed`, and the decision itself, stored as it came) and refuses otherwise. A repair gets its
repair ticket number at once (`desk.rma_numbers`). Every change is one transaction with its audit entry;
decisions are conditional updates (only a pending request can be decided, edited or cancelled), so
two agents deciding at once cannot both win: the other is refused with a Conflict (409).

Approving or rejecting stores the message that tells the customer, in the conversation's language,
as an agent's reply is stored: the outbox worker delivers it through the conversation's channel
(engine/request_desk.py wakes it). The texts are in desk/request_text.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import CaseworkError, Conflict, InvalidText, NotFound
from desk.conversations import StoredMessage
from desk.models import (
    Conversation,
    RequestKind,
    RequestService,
    RequestStatus,
    ServiceRequest,
    User,
    utcnow,
)
from desk.orders.records import SERIAL_NUMBER, Category, Repair, RepairStage, TrackingEvent
from desk.orders.records import order_number as normal_order_number
from desk.orders.store import OrderStore, UnknownOrder
from desk.outbox import agent_message
from desk.request_text import RequestFacts, approved_text, language_of, rejected_text
from desk.rma_numbers import next_rma_number
from desk.users import Staff

MAX_REASON = 1000  # the customer's words are cut to this
MAX_DECISION_REASON = 1000  # an agent's reason for a rejection
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_CHARS = 500
MAX_ELIGIBILITY_CHARS = 8000  # the policy decision, as JSON
MAX_SKU = 64
# P9: air conditioners and water purifiers are repaired on site; everything else is picked up.
ON_SITE = frozenset({Category.AIR_CONDITIONER, Category.WATER_PURIFIER})
ON_SITE_SERIAL_PREFIXES = ("AC", "WP")
CUSTOMER = "customer"  # the audit log's actor when the customer withdraws a request in the chat


class NotAllowed(CaseworkError):
    """The policy does not allow this request: nothing was created."""


class RequestNotFound(NotFound):
    pass


class RequestConflict(Conflict):
    """The request is no longer pending (decided, cancelled) or changed meanwhile."""


class InvalidRequest(InvalidText):
    """A field that cannot be stored (a malformed order or serial number, an empty rejection reason …)."""


@dataclass(frozen=True)
class RequestView:
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
    reason: str
    quality_problem: bool
    eligibility: dict[str, Any]
    attachments: list[str]
    rma_number: str | None
    service: RequestService
    decided_by_id: int | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    decision_message_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ServiceRequest, decided_by: str | None = None) -> RequestView:
        return cls(
            id=row.id,
            kind=RequestKind(row.kind),
            status=RequestStatus(row.status),
            conversation_id=row.conversation_id,
            channel=row.channel,
            language=row.language,
            order_number=row.order_number,
            sku=row.sku,
            serial_number=row.serial_number,
            category=row.category,
            reason=row.reason,
            quality_problem=row.quality_problem,
            eligibility=dict(row.eligibility or {}),
            attachments=[str(a) for a in row.attachments or []],
            rma_number=row.rma_number,
            service=RequestService(row.service),
            decided_by_id=row.decided_by_id,
            decided_by=decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            decision_message_id=row.decision_message_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def facts(self) -> RequestFacts:
        return RequestFacts(
            self.id, self.kind, self.service, self.quality_problem, self.rma_number, bool(self.attachments)
        )

    @property
    def item(self) -> str:
        """The item as staff read it: serial number and/or SKU."""
        parts = [f"SN {self.serial_number}" if self.serial_number else "", self.sku or ""]
        return " · ".join(p for p in parts if p) or "–"

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.created_at).total_seconds()))


@dataclass(frozen=True)
class Decision:
    """A decided request and the message that tells the customer (on its way through the outbox)."""

    request: RequestView
    message: StoredMessage


@dataclass(frozen=True)
class RequestChanges:
    """An agent's edit: None leaves a field as it is; an empty string clears an optional one."""

    kind: RequestKind | None = None
    order_number: str | None = None
    sku: str | None = None
    serial_number: str | None = None
    service: RequestService | None = None
    reason: str | None = None
    quality_problem: bool | None = None

    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class _Fields:
    """Validated values of a new request."""

    order_number: str | None
    sku: str | None
    serial_number: str | None
    category: str | None
    reason: str
    attachments: list[str] = field(default_factory=list)


def service_for(category: str | None, serial_number: str | None) -> RequestService:
    """P9: on-site for air conditioners and water purifiers (by category, else by serial prefix)."""
    if category in ON_SITE or (serial_number or "").startswith(ON_SITE_SERIAL_PREFIXES):
        return RequestService.ON_SITE
    return RequestService.MAIL_IN_PICKUP


log = structlog.get_logger(__name__)
# The first event of a ticket filed from an approved request, as P19's lookup shows it.
REPAIR_TICKET_CREATED = "维修单已创建 · Repair ticket created"


class ServiceRequests:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
        repair_book: OrderStore | None = None,
    ) -> None:
        """`repair_book`: the built-in order store, where an approved repair's ticket is written so
        that P19's lookup finds its RMA number (None when the merchant's own system keeps repairs)."""
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._repair_book = repair_book

    # Creating -------------------------------------------------------------------------------------

    def open(
        self,
        conversation_id: str,
        kind: RequestKind,
        *,
        allowed: bool,
        eligibility: Mapping[str, Any],
        order_number: str | None = None,
        sku: str | None = None,
        serial_number: str | None = None,
        category: str | None = None,
        reason: str = "",
        quality_problem: bool = False,
        attachments: Iterable[str] = (),
        service: RequestService | None = None,
    ) -> RequestView:
        """Create the request the policy allowed (`allowed` and `eligibility`: the policy engine's
        decision for this kind of remedy); refuse with `NotAllowed` when it did not.

        Opening the same request again (same conversation, kind, order and item, still pending: a
        retried turn) gives back the one already open, with its RMA number."""
        if not allowed:
            raise NotAllowed(
                f"the policy does not allow this {RequestKind(kind).value} request; nothing was created"
                + _why(eligibility)
            )
        kind = RequestKind(kind)
        decision = _eligibility(eligibility)
        fields = _Fields(
            order_number=_order(order_number),
            sku=_sku(sku),
            serial_number=_serial(serial_number),
            category=_category(category),
            reason=_reason(reason),
            attachments=_attachments(attachments),
        )
        chosen = RequestService(service) if service else service_for(fields.category, fields.serial_number)
        now = self._clock()
        with self._sessions() as session:
            # The first statement writes: it takes the conversation (PostgreSQL's row lock, SQLite's
            # write lock) so two opens of one conversation run one after the other.
            touched = session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(updated_at=now)
            )
            if getattr(touched, "rowcount", 0) != 1:
                session.rollback()
                raise RequestNotFound(f"no conversation {conversation_id}")
            conversation = session.get_one(Conversation, conversation_id)
            same = session.scalars(
                select(ServiceRequest).where(
                    ServiceRequest.conversation_id == conversation_id,
                    ServiceRequest.kind == kind,
                    ServiceRequest.status == RequestStatus.PENDING,
                    _same(ServiceRequest.order_number, fields.order_number),
                    _same(ServiceRequest.serial_number, fields.serial_number),
                    _same(ServiceRequest.sku, fields.sku),
                )
            ).first()
            if same is not None:
                session.rollback()
                return RequestView.of(same)
            row = ServiceRequest(
                kind=kind,
                status=RequestStatus.PENDING,
                conversation_id=conversation_id,
                channel=conversation.channel,
                language=conversation.language,
                order_number=fields.order_number,
                sku=fields.sku,
                serial_number=fields.serial_number,
                category=fields.category,
                reason=fields.reason,
                quality_problem=bool(quality_problem),
                eligibility=decision,
                attachments=fields.attachments,
                rma_number=next_rma_number(session, now) if kind == RequestKind.REPAIR else None,
                service=chosen,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            self._audit.add(
                session,
                CUSTOMER,
                "request.open",
                f"request:{row.id}",
                kind=kind.value,
                service=chosen.value,
                rma_number=row.rma_number,
                rule=decision.get("rule") or decision.get("rule_id"),
            )
            session.commit()
            return RequestView.of(row)

    # Reading --------------------------------------------------------------------------------------

    def get(self, request_id: int) -> RequestView:
        with self._sessions() as session:
            row = session.get(ServiceRequest, request_id)
            if row is None:
                raise RequestNotFound(f"no request {request_id}")
            return self._view(session, row)

    def for_conversation(self, conversation_id: str) -> list[RequestView]:
        """The conversation's requests, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ServiceRequest)
                .where(ServiceRequest.conversation_id == conversation_id)
                .order_by(ServiceRequest.id)
            ).all()
            return self._views(session, rows)

    def pending(self, limit: int = 200) -> list[RequestView]:
        """Requests waiting for a decision, the oldest first."""
        return self.listing([RequestStatus.PENDING], limit=limit)

    def listing(self, statuses: Sequence[RequestStatus] | None = None, *, limit: int = 200) -> list[RequestView]:
        """Requests of these statuses (all without): pending ones first, oldest first, then the
        others, the most recently changed first."""
        wanted = list(statuses or RequestStatus)
        with self._sessions() as session:
            rows: list[ServiceRequest] = []
            if RequestStatus.PENDING in wanted:
                rows.extend(
                    session.scalars(
                        select(ServiceRequest)
                        .where(ServiceRequest.status == RequestStatus.PENDING)
                        .order_by(ServiceRequest.created_at, ServiceRequest.id)
                        .limit(limit)
                    )
                )
            others = [s for s in wanted if s != RequestStatus.PENDING]
            if others and len(rows) < limit:
                rows.extend(
                    session.scalars(
                        select(ServiceRequest)
                        .where(ServiceRequest.status.in_(others))
                        .order_by(ServiceRequest.updated_at.desc(), ServiceRequest.id.desc())
                        .limit(limit - len(rows))
                    )
                )
            return self._views(session, rows)

    # Deciding -------------------------------------------------------------------------------------

    def approve(self, request_id: int, staff: Staff) -> Decision:
        decision = self._decide(request_id, staff, RequestStatus.APPROVED, None)
        self._file_repair(decision.request)
        return decision

    def _file_repair(self, request: RequestView) -> None:
        """An approved repair becomes a ticket in the built-in order store (stage `created`), so the
        customer can follow it by its RMA number (P9, P19). Only with its order and serial number, and
        when that order is stored: else the agent files it where the merchant keeps repairs."""
        if self._repair_book is None or request.kind != RequestKind.REPAIR:
            return
        if not (request.rma_number and request.order_number and request.serial_number):
            return
        order = self._repair_book.order(request.order_number)
        if order is None or all(item.serial_number != request.serial_number for item in order.items):
            # A number the customer typed, not checked: a ticket only on the order the device is on.
            log.info("request.repair_not_filed", request=request.id, reason="serial number not on the stored order")
            return
        created = TrackingEvent(self._clock(), REPAIR_TICKET_CREATED)
        ticket = Repair(request.rma_number, request.order_number, request.serial_number, RepairStage.CREATED)
        try:
            self._repair_book.put_repair(replace(ticket, events=(created,)))
        except (UnknownOrder, RuntimeError, SQLAlchemyError) as error:
            # The approval stands (it is committed and the customer told); the agent files it by hand.
            log.warning("request.repair_not_filed", request=request.id, reason=type(error).__name__)

    def reject(self, request_id: int, staff: Staff, reason: str) -> Decision:
        """The reason is required: the customer receives it on their channel."""
        cleaned = " ".join(reason.split()) if reason else ""
        if not cleaned:
            raise InvalidRequest("a rejection needs a reason: the customer receives it")
        if len(cleaned) > MAX_DECISION_REASON:
            raise InvalidRequest(f"the reason is longer than {MAX_DECISION_REASON} characters")
        return self._decide(request_id, staff, RequestStatus.REJECTED, cleaned)

    def _decide(self, request_id: int, staff: Staff, to: RequestStatus, reason: str | None) -> Decision:
        now = self._clock()
        with self._sessions() as session:
            won = session.execute(
                update(ServiceRequest)
                .where(ServiceRequest.id == request_id, ServiceRequest.status == RequestStatus.PENDING)
                .values(status=to, decided_by_id=staff.id, decided_at=now, decision_reason=reason, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                session.rollback()
                raise self._not_pending(session, request_id, "approve" if to == RequestStatus.APPROVED else "reject")
            row = session.get_one(ServiceRequest, request_id)
            session.refresh(row)
            conversation = session.get_one(Conversation, row.conversation_id)
            language = language_of(conversation.language)
            view = RequestView.of(row, staff.display_name)
            text = (
                approved_text(view.facts, language)
                if to == RequestStatus.APPROVED
                else rejected_text(view.facts, reason or "", language)
            )
            message = agent_message(row.conversation_id, text, language, staff.id, now)
            session.add(message)
            session.flush()
            row.decision_message_id = message.id
            self._audit.add(
                session,
                staff.actor,
                "request.approve" if to == RequestStatus.APPROVED else "request.reject",
                f"request:{request_id}",
                kind=view.kind.value,
                rma_number=view.rma_number,
                message_id=message.id,
            )
            session.commit()
            return Decision(RequestView.of(row, staff.display_name), StoredMessage.of(message))

    # Changing -------------------------------------------------------------------------------------

    def edit(self, request_id: int, staff: Staff, changes: RequestChanges) -> RequestView:
        """Change a pending request's kind, item, service or reason. A repair gets an RMA number if it
        has none; a request that stops being a repair gives its number up (the audit keeps it)."""
        if changes.empty():
            raise InvalidRequest("nothing to change")
        values: dict[str, Any] = {}
        if changes.kind is not None:
            values["kind"] = RequestKind(changes.kind)
        if changes.order_number is not None:
            values["order_number"] = _order(changes.order_number or None)
        if changes.sku is not None:
            values["sku"] = _sku(changes.sku or None)
        if changes.serial_number is not None:
            values["serial_number"] = _serial(changes.serial_number or None)
        if changes.service is not None:
            values["service"] = RequestService(changes.service)
        if changes.reason is not None:
            values["reason"] = _reason(changes.reason)
        if changes.quality_problem is not None:
            values["quality_problem"] = bool(changes.quality_problem)
        now = self._clock()
        with self._sessions() as session:
            row = session.get(ServiceRequest, request_id)
            if row is None:
                raise RequestNotFound(f"no request {request_id}")
            if row.status != RequestStatus.PENDING:
                raise RequestConflict(f"request {request_id} is already {row.status}; you cannot edit it")
            seen = row.updated_at
            changed = {name: value for name, value in values.items() if getattr(row, name) != value}
            if not changed:
                return self._view(session, row)
            kind = changed.get("kind", row.kind)
            old_rma = row.rma_number
            if kind == RequestKind.REPAIR and row.rma_number is None:
                changed["rma_number"] = next_rma_number(session, now)
            elif kind != RequestKind.REPAIR and row.rma_number is not None:
                changed["rma_number"] = None
            won = session.execute(
                update(ServiceRequest)
                .where(
                    ServiceRequest.id == request_id,
                    ServiceRequest.status == RequestStatus.PENDING,
                    ServiceRequest.updated_at == seen,
                )
                .values(**changed, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                session.rollback()
                raise RequestConflict(
                    f"request {request_id} changed while you were editing it (decided, cancelled or edited): reload it"
                )
            # Values, never the customer's words or numbers: the audit log holds no customer data.
            details: dict[str, Any] = {"fields": sorted(n for n in changed if n != "rma_number")}
            for name in ("kind", "service", "quality_problem"):
                if name in changed:
                    details[name] = [_plain(getattr(row, name)), _plain(changed[name])]
            if "rma_number" in changed:
                details["rma_number"] = [old_rma, changed["rma_number"]]
            self._audit.add(session, staff.actor, "request.edit", f"request:{request_id}", **details)
            session.commit()
            session.refresh(row)
            return self._view(session, row)

    def cancel(self, request_id: int, by: Staff | None = None) -> RequestView:
        """Withdraw a pending request: the customer in the chat (`by` None) or an agent for them.
        Nothing is sent: whoever cancels it tells the customer in their own words."""
        now = self._clock()
        with self._sessions() as session:
            won = session.execute(
                update(ServiceRequest)
                .where(ServiceRequest.id == request_id, ServiceRequest.status == RequestStatus.PENDING)
                .values(
                    status=RequestStatus.CANCELLED,
                    decided_by_id=by.id if by else None,
                    decided_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                session.rollback()
                raise self._not_pending(session, request_id, "cancel")
            row = session.get_one(ServiceRequest, request_id)
            session.refresh(row)
            self._audit.add(session, by.actor if by else CUSTOMER, "request.cancel", f"request:{request_id}")
            session.commit()
            return RequestView.of(row, by.display_name if by else None)

    # Helpers --------------------------------------------------------------------------------------

    def _not_pending(self, session: Session, request_id: int, doing: str) -> CaseworkError:
        row = session.get(ServiceRequest, request_id)
        if row is None:
            return RequestNotFound(f"no request {request_id}")
        return RequestConflict(f"request {request_id} is already {row.status}; you cannot {doing} it")

    def _view(self, session: Session, row: ServiceRequest) -> RequestView:
        return self._views(session, [row])[0]

    def _views(self, session: Session, rows: Sequence[ServiceRequest]) -> list[RequestView]:
        ids = {r.decided_by_id for r in rows if r.decided_by_id is not None}
        names: dict[int, str] = (
            {i: name for i, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}
            if ids
            else {}
        )
        return [RequestView.of(r, names.get(r.decided_by_id) if r.decided_by_id else None) for r in rows]


def _same(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value


def _plain(value: object) -> object:
    return value.value if isinstance(value, RequestKind | RequestService) else value


def _why(eligibility: Mapping[str, Any]) -> str:
    reason = eligibility.get("reason") if isinstance(eligibility, Mapping) else None
    return f" ({str(reason)[:200]})" if reason else ""


def _eligibility(value: Mapping[str, Any]) -> dict[str, Any]:
    """The policy decision as JSON, kept as it came (the policy engine owns its shape)."""
    if not isinstance(value, Mapping):
        raise InvalidRequest("the eligibility decision must be a mapping")
    try:
        text = json.dumps(dict(value), ensure_ascii=False, default=_json_value)
    except (TypeError, ValueError) as error:
        raise InvalidRequest(f"the eligibility decision is not JSON: {error}") from error
    if len(text) > MAX_ELIGIBILITY_CHARS:
        raise InvalidRequest(f"the eligibility decision is longer than {MAX_ELIGIBILITY_CHARS} characters as JSON")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _json_value(value: object) -> object:
    """Dates, amounts and enums of a policy decision as JSON; anything else is refused."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _order(value: str | None) -> str | None:
    if value is None:
        return None
    number = normal_order_number(value)
    if number is None:
        raise InvalidRequest("an order number is LM followed by 12 digits")
    return number


def _serial(value: str | None) -> str | None:
    if value is None:
        return None
    serial = "".join(value.split()).upper()
    if not SERIAL_NUMBER.fullmatch(serial):
        raise InvalidRequest("a serial number is 2 capital letters (RV, AP, WP, AC, SP, EB) and 10 digits")
    return serial


def _sku(value: str | None) -> str | None:
    if value is None:
        return None
    sku = value.strip()
    if not sku or len(sku) > MAX_SKU or not sku.isprintable():
        raise InvalidRequest(f"a SKU is 1 to {MAX_SKU} printable characters")
    return sku


def _category(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Category(value).value
    except ValueError as error:
        raise InvalidRequest(f"unknown category {value[:40]!r}") from error


def _reason(value: str) -> str:
    """The customer's words, blanks folded, cut to `MAX_REASON` characters."""
    return " ".join((value or "").split())[:MAX_REASON]


def _attachments(values: Iterable[str]) -> list[str]:
    found = [str(v).strip() for v in values if str(v).strip()]
    if len(found) > MAX_ATTACHMENTS:
        raise InvalidRequest(f"at most {MAX_ATTACHMENTS} attachments")
    if any(len(v) > MAX_ATTACHMENT_CHARS for v in found):
        raise InvalidRequest(f"an attachment reference is longer than {MAX_ATTACHMENT_CHARS} characters")
    return found
