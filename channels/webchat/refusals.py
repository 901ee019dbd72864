"""Telling the operator about refused pages: every web-chat handshake refused for its `Origin` is
logged with the origin and what would allow it (`OriginPolicy.admits`).

A browser shows the page's visitor nothing useful (the handshake just fails), so the log is where a
site missing from `WEBCHAT_ALLOWED_ORIGINS` must show up, for as long as it keeps trying and not just
the first time. A page retrying every second, or a client sending made-up origins, must not flood
the log either: each origin is logged at most once per interval, with the number of refusals left
out since, and only so many origins are remembered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

# An `Origin` header is the client's to choose: logged cut to this many characters.
MAX_LOGGED_ORIGIN = 200


@dataclass
class _Seen:
    logged_at: float
    suppressed: int = 0


class RefusedOrigins:
    """Logs refused origins: at most once per `every_seconds` per origin, with a count of the rest."""

    def __init__(
        self, *, every_seconds: float = 60.0, capacity: int = 1000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every_seconds
        self._capacity = capacity
        self._clock = clock
        # Origin → when it was last logged; least recently logged first.
        self._seen: OrderedDict[str, _Seen] = OrderedDict()

    def refused(self, origin: str, transport: str, fix: str) -> None:
        """`fix`: what the operator can do about it, in one line."""
        origin = origin[:MAX_LOGGED_ORIGIN]
        now = self._clock()
        seen = self._seen.get(origin)
        if seen is not None and now - seen.logged_at < self._every:
            seen.suppressed += 1
            return
        suppressed = seen.suppressed if seen is not None else 0
        self._seen[origin] = _Seen(now)
        self._seen.move_to_end(origin)
        while len(self._seen) > self._capacity:
            # Forgotten with its count: only under a flood of distinct origins, each logged anyway.
            self._seen.popitem(last=False)
        log.warning("webchat_origin_refused", origin=origin, transport=transport, suppressed=suppressed, fix=fix)
