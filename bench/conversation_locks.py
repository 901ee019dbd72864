"""What keeping a conversation's turns in order adds to each turn (engine/turns.py `_in_order`).

An uncontended turn takes its conversation's lock, reads the earlier messages still unanswered
(`AnswerBacklog.earlier`, which replaced the turn's earlier `before` query: one query either way) and
lets the lock go. Measured here, each on its own, `--rounds` times:

- the lock: `LocalLocks` (one process) and `RedisLocks` (replicas; the Redis at `--redis-url`:
  SET NX PX to take it, a token-checked script to let it go);
- the query: `earlier` against the `before` it replaced, on a SQLite file and, when `--postgres-url`
  answers, PostgreSQL, in a conversation of `--messages` messages.

Figures (p50, p95, mean in milliseconds) go to bench/results/conversation_locks.json.
`python -m bench.conversation_locks [--rounds 2000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from bench.results import percentile, write
from desk.answer_backlog import AnswerBacklog
from desk.conversations import ConversationStore
from desk.database import make_engine, normalise_url, upgrade_schema
from desk.models import MessageState
from engine.conversation_locks import ConversationLocks, LocalLocks, RedisLocks


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 4),
        "p95_ms": round(percentile(samples, 95) * 1000, 4),
        "mean_ms": round(statistics.fmean(samples) * 1000, 4),
    }


async def timed(rounds: int, step: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    for number in range(min(50, rounds)):  # warm up (connections, caches)
        await step(number)
    samples = []
    for number in range(rounds):
        started = time.perf_counter()
        await step(number)
        samples.append(time.perf_counter() - started)
    return summary(samples)


async def lock_cost(locks: ConversationLocks, rounds: int) -> dict[str, float]:
    async def step(number: int) -> None:
        async with locks.hold(f"bench-{number % 100}", wait=5):
            pass

    return await timed(rounds, step)


def query_cost(url: str, rounds: int, messages: int) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    store, backlog = ConversationStore(sessions), AnswerBacklog(sessions)
    last = 0
    for number in range(messages):
        stored = store.record_inbound(
            "bench-1", text=f"message {number}", payload=None, language="en", channel="api", claim=True
        )
        last = stored.message.id
        store.mark(last, MessageState.ANSWERED)

    async def before(_: int) -> None:
        backlog.before("bench-1", last + 1)

    async def earlier(_: int) -> None:
        backlog.earlier("bench-1", last + 1)

    try:
        return {"before": asyncio.run(timed(rounds, before)), "earlier": asyncio.run(timed(rounds, earlier))}
    finally:
        engine.dispose()


def run(rounds: int, redis_url: str | None, postgres_url: str | None, messages: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"rounds": rounds, "messages_in_conversation": messages}
    figures["local_lock"] = asyncio.run(lock_cost(LocalLocks(), rounds))
    if redis_url:

        async def redis_figures() -> dict[str, float]:
            locks = RedisLocks(redis_url, f"bench-locks-{uuid.uuid4().hex[:8]}")
            try:
                return await lock_cost(locks, rounds)
            finally:
                await locks.close()

        try:
            figures["redis_lock"] = asyncio.run(redis_figures())
        except Exception as error:  # no Redis here: said, not measured
            figures["redis_lock"] = {"error": f"{type(error).__name__}: {error}"}
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'desk.db'}"
        upgrade_schema(url)
        figures["sqlite_query"] = query_cost(url, rounds, messages)
    if postgres_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(postgres_url))
        try:
            with admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            separator = "&" if "?" in postgres_url else "?"
            url = f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
            upgrade_schema(url)
            figures["postgresql_query"] = query_cost(url, rounds, messages)
        except Exception as error:
            figures["postgresql_query"] = {"error": f"{type(error).__name__}: {error}"}
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=40, help="customer messages in the measured conversation")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    write("conversation_locks", run(args.rounds, args.redis_url or None, args.postgres_url or None, args.messages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
