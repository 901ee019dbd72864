from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from desk.database import make_engine, normalise_url, upgrade_schema

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}"
    return None


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema of its own (`<prefix>_<random>`), dropped afterwards.
    The caller skips first when `_postgres_reason()` says no PostgreSQL answers."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS desk_test CASCADE"))
        connection.execute(text("CREATE SCHEMA desk_test"))
    engine.dispose()


def migrated_database(kind: str, tmp_path: Path) -> str:
    """The URL of a migrated, empty database of `kind` ("sqlite" or "postgresql"); a PostgreSQL test
    is skipped, saying why, when none is reachable."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        reason = _postgres_reason()
        if reason:
            pytest.skip(reason)
        _reset_postgres(POSTGRES_URL)
        separator = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{separator}options=-csearch_path%3Ddesk_test"
    upgrade_schema(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite always, PostgreSQL when one is reachable."""
    url = migrated_database(request.param, tmp_path)
    yield url
    make_engine(url).dispose()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
