"""Small durable state of the channel adapters (a cached access token, a sync cursor), shared by
every app replica and kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.models import ChannelState, utcnow


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
