"""SQLite connection settings: WAL, foreign keys, and commits that wait for the disk (nothing acknowledged is lost)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from desk.database import make_engine


def test_sqlite_connections_use_wal_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL, SQLite's default
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
