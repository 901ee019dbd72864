"""The rate limiter (over `limits`) and the connection caps the public surfaces are built on."""

from __future__ import annotations

import pytest
import structlog

from bench.system import free_port
from engine.connection_caps import ConnectionCaps
from engine.rate_limiter import RateLimiter, check_storage_uri, parse_limits


async def test_a_moving_window_refuses_past_its_limit_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter()
    limits = parse_limits("2/minute;3/hour")
    assert [await limiter.hit(limits, "messages", "c-1") for _ in range(2)] == [0, 0]
    wait = await limiter.hit(limits, "messages", "c-1")
    assert 0 < wait <= 60
    assert await limiter.peek(limits, "messages", "c-1") > 0
    # Each key and each kind of event has its own count.
    assert await limiter.hit(limits, "messages", "c-2") == 0
    assert await limiter.hit(limits, "reads", "c-1") == 0
    await limiter.close()


async def test_peek_counts_nothing() -> None:
    limiter = RateLimiter()
    limits = parse_limits("1/minute")
    for _ in range(3):
        assert await limiter.peek(limits, "escalations", "c-1") == 0
    assert await limiter.hit(limits, "escalations", "c-1") == 0
    assert await limiter.peek(limits, "escalations", "c-1") > 0


async def test_a_redis_that_does_not_answer_lets_requests_through() -> None:
    """Refusing every customer while Redis is down would be the outage the limits exist to prevent."""
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    with structlog.testing.capture_logs() as logs:
        assert await limiter.hit(parse_limits("1/minute"), "messages", "c-1") == 0
        assert await limiter.hit(parse_limits("1/minute"), "messages", "c-1") == 0
    assert any(entry["event"] == "rate_limit_storage_failed" for entry in logs)
    await limiter.close()


def test_limits_and_storages_are_checked_when_read() -> None:
    assert [str(limit) for limit in parse_limits("20/minute;300/day")] == ["20 per 1 minute", "300 per 1 day"]
    for wrong in ("lots", "", "30 a minute"):
        with pytest.raises(ValueError, match="rate limit"):
            parse_limits(wrong)
    assert check_storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    with pytest.raises(ValueError, match="memory:// or a Redis URL"):
        check_storage_uri("memcached://127.0.0.1:11211")


def test_connection_caps_per_client_and_in_total() -> None:
    caps = ConnectionCaps(per_client=2, total=3)
    first, second = caps.acquire("a"), caps.acquire("a")
    assert first is not None and second is not None
    assert caps.acquire("a") is None  # a's two
    third = caps.acquire("b")
    assert third is not None
    assert caps.acquire("c") is None  # everyone's three
    first.release()
    first.release()  # once only
    assert caps.open == 2 and caps.open_for("a") == 1
    lease = caps.acquire("c")
    assert lease is not None
    with lease:
        assert caps.open == 3
    assert caps.open == 2
