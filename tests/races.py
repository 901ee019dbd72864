"""Racing calls on the database, in the worst interleaving on every run rather than by luck: calls
held before their first write of a table until every one has read what it decides on
(`writes_meet`), or one call held there while another one runs to its end (`hold_first_write`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, event

T = TypeVar("T")


@contextmanager
def writes_meet(engine: Engine, table: str, parties: int, verb: str = "UPDATE") -> Iterator[None]:
    """Hold each thread's first UPDATE of `table` (or `verb`: "INSERT INTO") until `parties` threads
    are there (or 5 s passed: a call refused before it writes must not hang the others)."""
    barrier = threading.Barrier(parties, timeout=5)
    held = threading.local()
    prefix = f"{verb} {table.upper()} "

    def before_execute(*args: Any) -> None:
        statement: str = args[2]
        if statement.lstrip().upper().startswith(prefix) and not getattr(held, "done", False):
            held.done = True
            with suppress(threading.BrokenBarrierError):
                barrier.wait()

    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


@dataclass
class Hold:
    """A thread held before its first write: `reached` is set there, `release` lets it go on."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def hold_first_write(engine: Engine, thread_name: str) -> Iterator[Hold]:
    """Hold the thread named `thread_name` before its first INSERT, UPDATE or DELETE (it has read
    everything it decides on by then, and holds no write lock yet)."""
    hold = Hold()

    def before_execute(*args: Any) -> None:
        statement: str = args[2]
        writes = statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")
        if writes and threading.current_thread().name == thread_name and not hold.reached.is_set():
            hold.reached.set()
            hold.release.wait(10)

    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield hold
    finally:
        hold.release.set()
        event.remove(engine, "before_cursor_execute", before_execute)


def race(*calls: Callable[[], T]) -> list[T | Exception]:
    """Run the calls at once, one thread each; each one's result or the exception it raised, in order."""
    outcomes: list[T | Exception] = [RuntimeError("did not finish") for _ in calls]

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
