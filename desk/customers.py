"""Who a customer is: identities namespaced by where they come from, and the links that join two
identities of one customer.

A customer id is set only by the channel the customer writes on or by an authenticated integration,
always in a namespace saying which: `wechat:<appid>:<openid>` (an OpenID is unique per Official
Account), `wecom:<corpid>:<external_userid>` (unique per corp), `slack:<team>:<user>`, and
`int:<token name>:<id>` for an integration's own customers (api/conversation_access.py). Web-chat and
browser conversations carry none: their visitor is anonymous. Ids of different channels or accounts
never collide, so the case file shows an agent only the history of the same person, and it joins
histories across identities only through a link an integration or staff asserted, never inferred.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.models import CustomerLink, utcnow

# An identity a channel gives (the platform's ids are letters, digits, "_" and "-").
CHANNEL_IDENTITY = re.compile(r"(wechat|wecom|slack):[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}")
MAX_IDENTITY_LENGTH = 128  # conversations.customer_id, customer_links.*
# Links of one identity: a customer has a handful of accounts, not dozens.
MAX_LINKS = 20
# One customer's identities, links followed. More means some link joins different people: the case
# file stops there, and forgetting refuses until staff look at the links.
MAX_IDENTITIES = 100


class LinkError(ValueError):
    """A link the desk does not take; the text says why."""


def channel_identity(channel: str, account: str | None, user: str) -> str:
    """The customer id of `user` on one account (`account`: the app id, corp id, team) of `channel`."""
    if not account:
        raise ValueError(f"a {channel} customer id needs the account the customer wrote to")
    return f"{channel}:{account}:{user}"


def channel_of(identity: str) -> str:
    """The namespace an identity is in ("wechat", "int", …): what the audit log may say of it."""
    return identity.split(":", 1)[0]


@dataclass(frozen=True)
class Customer:
    """One customer's identities, the links followed from one of them."""

    identities: frozenset[str]
    # False when the links reach more than `MAX_IDENTITIES` (the identities are then a part).
    complete: bool


def same_customer(session: Session, customer_id: str, limit: int = MAX_IDENTITIES) -> Customer:
    """`customer_id` and every identity linked to it, directly or through other links, either way."""
    found, frontier = {customer_id}, {customer_id}
    while frontier:
        rows = session.execute(
            select(CustomerLink.customer_id, CustomerLink.linked_id).where(
                or_(CustomerLink.customer_id.in_(frontier), CustomerLink.linked_id.in_(frontier))
            )
        ).all()
        frontier = {identity for row in rows for identity in row} - found
        if len(found) + len(frontier) > limit:
            # Deterministic, so the case file shows the same part every time.
            found.update(sorted(frontier)[: limit - len(found)])
            return Customer(frozenset(found), complete=False)
        found |= frontier
    return Customer(frozenset(found), complete=True)


@dataclass(frozen=True)
class LinkView:
    identity: str  # the other identity
    created_by: str
    created_at: datetime


class CustomerLinks:
    """Links asserted by an authenticated caller; each change is one transaction with its audit entry,
    which names the link's row and the identity's namespace, never the identities (personal data
    that forgetting the customer deletes)."""

    def __init__(
        self, sessions: sessionmaker[Session], audit: AuditLog, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    def links_of(self, customer_id: str) -> list[LinkView]:
        """The identities linked to `customer_id` directly, either way, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CustomerLink)
                .where(or_(CustomerLink.customer_id == customer_id, CustomerLink.linked_id == customer_id))
                .order_by(CustomerLink.id)
            ).all()
            return [
                LinkView(r.linked_id if r.customer_id == customer_id else r.customer_id, r.created_by, r.created_at)
                for r in rows
            ]

    def link(self, customer_id: str, identity: str, actor: str) -> bool:
        """Assert that both are one customer; False when that link exists already (either way)."""
        if identity == customer_id:
            raise LinkError("an identity is linked to another identity, not to itself")
        for value in (customer_id, identity):
            if not value or len(value) > MAX_IDENTITY_LENGTH:
                raise LinkError(f"a customer identity has 1 to {MAX_IDENTITY_LENGTH} characters")
        with self._sessions() as session:
            if self._find(session, customer_id, identity) is not None:
                return False
            links = session.scalar(
                select(func.count(CustomerLink.id)).where(
                    or_(CustomerLink.customer_id == customer_id, CustomerLink.linked_id == customer_id)
                )
            )
            if (links or 0) >= MAX_LINKS:
                raise LinkError(f"a customer has at most {MAX_LINKS} linked identities; remove one first")
            row = CustomerLink(customer_id=customer_id, linked_id=identity, created_by=actor, created_at=self._clock())
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # the same link, asserted twice at once
                session.rollback()
                return False
            self._audit.add(session, actor, "customer.link", f"customer_link:{row.id}", namespace=channel_of(identity))
            session.commit()
            return True

    def unlink(self, customer_id: str, identity: str, actor: str) -> bool:
        """Withdraw a link; False when there was none."""
        with self._sessions() as session:
            row = self._find(session, customer_id, identity)
            if row is None:
                return False
            session.delete(row)
            self._audit.add(
                session, actor, "customer.unlink", f"customer_link:{row.id}", namespace=channel_of(identity)
            )
            session.commit()
            return True

    def _find(self, session: Session, one: str, other: str) -> CustomerLink | None:
        return session.scalar(
            select(CustomerLink).where(
                or_(
                    (CustomerLink.customer_id == one) & (CustomerLink.linked_id == other),
                    (CustomerLink.customer_id == other) & (CustomerLink.linked_id == one),
                )
            )
        )
