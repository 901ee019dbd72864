"""The tracker store the project's Rasa uses (rasa_launcher/tracker_store.py) writes exactly the rows
Rasa's own SQLTrackerStore writes, without the count query, on SQLite and on PostgreSQL; Rasa builds
it from an endpoints file. Run by the Rasa environment's Python (scripts/rasa-tests.sh)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import unittest
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from rasa_launcher.tracker_store import AsyncPostgresTrackerStore, KnownRowsSQLTrackerStore

STORE_TYPE = "rasa_launcher.tracker_store.KnownRowsSQLTrackerStore"
ASYNC_STORE_TYPE = "rasa_launcher.tracker_store.AsyncPostgresTrackerStore"
POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
DOMAIN = Domain.from_dict(
    {
        "slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}},
        "actions": ["action_answer_faq"],
    }
)


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def turn(text: str) -> list[Event]:
    return [
        UserUttered(text, {"name": "ask_faq", "confidence": 0.97}),
        ActionExecuted("action_answer_faq"),
        BotUttered(f"answer to {text}"),
        ActionExecuted("action_listen"),
    ]


async def conversation(store: SQLTrackerStore, sender: str) -> None:
    """What Rasa does to a conversation: read, add, save; a second save of one tracker; a new session."""

    async def add(events: list[Event], saves: int = 1) -> None:
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        for event in events:
            tracker.update(event, DOMAIN)
        for _ in range(saves):
            await store.save(tracker)

    await add(session_start())
    await add(turn("hello"))
    tracker = await store.retrieve(sender)
    assert tracker is not None
    for event in turn("two saves"):
        tracker.update(event, DOMAIN)
    await store.save(tracker)
    tracker.update(SlotSet("language", "en"), DOMAIN)
    await store.save(tracker)
    await add(turn("saved twice, unchanged"), saves=2)
    await add([*session_start(), *turn("a new session")])
    await add(turn("last"))


def rows(store: SQLTrackerStore, sender: str) -> list[tuple[str, dict[str, Any]]]:
    """The conversation's rows in order, without their timestamps (the two runs differ in time)."""
    with store.session_scope() as session:
        found = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id)
        return [(row.type_name, {k: v for k, v in json.loads(row.data).items() if k != "timestamp"}) for row in found]


def assert_same_rows(test: Any, stock: SQLTrackerStore, other: SQLTrackerStore) -> None:
    """One conversation, as Rasa has it, through each store: the same rows in both databases."""
    sender = f"conversation-{uuid.uuid4().hex[:8]}"
    asyncio.run(conversation(stock, sender))
    asyncio.run(conversation(other, sender))
    expected = rows(stock, sender)
    test.assertGreater(len(expected), 25)
    test.assertEqual(rows(other, sender), expected)


class Statements:
    """The SQL an engine sends while the block runs."""

    def __init__(self, store: SQLTrackerStore) -> None:
        from sqlalchemy import event

        self.sent: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *args: self.sent.append(str(args[2]).lower()))


class SameRowsAsRasa:
    """The tests, on a pair of stores (Rasa's and the project's) that `stores` makes."""

    stores: Callable[[], tuple[SQLTrackerStore, SQLTrackerStore]]

    def test_the_same_rows_as_rasas_store(self: Any) -> None:
        stock, known = self.stores()
        self.assertIsInstance(known, KnownRowsSQLTrackerStore)
        assert_same_rows(self, stock, known)

    def test_a_tracker_it_read_is_saved_without_counting(self: Any) -> None:
        for store, counts in zip(self.stores(), (1, 0), strict=True):
            sender = f"conversation-{uuid.uuid4().hex[:8]}"
            asyncio.run(conversation(store, sender))
            tracker = asyncio.run(store.retrieve(sender))
            for event in turn("one more"):
                tracker.update(event, DOMAIN)
            statements = Statements(store)
            asyncio.run(store.save(tracker))
            with self.subTest(store=type(store).__name__):
                self.assertEqual(sum("count(" in sql for sql in statements.sent), counts)
                self.assertTrue(any(sql.startswith("insert") for sql in statements.sent))

    def test_a_new_conversation_is_counted_once(self: Any) -> None:
        for store, counts in zip(self.stores(), (2, 1), strict=True):
            statements = Statements(store)
            sender = f"conversation-{uuid.uuid4().hex[:8]}"
            tracker = asyncio.run(store.get_or_create_tracker(sender))  # Rasa creates and saves it
            for event in [*session_start(), *turn("the first message")]:
                tracker.update(event, DOMAIN)
            asyncio.run(store.save(tracker))
            with self.subTest(store=type(store).__name__):
                self.assertEqual(sum("count(" in sql for sql in statements.sent), counts)


class OnSQLite(SameRowsAsRasa, unittest.TestCase):
    def stores(self) -> tuple[SQLTrackerStore, SQLTrackerStore]:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        return (
            SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(Path(directory.name) / "stock.db")),
            KnownRowsSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(Path(directory.name) / "known.db")),
        )


def postgresql_stores(test: unittest.TestCase, *classes: type[SQLTrackerStore]) -> list[SQLTrackerStore]:
    """A store of each class in a database of its own, created by Rasa's store (as in a cluster) and
    dropped afterwards; the test skips, saying why, without a PostgreSQL."""
    try:
        import psycopg2

        psycopg2.connect(host=POSTGRES_HOST, user="postgres", dbname="postgres", connect_timeout=3).close()
    except Exception as error:  # psycopg2 missing or no server: the reason is the skip's message
        test.skipTest(f"no PostgreSQL at {POSTGRES_HOST}:5432 ({type(error).__name__}: {error})")
    made = []
    for cls in classes:
        name = f"lumio_launcher_test_{uuid.uuid4().hex[:8]}"
        store = cls(DOMAIN, dialect="postgresql", host=POSTGRES_HOST, db=name, username="postgres", login_db="postgres")
        test.addCleanup(drop_database, name, store)
        made.append(store)
    return made


class OnPostgreSQL(SameRowsAsRasa, unittest.TestCase):
    def stores(self) -> tuple[SQLTrackerStore, SQLTrackerStore]:
        stock, known = postgresql_stores(self, SQLTrackerStore, KnownRowsSQLTrackerStore)
        return stock, known


class AsyncOnPostgreSQL(unittest.TestCase):
    """The asyncpg store: Rasa's rows, and Rasa's trackers read back from them."""

    def test_the_same_rows_as_rasas_store(self) -> None:
        assert_same_rows(self, *postgresql_stores(self, SQLTrackerStore, AsyncPostgresTrackerStore))

    def test_it_reads_the_latest_session_as_rasas_store_does(self) -> None:
        (on_asyncpg,) = postgresql_stores(self, AsyncPostgresTrackerStore)
        stock = SQLTrackerStore(
            DOMAIN, dialect="postgresql", host=POSTGRES_HOST, db=on_asyncpg.engine.url.database, username="postgres"
        )
        self.addCleanup(stock.engine.dispose)
        sender = f"conversation-{uuid.uuid4().hex[:8]}"
        asyncio.run(conversation(stock, sender))  # written by Rasa's store, two sessions
        mine, rasas = asyncio.run(on_asyncpg.retrieve(sender)), asyncio.run(stock.retrieve(sender))
        self.assertIsNotNone(mine)
        self.assertEqual(mine.current_state(), rasas.current_state())
        self.assertEqual([event.as_dict() for event in mine.events], [event.as_dict() for event in rasas.events])
        self.assertIsNone(asyncio.run(on_asyncpg.retrieve("nobody")))

    def test_it_refuses_a_database_that_is_not_postgresql(self) -> None:
        with tempfile.TemporaryDirectory() as directory, self.assertRaises(ValueError):
            AsyncPostgresTrackerStore(DOMAIN, dialect="sqlite", db=str(Path(directory) / "tracker.db"))


def drop_database(name: str, store: SQLTrackerStore) -> None:
    import psycopg2

    store.engine.dispose()
    connection = psycopg2.connect(host=POSTGRES_HOST, user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


class MadeByRasa(unittest.TestCase):
    def test_rasa_builds_it_from_an_endpoints_file(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            config = EndpointConfig(type=STORE_TYPE, dialect="sqlite", db=str(Path(directory) / "tracker.db"))
            store = TrackerStore.create(config, DOMAIN)
            self.assertIsInstance(getattr(store, "_tracker_store", store), KnownRowsSQLTrackerStore)


if __name__ == "__main__":
    unittest.main()
