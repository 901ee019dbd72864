"""SQLite connection settings: WAL, foreign keys, and commits that wait for the disk (nothing acknowledged is lost)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import QueuePool, text

from desk.database import make_engine
from desk.settings import get_settings


def test_sqlite_connections_use_wal_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL, SQLite's default
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_a_server_databases_pool_is_sized_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DESK_DATABASE_MAX_OVERFLOW", "2")
    get_settings.cache_clear()
    try:
        # No connection is opened to build the engine: no server is needed.
        engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (3, 2)
    finally:
        get_settings.cache_clear()
