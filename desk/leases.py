"""Leases: work one app replica does at a time, in the desk database (table `leases`).

A lease is a row: its name (e.g. `wecom-sync:<open_kfid>`), its holder (a replica's id) and when it
expires. `acquire` takes it when nobody holds it, when its holder's time has run out, or renews it for
the holder that has it; all by one conditional UPDATE (or the INSERT of the first row, which the
primary key lets one replica win), so it works alike on SQLite and PostgreSQL and two replicas
asking at once never both get it. The holder renews it well before it expires (engine/leases.py);
a replica that died stops renewing, and another takes over once it has expired. Holders compare
expiry times with their own clocks: keep the replicas' clocks in step (NTP) to well within a lease's
time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.models import Lease, utcnow


@dataclass(frozen=True)
class LeaseView:
    name: str
    holder: str
    expires_at: datetime
    acquired_at: datetime


class LeaseStore:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def acquire(self, name: str, holder: str, duration: timedelta) -> bool:
        """Take or renew the lease `name` for `holder` until `duration` from now: True when `holder`
        has it now, False when another holder's has not expired."""
        now = self._clock()
        with self._sessions() as session:
            taken = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
                .values(
                    holder=holder,
                    expires_at=now + duration,
                    acquired_at=case((Lease.holder == holder, Lease.acquired_at), else_=now),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) == 1:
                session.commit()
                return True
            if session.get(Lease, name) is not None:
                return False  # held by another, not expired
            session.add(Lease(name=name, holder=holder, expires_at=now + duration, acquired_at=now))
            try:
                session.commit()
            except IntegrityError:  # another replica inserted it first: theirs
                session.rollback()
                return False
            return True

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up (only its holder can): another replica may take it at once."""
        with self._sessions() as session:
            released = session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
            session.commit()
            return bool(getattr(released, "rowcount", 0) == 1)

    def held(self, name: str) -> bool:
        """Whether some holder has the lease `name` now (taken and not expired)."""
        lease = self.get(name)
        return lease is not None and lease.expires_at > self._clock()

    def get(self, name: str) -> LeaseView | None:
        with self._sessions() as session:
            row = session.get(Lease, name)
            return LeaseView(row.name, row.holder, row.expires_at, row.acquired_at) if row is not None else None
