"""How long customers' conversations are kept (`DESK_RETENTION_DAYS`), and the purge that deletes the
closed ones idle longer than that, with everything `desk.personal_data` lists for a conversation.

Closed means nobody is on it: with the bot or resolved, no escalation open, no message within the
retention. A queued or agent-owned conversation is never purged however old. Each batch is one
transaction that takes the conversations again under the same rule, so a customer who writes to an
old conversation while the purge runs keeps it. One audit entry records a run by its counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.models import Conversation, ConversationStatus, Escalation, EscalationStatus, Message, utcnow
from desk.personal_data import CONVERSATION_DATA, Elsewhere, count, delete_rows

BATCH = 200
CLOSED = (ConversationStatus.BOT, ConversationStatus.RESOLVED)
OPEN_ESCALATION = (EscalationStatus.QUEUED, EscalationStatus.CLAIMED)


@dataclass
class Purged:
    """A run's outcome: conversations found and done, rows per table (would be, in a dry run)."""

    cutoff: datetime | None
    found: int = 0
    done: int = 0
    rows: Counter[str] = field(default_factory=Counter)


def expired(cutoff: datetime) -> Select[str]:
    """The ids of closed conversations idle since before `cutoff`, oldest first."""
    return (
        select(Conversation.id)
        .where(
            Conversation.status.in_(CLOSED),
            Conversation.updated_at < cutoff,
            ~exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff),
            ~exists().where(Escalation.conversation_id == Conversation.id, Escalation.status.in_(OPEN_ESCALATION)),
        )
        .order_by(Conversation.updated_at, Conversation.id)
    )


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
        """Conversations idle since before this are purged; None: kept forever (`days` 0)."""
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
        keeps of them first: a failure there leaves the desk's rows for the next run to find."""
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
        if not dry_run and purged.done:
            self._audit.record(
                actor,
                "retention.purge",
                None,
                retention_days=self.days,
                cutoff=cutoff.isoformat(),
                deleted=dict(purged.rows),
            )
        return purged
