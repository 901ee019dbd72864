"""Processes starting at once on an empty database upgrade it one at a time (desk.database.
migration_lock): a PostgreSQL advisory lock, a file lock beside a SQLite file. Here threads with
connections of their own stand for the processes (tests/api/test_replicas.py starts real ones)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from desk.database import make_engine, upgrade_schema
from tests.desk.test_leases import fresh_database


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrades_started_at_once_on_an_empty_database_all_succeed(kind: str, tmp_path: Path) -> None:
    databases = fresh_database(kind, tmp_path, migrated=False)
    url = next(databases)
    try:
        barrier, failures = threading.Barrier(4, timeout=30), []

        def replica() -> None:
            barrier.wait()
            try:
                upgrade_schema(url)
            except Exception as error:  # what the test reports
                failures.append(repr(error))

        threads = [threading.Thread(target=replica) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        engine = make_engine(url)
        try:
            assert {"messages", "leases", "alembic_version"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    finally:
        databases.close()
