"""Caps on long-lived connections (event streams, chat sockets): at most so many at once per client
and in total. Counted in this process, since what a connection holds (a socket, its tasks, its
buffers) is this process's; each replica has its own caps."""

from __future__ import annotations

from collections import Counter
from types import TracebackType


class Lease:
    """One admitted connection; `release` (or leaving the `with` block) gives its place back, once."""

    def __init__(self, caps: ConnectionCaps, key: str) -> None:
        self._caps = caps
        self.key = key
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._caps._release(self.key)

    def __enter__(self) -> Lease:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()


class ConnectionCaps:
    def __init__(self, per_client: int, total: int, retry_after: int = 30) -> None:
        self.per_client = per_client
        self.total = total
        # What a refused client is told to wait: connections last minutes, so no exact time exists.
        self.retry_after = retry_after
        self._open: Counter[str] = Counter()

    def acquire(self, client: str) -> Lease | None:
        """A place for one more connection of `client`, or None when it or everyone has all theirs."""
        if self._open[client] >= self.per_client or self.open >= self.total:
            return None
        self._open[client] += 1
        return Lease(self, client)

    def _release(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]

    @property
    def open(self) -> int:
        return self._open.total()

    def open_for(self, client: str) -> int:
        return self._open[client]
