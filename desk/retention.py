"""How long customers' data is kept (`DESK_RETENTION_DAYS`), and the purge that deletes what is older:
closed conversations idle longer than that, with everything `desk.personal_data` lists for a
conversation, and orders of the built-in order store unchanged for longer than that, with their
items and repair tickets.

Closed means nobody is on it: with the bot or resolved, no escalation open, no return, exchange or
repair request waiting for an agent's decision, no message within the retention. A queued or
agent-owned conversation is never purged however old. Each batch is one transaction that takes the
conversations again under the same rule, so a customer who writes to an old conversation while the
purge runs keeps it. One audit entry records a run by its counts.

Orders: an order goes when its last change is older than the retention, where its last change is
the latest of its own and its repair tickets' `updated_at` (set when the order system sent something
that differs from what was stored: sending the same order again changes nothing, so a nightly full
sync does not keep an order for ever, while a repair still moving keeps its order and its siblings).
An order an open escalation names (its number, or the RMA number of one of its repairs, in the
escalation's identifiers) stays until the escalation is closed: an agent is working on it. The store
is a copy of the merchant's order system, which keeps its own records: an order purged here and
needed again (a late repair, say) is sent again, and a repair of an order not stored is refused until
it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.models import (
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    Message,
    RequestStatus,
    ServiceRequest,
    StoredOrder,
    StoredRepair,
    utcnow,
)
from desk.orders.records import order_number, rma_number
from desk.personal_data import CONVERSATION_DATA, ORDER_DATA, Elsewhere, count, delete_rows

BATCH = 200
CLOSED = (ConversationStatus.BOT, ConversationStatus.RESOLVED)
OPEN_ESCALATION = (EscalationStatus.QUEUED, EscalationStatus.CLAIMED)


@dataclass
class Purged:
    """A run's outcome: conversations and orders found and done, rows per table (would be, in a dry run)."""

    cutoff: datetime | None
    found: int = 0
    done: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    orders_found: int = 0
    orders_done: int = 0


def expired(cutoff: datetime) -> Select[str]:
    """The ids of closed conversations idle since before `cutoff`, oldest first."""
    return (
        select(Conversation.id)
        .where(
            Conversation.status.in_(CLOSED),
            Conversation.updated_at < cutoff,
            ~exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff),
            ~exists().where(Escalation.conversation_id == Conversation.id, Escalation.status.in_(OPEN_ESCALATION)),
            ~exists().where(
                ServiceRequest.conversation_id == Conversation.id, ServiceRequest.status == RequestStatus.PENDING
            ),
        )
        .order_by(Conversation.updated_at, Conversation.id)
    )


def expired_orders(cutoff: datetime) -> Select[str]:
    """The numbers of orders whose last change, theirs or a repair's, is before `cutoff`, oldest first."""
    return (
        select(StoredOrder.number)
        .where(
            StoredOrder.updated_at < cutoff,
            ~exists().where(StoredRepair.order_number == StoredOrder.number, StoredRepair.updated_at >= cutoff),
        )
        .order_by(StoredOrder.updated_at, StoredOrder.number)
    )


def orders_in_open_cases(session: Session) -> set[str]:
    """The orders open escalations name, by order number or by the RMA number of one of their repairs."""
    orders: set[str] = set()
    repairs: set[str] = set()
    for identifiers in session.scalars(select(Escalation.identifiers).where(Escalation.status.in_(OPEN_ESCALATION))):
        found = identifiers or {}
        orders.update(n for value in found.get("order_number", ()) if (n := order_number(str(value))))
        repairs.update(n for value in found.get("repair_number", ()) if (n := rma_number(str(value))))
    if repairs:
        orders.update(session.scalars(select(StoredRepair.order_number).where(StoredRepair.rma_number.in_(repairs))))
    return orders


class Retention:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditLog,
        days: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self.days = days
        self._clock = clock

    def cutoff(self) -> datetime | None:
        """Conversations idle and orders unchanged since before this are purged; None: kept forever
        (`days` 0)."""
        return self._clock() - timedelta(days=self.days) if self.days > 0 else None

    def purge(
        self,
        *,
        dry_run: bool = False,
        elsewhere: Sequence[Elsewhere] = (),
        progress: Callable[[Purged], None] = lambda _: None,
        actor: str = "system:cli",
    ) -> Purged:
        """Delete the expired conversations in batches (`progress` after each), and what `elsewhere`
        keeps of them first: a failure there leaves the desk's rows for the next run to find. Then
        the expired orders, with their items and repairs, in batches too."""
        cutoff = self.cutoff()
        purged = Purged(cutoff)
        if cutoff is None:
            return purged
        with self._sessions() as session:
            ids = list(session.scalars(expired(cutoff)))
        purged.found = len(ids)
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            with self._sessions() as session:
                # Taken again under the rule, locked where the database can: still expired, still here.
                taken = list(session.scalars(expired(cutoff).where(Conversation.id.in_(batch)).with_for_update()))
                if not taken:
                    continue
                for other in elsewhere:
                    purged.rows[other.name] += other.count(taken) if dry_run else other.delete(taken)
                if dry_run:
                    purged.rows.update(count(session, CONVERSATION_DATA, taken))
                else:
                    purged.rows.update(delete_rows(session, CONVERSATION_DATA, taken))
                    session.commit()
            purged.done += len(taken)
            progress(purged)
        self._purge_orders(cutoff, purged, dry_run=dry_run, progress=progress)
        if not dry_run and (purged.done or purged.orders_done):
            self._audit.record(
                actor,
                "retention.purge",
                None,
                retention_days=self.days,
                cutoff=cutoff.isoformat(),
                deleted=dict(purged.rows),
            )
        return purged

    def _purge_orders(
        self, cutoff: datetime, purged: Purged, *, dry_run: bool, progress: Callable[[Purged], None]
    ) -> None:
        with self._sessions() as session:
            kept = orders_in_open_cases(session)
            numbers = [n for n in session.scalars(expired_orders(cutoff)) if n not in kept]
        purged.orders_found = len(numbers)
        for start in range(0, len(numbers), BATCH):
            batch = numbers[start : start + BATCH]
            with self._sessions() as session:
                # Locked first (where the database can: a repair being stored holds its order), then
                # taken again under the rule, which now sees every write that got in before the lock.
                locked = list(
                    session.scalars(select(StoredOrder.number).where(StoredOrder.number.in_(batch)).with_for_update())
                )
                kept = orders_in_open_cases(session)
                taken = [
                    n
                    for n in session.scalars(expired_orders(cutoff).where(StoredOrder.number.in_(locked)))
                    if n not in kept
                ]
                if not taken:
                    continue
                if dry_run:
                    purged.rows.update(count(session, ORDER_DATA, taken))
                else:
                    purged.rows.update(delete_rows(session, ORDER_DATA, taken))
                    session.commit()
            purged.orders_done += len(taken)
            progress(purged)
