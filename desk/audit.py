"""The audit log: who did what to which thing, when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.models import AuditEntry, utcnow


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, actor: str, action: str, target: str | None = None, **details: Any) -> None:
        with self._sessions() as session:
            self.add(session, actor, action, target, **details)
            session.commit()

    def add(self, session: Session, actor: str, action: str, target: str | None = None, **details: Any) -> None:
        """Record within the caller's transaction, so the entry exists exactly when the change does."""
        session.add(AuditEntry(at=self._clock(), actor=actor, action=action, target=target, details=details))

    def recent(self, limit: int = 200, action: str | None = None) -> list[AuditView]:
        with self._sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if action:
                query = query.where(AuditEntry.action == action)
            return [
                AuditView(e.id, e.at, e.actor, e.action, e.target, dict(e.details or {}))
                for e in session.scalars(query)
            ]
