"""The desk database going away while the app runs, and coming back: every statement on the engine
the app's stores share (`desk.database.session_factory`) fails as SQLite fails when its file cannot
be opened. The pooled connections stay, as they do while a PostgreSQL server restarts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from desk.database import session_factory


@dataclass
class Outage:
    down: bool = True

    def end(self) -> None:
        self.down = False


@contextmanager
def database_down(url: str) -> Iterator[Outage]:
    """The database at `url` refuses every statement until `Outage.end()` or the end of the block."""
    engine: Engine = session_factory(url).kw["bind"]
    outage = Outage()

    def refuse(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if outage.down:
            raise OperationalError(statement, parameters, sqlite3.OperationalError("unable to open database file"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield outage
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def desk_url(folder: Any) -> str:
    """The database `tests.app_factory.build_app` gives the app over `folder`."""
    return f"sqlite:///{folder / 'desk.db'}"
