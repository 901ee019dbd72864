"""Rate limits counted where every app replica sees them: the `limits` library's moving window over
its async storage, in this process's memory (`memory://`, the default) or in Redis (`redis://…`,
so that a client spreading its requests over replicas is still counted once).

A limit is written as `limits` parses it: "30/minute", or several at once, "20/minute;300/day".
The public surfaces' limits and why they are what they are: README, Configuration."""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

log = structlog.get_logger(__name__)

STORAGE_SCHEMES = ("memory://", "redis://", "rediss://", "redis+unix://")
# A Redis that does not answer within this long lets the request through (see `RateLimiter.hit`).
REDIS_TIMEOUT_SECONDS = 0.5

Limits = tuple[RateLimitItem, ...]


def parse_limits(text: str) -> Limits:
    """ "30/minute" or "20/minute;300/day"; ValueError for anything else (settings fail at start)."""
    try:
        parsed = tuple(parse_many(text))
    except ValueError as error:
        raise ValueError(f"{text!r} is not a rate limit such as '30/minute' or '20/minute;300/day'") from error
    if not parsed:
        raise ValueError(f"{text!r} names no rate limit")
    return parsed


def check_redis_url(url: str) -> str:
    """A Redis URL both redis-py and the rate limits' storage read."""
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError(f"a Redis URL is redis://host:6379/0 (or rediss://…), not {url!r}")
    return url


def check_storage_uri(uri: str) -> str:
    if not uri.startswith(STORAGE_SCHEMES):
        raise ValueError(f"the rate-limit storage is memory:// or a Redis URL (redis://host:6379/0), not {uri!r}")
    return uri


class RateLimiter:
    """Counts events per (limit, key) in a moving window and says how long a refused caller waits."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        self._pool: ConnectionPool | None = None
        storage: Storage
        if check_storage_uri(storage_uri).startswith("memory://"):
            storage = MemoryStorage()
        else:
            # The app's own pool (closed in `close`), with timeouts: a hung Redis must not hang requests.
            self._pool = ConnectionPool.from_url(
                storage_uri, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                f"async+{storage_uri}", wrap_exceptions=True, implementation="redispy", key_prefix="lumio", **options
            )
        self.storage = storage
        self._window = MovingWindowRateLimiter(storage)

    async def hit(self, limits: Limits, *key: str) -> int:
        """Count one event against each of `limits` for `key`: 0 when they all allow it, else the
        seconds until the one that refused would allow it.

        A storage that fails (Redis down) lets the event through, logged: the limits protect the
        service, and refusing every customer while Redis is down would be the outage they prevent."""
        try:
            for limit in limits:
                if not await self._window.hit(limit, *key):
                    return await self._retry_after(limit, key)
        except StorageError as error:
            log.warning("rate_limit_storage_failed", error=str(error.storage_error))
        return 0

    async def peek(self, limits: Limits, *key: str) -> int:
        """As `hit`, without counting: whether one more event would be allowed now."""
        try:
            for limit in limits:
                if not await self._window.test(limit, *key):
                    return await self._retry_after(limit, key)
        except StorageError as error:
            log.warning("rate_limit_storage_failed", error=str(error.storage_error))
        return 0

    async def _retry_after(self, limit: RateLimitItem, key: tuple[str, ...]) -> int:
        # The moving window allows the next event when its oldest counted one leaves the window.
        stats = await self._window.get_window_stats(limit, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
