"""Engine and sessions for the configured database, and schema upgrades through Alembic."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from desk.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The PostgreSQL advisory lock app replicas take around a schema upgrade ("lumiomig"; any constant).
MIGRATION_LOCK_KEY = 0x6C756D696F6D6967


def normalise_url(url: str) -> str:
    """`postgresql://…` means the psycopg 3 driver, the one installed."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            # WAL lets readers (the console) run while the app writes; foreign keys are off by default.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    settings = get_settings()
    return create_engine(
        url, pool_pre_ping=True, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
    )


def upgrade_schema(url: str) -> None:
    """Bring the database to the newest migration, one process at a time (`migration_lock`): app
    replicas started at once on an empty database would otherwise race to create the same tables."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    with migration_lock(url):
        command.upgrade(config, "head")


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Held while a process upgrades the schema. PostgreSQL: a session advisory lock
    (`pg_advisory_lock`, database-wide) on a connection of its own, which PostgreSQL lets go if the
    process dies. A SQLite file: an exclusive `flock` on `<file>.migrate-lock` beside it (processes
    of one machine, the only ones that share a SQLite file). Anything else (SQLite in memory): none."""
    normal = normalise_url(url)
    if normal.startswith("postgresql"):
        engine = create_engine(normal, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    connection.commit()
        finally:
            engine.dispose()
        return
    database = normal.removeprefix("sqlite:///").split("?", 1)[0] if normal.startswith("sqlite:///") else ""
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@lru_cache(maxsize=4)
def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)
