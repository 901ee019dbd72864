"""Where the desk keeps customers' personal data: the one list that the retention purge and forgetting
a customer (P18) delete from. A feature that stores something of a customer adds its table here;
tests/desk/test_personal_data.py fails while a table is neither listed nor declared free of it.

Analytics are built from these rows (turns, escalations, feedback), so they go with their
conversation: the figures of a period reach back only as far as its conversations are kept.
Rasa's tracker store, another database, holds each conversation's events too: `desk.rasa_tracker`.

The built-in order store's orders and repairs (`desk.orders.store`) hold the name, phone and address
the merchant's order system sent: they are listed by order number (`ORDER_DATA`) and purged by their
own rule (`desk.retention`). Forgetting a customer cannot reach them: an order carries no chat
identity, and the merchant's system, where the order lives, answers for deleting it there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from desk.models import (
    Base,
    Conversation,
    CustomerLink,
    Escalation,
    EscalationNote,
    Feedback,
    Message,
    OrderLookup,
    QuestionLabel,
    ServiceRequest,
    StoredOrder,
    StoredOrderItem,
    StoredRepair,
    Turn,
)


@dataclass(frozen=True)
class Holding:
    """One table's rows of some conversations (or of some customer identities)."""

    model: type[Base]
    rows: Callable[[Collection[str]], ColumnElement[bool]]

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)


def _of_escalations(ids: Collection[str]) -> ColumnElement[bool]:
    return EscalationNote.escalation_id.in_(select(Escalation.id).where(Escalation.conversation_id.in_(ids)))


# A conversation's data, rows that point at others first (deleted in this order).
CONVERSATION_DATA: tuple[Holding, ...] = (
    # Leads' labels of the customer's questions: their words (export them before they go).
    Holding(QuestionLabel, lambda ids: QuestionLabel.conversation_id.in_(ids)),
    Holding(EscalationNote, _of_escalations),  # agents' notes on the conversation's escalations
    Holding(Escalation, lambda ids: Escalation.conversation_id.in_(ids)),  # transcript copy, order numbers
    Holding(Feedback, lambda ids: Feedback.conversation_id.in_(ids)),  # votes, ratings, comments
    Holding(Turn, lambda ids: Turn.conversation_id.in_(ids)),  # what the bot did (analytics)
    Holding(Message, lambda ids: Message.conversation_id.in_(ids)),  # the transcript
    Holding(OrderLookup, lambda ids: OrderLookup.conversation_id.in_(ids)),  # phone checks, the cases shown
    # Return, exchange and repair requests: order, serial number, the customer's words, attachments.
    Holding(ServiceRequest, lambda ids: ServiceRequest.conversation_id.in_(ids)),
    Holding(Conversation, lambda ids: Conversation.id.in_(ids)),  # customer id, channel address, metadata
)
# A customer's data beyond their conversations, by identity.
CUSTOMER_DATA: tuple[Holding, ...] = (
    Holding(CustomerLink, lambda ids: or_(CustomerLink.customer_id.in_(ids), CustomerLink.linked_id.in_(ids))),
)
# The built-in order store's data, by order number: an order with its items and repair tickets.
ORDER_DATA: tuple[Holding, ...] = (
    Holding(StoredRepair, lambda numbers: StoredRepair.order_number.in_(numbers)),  # devices, repair history
    Holding(StoredOrderItem, lambda numbers: StoredOrderItem.order_number.in_(numbers)),  # what was bought, SNs
    Holding(StoredOrder, lambda numbers: StoredOrder.number.in_(numbers)),  # name, phone, address, tracking
)
# Tables that hold nothing of a customer, and why.
NO_CUSTOMER_DATA: dict[str, str] = {
    "users": "staff accounts",
    "staff_sessions": "staff sign-ins",
    "api_tokens": "integrations' tokens",
    "login_attempts": "staff sign-in attempts",
    "audit_log": "staff and integration actions, naming rows and namespaces, never a customer's identity",
    "knowledge_entries": "the FAQ",
    "knowledge_revisions": "the FAQ's history",
    "knowledge_publications": "FAQ index builds",
    "channel_state": "adapters' cursors, tokens and replay marks (minutes), no customer",
    "rma_counters": "the last repair ticket number handed out per year",
    "leases": "which replica does which run-once work (a WeCom account's sync) until when, no customer",
}


class Elsewhere(Protocol):
    """Conversation data another store keeps (Rasa's tracker), deleted with the desk's."""

    name: str

    def count(self, conversation_ids: Collection[str]) -> int: ...

    def delete(self, conversation_ids: Collection[str]) -> int: ...


def count(session: Session, holdings: tuple[Holding, ...], ids: Collection[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for holding in holdings:
        found[holding.name] += (
            session.scalar(select(func.count()).select_from(holding.model).where(holding.rows(ids))) or 0
        )
    return found


def delete_rows(session: Session, holdings: tuple[Holding, ...], ids: Collection[str]) -> Counter[str]:
    """Delete in the caller's transaction; what was deleted, per table."""
    deleted: Counter[str] = Counter()
    for holding in holdings:
        result = session.execute(
            delete(holding.model).where(holding.rows(ids)).execution_options(synchronize_session=False)
        )
        deleted[holding.name] += int(getattr(result, "rowcount", 0) or 0)
    return deleted
