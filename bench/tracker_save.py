"""What saving one turn to Rasa's SQL tracker store costs Rasa's event loop: the stock SQLTrackerStore's
`save` against the same save with one Core INSERT of all the turn's rows, with and without the count
query `save` runs to find the events the database does not hold yet.

Rasa saves the tracker once a turn, synchronously on its event loop, which is what limits a Rasa
replica of `make cluster` (PostgreSQL tracker store). Three saves, each on a stock SQLTrackerStore of
its own (its own engine and pool) in one database of the bench's own, created and dropped by it
(`--database`, default `lumio_tracker_bench`, on the PostgreSQL of `--postgres-url`, with the settings
`make cluster` writes; with `--sqlite`, a SQLite file as well, `make run`'s default):

- `stock`: `SQLTrackerStore.save` (ORM objects; SQLAlchemy 1.4 sends them to psycopg2 as one
  INSERT … RETURNING of all rows, to SQLite as one INSERT each);
- `batched`: the same rows, columns and order in one Core `insert(SQLEvent.__table__)` executemany
  (no ids asked back), after the same count query;
- `batched_without_count`: that INSERT told how many events the tracker held when it was read instead
  of counting them (what a store has to remember between `retrieve` and `save`; the project's store,
  rasa_launcher/tracker_store.py, now does, with the stock ORM save).

Each keeps conversations of `--turns` turns going, one FAQ turn as the product writes it (user,
user_featurization, action_answer_faq, two bot messages, two slots, action_listen: 8 events, with the
project's domain.yml), after an untimed session start. For `--rounds` rounds, alternating which save goes
first, each saves its next turn (timed), reads the conversation back (timed: `retrieve`, the same code for
all three; checked equal to what was saved, and the tracker the next turn adds to, as in Rasa) and runs
the count query alone (timed). The SQL statements each save sends are counted (psycopg2 sends BEGIN and
COMMIT as round trips of their own besides these).

Figures (p50, p95, mean in milliseconds) go to bench/results/tracker_save.json.
Runs in Rasa's environment: `.venv-rasa/bin/python -m bench.tracker_save [--rounds 400] [--sqlite]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.results import percentile, write

ROOT = Path(__file__).resolve().parent.parent
STORES = ("stock", "batched", "batched_without_count")
WARM_UP = 20
META = {"model_id": "66201dfdf1bd44679ff25739edc6ea89", "assistant_id": "lumio_aftersales"}


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 3),
        "p95_ms": round(percentile(samples, 95) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
    }


def session_start() -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    return [
        ActionExecuted("action_session_start", metadata=META),
        SessionStarted(metadata=META),
        ActionExecuted("action_listen", metadata=META),
        SlotSet("language", "zh", metadata=META),
    ]


def faq_turn(number: int) -> list[Any]:
    """One answered FAQ question, with the events and the sizes of a real turn (`lumio_scale_rasa`)."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        DefinePrevUserUtteredFeaturization,
        SlotSet,
        UserUttered,
    )

    evidence = {"decision": "answer", "confidence": 0.9192, "entry": "p06-return-window", "names_order": False}
    metadata = {"language": "zh", "channel": "api", "may_escalate": True, "message_id": number, "evidence": evidence}
    intent = {"name": "ask_faq", "confidence": 0.9731}
    ranking = [intent, {"name": "check_order", "confidence": 0.0142}, {"name": "greet", "confidence": 0.0061}]
    text = "买了七天了还能退货吗？"
    parse_data = {"text": text, "intent": intent, "entities": [], "intent_ranking": ranking, "metadata": metadata}
    answer = "自签收次日起 7 天内，大部分商品支持无理由退货（需保持商品完好、配件齐全）。" * 2
    turn = {"outcome": "answered", "faq_id": "p06-return-window", "confidence": 0.9192, "language": "zh"}
    return [
        UserUttered(text, intent, [], parse_data, message_id=f"m{number}", metadata={**metadata, **META}),
        DefinePrevUserUtteredFeaturization(False, metadata=META),
        ActionExecuted("action_answer_faq", policy="RulePolicy", confidence=1.0, metadata=META),
        BotUttered(answer, {"buttons": [{"title": "👍", "payload": "/vote"}]}, metadata=META),
        BotUttered(None, {"custom": {"turn": turn}}, metadata=META),
        SlotSet("last_faq_id", "p06-return-window", metadata=META),
        SlotSet("faq_misses", 0.0, metadata=META),
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0, metadata=META),
    ]


async def stock_save(store: Any, tracker: Any, known: int) -> None:
    await store.save(tracker)


def event_row(sender_id: str, event: Any) -> dict[str, Any]:
    """The row the stock `save` writes for an event: same columns, same serialisation."""
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


async def batched_save(store: Any, tracker: Any, known: int) -> None:
    """The stock `save` with one Core INSERT of all new rows (no ids asked back) instead of ORM objects."""
    from sqlalchemy import insert

    await store.stream_events(tracker)
    with store.session_scope() as session:
        rows = [event_row(tracker.sender_id, event) for event in store._additional_events(session, tracker)]
        if rows:
            session.execute(insert(store.SQLEvent.__table__), rows)
        session.commit()


async def batched_save_without_count(store: Any, tracker: Any, known: int) -> None:
    """`batched_save` told how many events the tracker held when it was read, instead of counting them
    in the database (what a store would have to remember between `retrieve` and `save` to skip it)."""
    from sqlalchemy import insert

    await store.stream_events(tracker)
    with store.session_scope() as session:
        rows = [event_row(tracker.sender_id, event) for event in list(tracker.events)[known:]]
        if rows:
            session.execute(insert(store.SQLEvent.__table__), rows)
        session.commit()


SAVES: dict[str, Callable[[Any, Any, int], Awaitable[None]]] = {
    "stock": stock_save,
    "batched": batched_save,
    "batched_without_count": batched_save_without_count,
}


class Counted:
    """The statements an engine sends (executemany counts once: psycopg2 sends it as one VALUES list)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1


class Conversations:
    """One store's conversations: a tracker of `turns` turns, then the next sender."""

    def __init__(self, name: str, store: Any, domain: Any, turns: int) -> None:
        self.name, self.store, self.domain, self.turns = name, store, domain, turns
        self.save = SAVES[name]
        self.counted = Counted(store.engine)
        self.saves: list[float] = []
        self.retrieves: list[float] = []
        self.counts: list[float] = []
        self.statements: list[int] = []
        self.events_per_save: list[int] = []
        self.tracker: Any = None
        self.conversation = 0
        self.turn = 0

    async def next_turn(self, timed: bool) -> None:
        from rasa.shared.core.trackers import DialogueStateTracker

        if self.tracker is None or self.turn == self.turns:
            self.conversation += 1
            self.turn = 0
            self.tracker = DialogueStateTracker(f"bench-{self.name}-{self.conversation}", self.domain.slots)
            for event in session_start():
                self.tracker.update(event, self.domain)
            await stock_save(self.store, self.tracker, 0)
            # Rasa works on the tracker as it reads it back: the latest session, from SessionStarted on.
            self.tracker = await self.store.retrieve(self.tracker.sender_id)
        self.turn += 1
        before = len(self.tracker.events)
        for event in faq_turn(self.turn):
            self.tracker.update(event, self.domain)

        statements = self.counted.statements
        started = time.perf_counter()
        await self.save(self.store, self.tracker, before)
        saved = time.perf_counter() - started
        sent = self.counted.statements - statements

        started = time.perf_counter()
        retrieved = await self.store.retrieve(self.tracker.sender_id)
        read = time.perf_counter() - started
        if [e.as_dict() for e in retrieved.events] != [e.as_dict() for e in self.tracker.events]:
            raise AssertionError(f"{self.name}: {self.tracker.sender_id} read back differs from what was saved")
        self.tracker = retrieved

        with self.store.session_scope() as session:
            query = self.store._event_query(session, self.tracker.sender_id, fetch_events_from_all_sessions=False)
            started = time.perf_counter()
            query.count()
            counted = time.perf_counter() - started

        if timed:
            self.saves.append(saved)
            self.retrieves.append(read)
            self.counts.append(counted)
            self.statements.append(sent)
            self.events_per_save.append(len(self.tracker.events) - before)

    def figures(self) -> dict[str, Any]:
        return {
            "save": summary(self.saves),
            "retrieve": summary(self.retrieves),
            "count_query": summary(self.counts),
            "statements_per_save": statistics.median(self.statements),
            "events_per_save": statistics.median(self.events_per_save),
        }


async def compare(stores: dict[str, Any], domain: Any, rounds: int, turns: int, label: str) -> dict[str, Any]:
    runs = {name: Conversations(name, store, domain, turns) for name, store in stores.items()}
    for number in range(WARM_UP + rounds):
        order = STORES if number % 2 == 0 else STORES[::-1]
        for name in order:
            await runs[name].next_turn(timed=number >= WARM_UP)
        if number >= WARM_UP and (number - WARM_UP + 1) % 100 == 0:
            medians = ", ".join(f"{n} {percentile(r.saves, 50) * 1000:.2f} ms" for n, r in runs.items())
            print(f"[{label}] {number - WARM_UP + 1}/{rounds} saves, median {medians}", file=sys.stderr)
    figures: dict[str, Any] = {name: run.figures() for name, run in runs.items()}
    stock = figures["stock"]["save"]["p50_ms"]
    for name in STORES[1:]:
        faster = stock - figures[name]["save"]["p50_ms"]
        figures[name]["save_p50_less_ms"] = round(faster, 3)
        figures[name]["save_p50_less_percent"] = round(100 * faster / stock, 1)
    return figures


def open_stores(domain: Any, **settings: Any) -> dict[str, Any]:
    """A stock SQLTrackerStore per variant (each its own engine and pool, as each Rasa replica has)."""
    from rasa.core.tracker_store import SQLTrackerStore

    return {name: SQLTrackerStore(domain, **settings) for name in STORES}


@contextmanager
def bench_database(admin_url: str, name: str) -> Iterator[Any]:
    """A database of the bench's own on the server of `admin_url`, dropped afterwards (and first, left
    over from an interrupted run)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def run(rounds: int, turns: int, postgres_url: str, database: str, sqlite: bool) -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "domain.yml"))
    figures: dict[str, Any] = {"rounds": rounds, "turns_per_conversation": turns}
    with bench_database(postgres_url, database) as url:
        # The settings make cluster writes (scripts/cluster.sh): dialect, host, port, db, username.
        stores = open_stores(
            domain, dialect="postgresql", host=url.host, port=url.port, db=database, username=url.username
        )
        try:
            figures["postgresql"] = asyncio.run(compare(stores, domain, rounds, turns, "postgresql"))
        finally:
            for store in stores.values():
                store.engine.dispose()
    if sqlite:
        with tempfile.TemporaryDirectory() as directory:
            stores = open_stores(domain, dialect="sqlite", db=str(Path(directory) / "tracker.db"))
            try:
                figures["sqlite"] = asyncio.run(compare(stores, domain, rounds, turns, "sqlite"))
            finally:
                for store in stores.values():
                    store.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=400, help="timed saves per store (after 20 untimed)")
    parser.add_argument("--turns", type=int, default=10, help="turns per conversation before the next one")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="lumio_tracker_bench", help="created and dropped by the bench")
    parser.add_argument("--sqlite", action="store_true", help="measure a SQLite file as well")
    args = parser.parse_args(argv)
    write("tracker_save", run(args.rounds, args.turns, args.postgres_url, args.database, args.sqlite))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
