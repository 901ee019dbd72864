"""Rasa's SQL tracker store, told how many rows it read instead of counting them again on save.

Rasa 3.6's `SQLTrackerStore.save` first counts the conversation's rows since its latest session
start, to know which of the tracker's events are new: one more query per turn, on Rasa's event loop
(13 % of a Rasa replica's loop in `make cluster` 1×1, by py-spy; `bench.tracker_save` times it).
That count equals the rows `retrieve` read moments before, as long as nothing wrote in between, and
nothing does: every writer of a conversation (a message, `/tracker/events`, `trigger_intent`,
`execute`) holds the conversation's lock from reading its tracker to saving it (Rasa's lock store:
Redis in a cluster, so across replicas too).

So this store keeps the number of rows on the tracker it hands out, and `save` writes the events
after it, then moves it on. A tracker it did not read (a new conversation, `PUT /tracker/events`,
a full-history read) carries no number: its first save counts as Rasa's does, and keeps the number
for the next one (a new conversation's turn saves twice: when Rasa creates it, and at the end).

`AsyncPostgresTrackerStore` (several replicas, `make cluster`) is that store with a turn's read and
save awaited on asyncpg rather than run through psycopg2 inside Rasa's event loop, which served
nobody else while PostgreSQL answered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

from rasa.core.constants import POSTGRESQL_MAX_OVERFLOW, POSTGRESQL_POOL_SIZE, POSTGRESQL_SCHEMA
from rasa.core.tracker_store import POSTGRESQL_DEFAULT_MAX_OVERFLOW, POSTGRESQL_DEFAULT_POOL_SIZE, SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# The attribute a tracker read by this store carries: its conversation's rows since the latest
# session start, as the stock count query would find them.
STORED_ROWS = "_stored_rows_since_session_start"


class KnownRowsSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # One event per row read: Rasa rebuilds the tracker from every row since the session start.
            setattr(tracker, STORED_ROWS, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        stored = getattr(tracker, STORED_ROWS, None)
        if stored is None:
            # Rasa's count, for a tracker this store did not read; kept for its next save.
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            setattr(tracker, STORED_ROWS, stored)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        # A second save of the same tracker (within the same lock) writes only what came after.
        setattr(tracker, STORED_ROWS, max(getattr(tracker, STORED_ROWS), len(tracker.events)))


# The latest session's rows (all of them when none started), as SQLTrackerStore._event_query reads them.
_LATEST_SESSION = """
    FROM events,
        (SELECT max(timestamp) AS start FROM events WHERE sender_id = $1 AND type_name = $2) AS latest
    WHERE sender_id = $1 AND (latest.start IS NULL OR timestamp >= latest.start)
"""
_READ = f"SELECT data {_LATEST_SESSION} ORDER BY id"
_COUNT = f"SELECT count(*) {_LATEST_SESSION}"
_INSERT = """
    INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)
    VALUES ($1, $2, $3, $4, $5, $6)
"""


class AsyncPostgresTrackerStore(KnownRowsSQLTrackerStore):
    """The known-rows store on PostgreSQL, a turn's read and save through asyncpg.

    Rasa's SQLTrackerStore waits for PostgreSQL inside its one event loop (psycopg2 through a
    synchronous SQLAlchemy session), so a Rasa replica serves nobody else while the database answers;
    in a cluster that wait, not Rasa's CPU, limited a replica (docs/benchmarks.md). This store awaits
    the same statements on asyncpg. SQLAlchemy still creates the table and serves the rest (`keys`, a
    conversation's whole history): same table, same rows."""

    engine: Any  # SQLAlchemy's, made by SQLTrackerStore

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        super().__init__(*args, **kwargs)
        url = self.engine.url
        if url.get_backend_name() != "postgresql":
            raise ValueError(f"{type(self).__name__} needs PostgreSQL, not {url.get_backend_name()}")
        # The turns' connections are asyncpg's pool; SQLAlchemy's rare calls take one each and close it.
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=NullPool, **_without_pool_sizes(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        schema = os.environ.get(POSTGRESQL_SCHEMA)
        self._connect: dict[str, Any] = {
            "host": url.host,
            "port": url.port or 5432,
            "user": url.username,
            "password": url.password,
            "database": url.database,
            "server_settings": {"search_path": schema} if schema else {},
            # Rasa's own pool settings size this pool: the turns whose read or save waits at once.
            "max_size": int(os.environ.get(POSTGRESQL_POOL_SIZE, POSTGRESQL_DEFAULT_POOL_SIZE))
            + int(os.environ.get(POSTGRESQL_MAX_OVERFLOW, POSTGRESQL_DEFAULT_MAX_OVERFLOW)),
        }
        self._ready: asyncio.Task[Any] | None = None

    async def _connections(self) -> Any:
        """The running loop's pool: made by one task however many turns wait for it, and made again
        when connecting failed (PostgreSQL down) or the loop is another (a pool serves its own)."""
        loop = asyncio.get_running_loop()
        ready = self._ready
        if ready is None or ready.get_loop() is not loop or (ready.done() and (ready.cancelled() or ready.exception())):
            self._ready = ready = loop.create_task(self._new_pool())
        return await asyncio.shield(ready)

    async def _new_pool(self) -> Any:
        import asyncpg

        return await asyncpg.create_pool(min_size=1, **self._connect)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        pool = await self._connections()
        found = await pool.fetch(_READ, sender_id, SessionStarted.type_name)
        if not self.domain or not found:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row["data"]) for row in found], self.domain.slots
        )
        setattr(tracker, STORED_ROWS, len(found))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        pool = await self._connections()
        async with pool.acquire() as connection, connection.transaction():
            stored = getattr(tracker, STORED_ROWS, None)
            if stored is None:  # a tracker this store did not read: Rasa's count
                stored = await connection.fetchval(_COUNT, tracker.sender_id, SessionStarted.type_name)
            rows = [
                _row(tracker.sender_id, event.type_name, event.as_dict())
                for event in itertools.islice(tracker.events, stored, None)
            ]
            if rows:
                await connection.executemany(_INSERT, rows)
        setattr(tracker, STORED_ROWS, max(stored, len(tracker.events)))


def _without_pool_sizes(url: Any) -> dict[str, Any]:
    from rasa.core.tracker_store import create_engine_kwargs

    kwargs = create_engine_kwargs(url)  # the schema's search_path, if one is set
    return {key: value for key, value in kwargs.items() if key not in ("pool_size", "max_overflow")}


def _row(sender_id: str, type_name: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """The columns SQLTrackerStore.save writes for an event."""
    intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
    return (sender_id, type_name, data.get("timestamp"), intent, data.get("name"), json.dumps(data))
