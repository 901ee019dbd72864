"""Forgetting a customer on request (handbook P18, account deletion): every conversation of the
customer's identities, the links followed (only links an integration or staff asserted), with
everything `desk.personal_data` lists, and the links themselves. One transaction with an audit entry
that records the deletion by its counts and the operator's reference, never an identity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.customers import MAX_IDENTITIES, same_customer
from desk.models import Conversation, ConversationStatus
from desk.personal_data import CONVERSATION_DATA, CUSTOMER_DATA, Elsewhere, count, delete_rows

HUMAN_OWNED = (ConversationStatus.QUEUED, ConversationStatus.AGENT)


class ErasureRefused(Exception):
    """Nothing was deleted; the text says why and what to do."""


@dataclass
class Forgotten:
    identities: int
    conversations: int
    rows: Counter[str] = field(default_factory=Counter)


class Erasure:
    def __init__(self, sessions: sessionmaker[Session], audit: AuditLog) -> None:
        self._sessions = sessions
        self._audit = audit

    def forget_customer(
        self,
        customer_id: str,
        *,
        actor: str,
        reference: str | None = None,
        dry_run: bool = False,
        elsewhere: Sequence[Elsewhere] = (),
    ) -> Forgotten:
        with self._sessions() as session:
            customer = same_customer(session, customer_id)
            if not customer.complete:
                raise ErasureRefused(
                    f"the links of {customer_id} reach more than {MAX_IDENTITIES} identities, so some link "
                    "joins different people: nothing was deleted; withdraw the wrong links first"
                )
            identities = sorted(customer.identities)
            conversations = session.execute(
                select(Conversation.id, Conversation.status)
                .where(Conversation.customer_id.in_(identities))
                .with_for_update()
            ).all()
            busy = sorted(i for i, status in conversations if status in HUMAN_OWNED)
            if busy:
                raise ErasureRefused(
                    f"{len(busy)} of the customer's conversations are with the agents ({', '.join(busy)}): "
                    "resolve or hand them back first; nothing was deleted"
                )
            ids = [i for i, _ in conversations]
            forgotten = Forgotten(len(identities), len(ids))
            for other in elsewhere:
                if ids:
                    forgotten.rows[other.name] += other.count(ids) if dry_run else other.delete(ids)
            if dry_run:
                forgotten.rows.update(count(session, CONVERSATION_DATA, ids))
                forgotten.rows.update(count(session, CUSTOMER_DATA, identities))
                return forgotten
            forgotten.rows.update(delete_rows(session, CONVERSATION_DATA, ids))
            forgotten.rows.update(delete_rows(session, CUSTOMER_DATA, identities))
            self._audit.add(
                session,
                actor,
                "customer.forget",
                None,
                reference=reference,
                identities=forgotten.identities,
                deleted=dict(forgotten.rows),
            )
            session.commit()
            return forgotten
