"""Small durable state of the channel adapters (a cached access token, a sync cursor, the signatures
of callbacks already taken), shared by every app replica and kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.models import ChannelState, utcnow

# The keys `remember_once` records, apart from the values `put` keeps.
ONCE = "once:"


class ChannelStateStore:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, channel: str, key: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.get(ChannelState, (channel, key))
            return dict(row.value) if row is not None else None

    def put(self, channel: str, key: str, value: dict[str, Any]) -> None:
        """Insert or replace the value (the last writer wins)."""
        for _ in range(2):
            with self._sessions() as session:
                row = session.get(ChannelState, (channel, key))
                if row is None:
                    session.add(ChannelState(channel=channel, key=key, value=dict(value), updated_at=self._clock()))
                else:
                    row.value = dict(value)
                    row.updated_at = self._clock()
                try:
                    session.commit()
                    return
                except IntegrityError:  # another replica inserted it first: replace theirs
                    session.rollback()
        raise RuntimeError(f"could not store channel state {channel}/{key}")

    def delete(self, channel: str, key: str) -> None:
        with self._sessions() as session:
            row = session.get(ChannelState, (channel, key))
            if row is not None:
                session.delete(row)
                session.commit()

    def remember_once(self, channel: str, key: str, keep_seconds: float) -> bool:
        """Record `key` for `keep_seconds`: False when it is recorded already (by any replica), which
        the primary key decides, so two replicas taking the same key at once cannot both succeed.
        The channel's records older than `keep_seconds` are dropped on the way."""
        now = self._clock()
        with self._sessions() as session:
            session.execute(
                delete(ChannelState).where(
                    ChannelState.channel == channel,
                    ChannelState.key.startswith(ONCE),
                    ChannelState.updated_at < now - timedelta(seconds=keep_seconds),
                )
            )
            session.add(ChannelState(channel=channel, key=ONCE + key, value={}, updated_at=now))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True

    def forget_once(self, channel: str, key: str) -> None:
        """Drop what `remember_once` recorded: the request it guarded was refused for a reason of ours
        (the database failed after it), so the platform's retry of that request must be taken."""
        self.delete(channel, ONCE + key)
