"""Rasa's SQL tracker store, as far as deleting conversations goes: the events Rasa keeps per sender
(the desk's conversation id) in its `events` table, which repeat what the customer wrote.

Rasa has no API that deletes a tracker, and the app never opens Rasa's database; the purge and
forgetting a customer do, when the operator names it (`--rasa-tracker-db`): the SQLite file of
`RASA_TRACKER_DB` (endpoints.yml) or an SQLAlchemy URL for a PostgreSQL tracker store. Rasa reads a
tracker from the database on every turn, so deleting the events of a conversation nobody writes to
is safe while Rasa runs.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, inspect, select
from sqlalchemy.sql import column, table

from desk.database import normalise_url

EVENTS = table("events", column("sender_id"))


class TrackerStoreError(Exception):
    """The database named is not (or not reachable as) a Rasa SQL tracker store."""


class RasaTrackerStore:
    name = "rasa tracker events"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def at(cls, where: str) -> RasaTrackerStore:
        """The tracker store at `where`: a SQLite file's path or a database URL. Refuses what is not one
        (a path that does not exist, which SQLite would create; a database without Rasa's table)."""
        if "://" not in where:
            path = Path(where)
            if not path.is_file():
                raise TrackerStoreError(f"no Rasa tracker database at {where}")
            # A plain engine: not the desk's, whose connections switch SQLite files to WAL.
            engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
        else:
            engine = create_engine(normalise_url(where), pool_pre_ping=True)
        try:
            columns = {c["name"] for c in inspect(engine).get_columns("events")}
        except Exception as error:  # no such table, unreachable, wrong credentials
            engine.dispose()
            raise TrackerStoreError(f"{where} is not a Rasa SQL tracker store: {type(error).__name__}") from error
        if not {"sender_id", "type_name", "data"} <= columns:
            engine.dispose()
            raise TrackerStoreError(f"{where} has an `events` table, but not Rasa's")
        return cls(engine)

    def count(self, conversation_ids: Collection[str]) -> int:
        with self._engine.connect() as connection:
            query = select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id.in_(list(conversation_ids)))
            return int(connection.scalar(query) or 0)

    def delete(self, conversation_ids: Collection[str]) -> int:
        with self._engine.begin() as connection:
            result = connection.execute(EVENTS.delete().where(EVENTS.c.sender_id.in_(list(conversation_ids))))
            return int(result.rowcount or 0)

    def close(self) -> None:
        self._engine.dispose()
