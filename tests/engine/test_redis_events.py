"""The replicas' event bus against a real Redis: the machine's (`TEST_REDIS_URL`, skipped saying why
when it does not answer), each test on channels of its own, and a private `redis-server` of the
test's own for Redis going away and coming back."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
import redis
import structlog

from bench.system import free_port
from engine.events import RESYNC, Event, Subscription, conversation_topic
from engine.redis_events import RedisEventBus, decode, encode

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Reconnections in tenths of a second, not the product's half second doubling to 30.
FAST = {"first_retry": 0.05, "longest_retry": 0.2}


def redis_reason(url: str = REDIS_URL) -> str | None:
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as error:
        return f"Redis not reachable at {url}: {type(error).__name__}"
    return None


@pytest.fixture
def prefix() -> str:
    """Channels of this test only: runs (and tests) sharing the machine's Redis do not cross."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_url() -> str:
    if reason := redis_reason():
        pytest.skip(reason)
    return REDIS_URL


@asynccontextmanager
async def started(*buses: RedisEventBus, listening: bool = True) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for bus in buses:
            await bus.start()
            stack.push_async_callback(bus.close)
        if listening:
            for bus in buses:
                await bus.wait_listening(5)
        yield


async def received(subscription: Subscription, timeout: float = 5.0) -> Event | None:
    return await subscription.next(timeout)


def test_an_event_crosses_as_json_with_its_origin() -> None:
    event = Event("staff:c-1", "delivery", {"message_id": 7, "state": "delivered", "note": "已送达"})
    assert decode(encode("replica-a", event)) == ("replica-a", event)
    for unreadable in (b"not json", b"[]", b'{"origin": "a", "topic": "t", "kind": "k"}', b'{"origin": 1}'):
        assert decode(unreadable) is None


async def test_an_event_published_on_one_replica_reaches_the_others_once(redis_url: str, prefix: str) -> None:
    a, b = RedisEventBus(redis_url, prefix=prefix), RedisEventBus(redis_url, prefix=prefix)
    topic = conversation_topic("c-1")
    async with started(a, b), a.subscribe([topic]) as at_a, b.subscribe([topic]) as at_b:
        a.publish(topic, "message", message_id=3)
        assert await received(at_b) == Event(topic, "message", {"message_id": 3})
        assert await received(at_a) == Event(topic, "message", {"message_id": 3})
        # A's own event came back from Redis too: it is not delivered twice.
        b.publish(topic, "message", message_id=4)
        assert await received(at_a) == Event(topic, "message", {"message_id": 4})
        assert await received(at_a, timeout=0.3) is None
        assert await received(at_b) == Event(topic, "message", {"message_id": 4})
        assert await received(at_b, timeout=0.3) is None


async def test_only_subscribers_of_the_topic_and_of_the_deployment_get_it(redis_url: str, prefix: str) -> None:
    a, b = RedisEventBus(redis_url, prefix=prefix), RedisEventBus(redis_url, prefix=prefix)
    elsewhere = RedisEventBus(redis_url, prefix=f"{prefix}-other")
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(started(a, b, elsewhere))
        queue = await stack.enter_async_context(b.subscribe(["queue"]))
        staff = await stack.enter_async_context(b.subscribe(["staff:c-1"]))
        other = await stack.enter_async_context(elsewhere.subscribe(["queue"]))
        a.publish("queue", "escalated", conversation_id="c-1")
        assert await received(queue) == Event("queue", "escalated", {"conversation_id": "c-1"})
        assert await received(staff, timeout=0.3) is None
        assert await received(other, timeout=0.3) is None


def kill_clients(url: str, name_prefix: str) -> int:
    """CLIENT KILL of every connection named by the bus (as a network failure would end them)."""
    with redis.Redis.from_url(url) as client:
        ids = [c["id"] for c in client.client_list() if str(c.get("name", "")).startswith(name_prefix)]
        for client_id in ids:
            client.client_kill_filter(_id=client_id)
    return len(ids)


async def test_connections_killed_under_the_bus_are_made_again(redis_url: str, prefix: str) -> None:
    a, b = RedisEventBus(redis_url, prefix=prefix, **FAST), RedisEventBus(redis_url, prefix=prefix, **FAST)
    async with started(a, b), b.subscribe(["queue"]) as at_b:
        a.publish("queue", "before")
        assert await received(at_b) == Event("queue", "before")
        killed = kill_clients(redis_url, f"lumio-events:{a.replica}") + kill_clients(
            redis_url, f"lumio-events:{b.replica}"
        )
        assert killed >= 2  # each bus's publisher and subscriber
        # Until both are back, an event may be lost (it costs a refresh); then they flow again.
        deadline = time.monotonic() + 10
        while True:
            a.publish("queue", "after")
            event = await received(at_b, timeout=0.5)
            if event is not None and event.kind != RESYNC:  # B's own: it was cut off
                assert event.kind == "after"
                break
            assert time.monotonic() < deadline, "no event crossed after the connections were killed"


class PrivateRedis:
    """A `redis-server` of the test's own on a free loopback port, that can be stopped and started again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server is not None
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [server, *arguments, "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while redis_reason(self.url) is not None:
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: Redis going away and coming back is not tried")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_redis_going_away_costs_nothing_but_live_updates_and_they_come_back(
    private_redis: PrivateRedis, prefix: str
) -> None:
    a = RedisEventBus(private_redis.url, prefix=prefix, **FAST)
    b = RedisEventBus(private_redis.url, prefix=prefix, **FAST)
    with structlog.testing.capture_logs() as logs:
        async with started(a, b), a.subscribe(["queue"]) as at_a, b.subscribe(["queue"]) as at_b:
            private_redis.stop()
            # Publishing never fails: this replica's subscribers have it at once ...
            a.publish("queue", "while_away", conversation_id="c-9")
            assert await received(at_a, timeout=0.1) == Event("queue", "while_away", {"conversation_id": "c-9"})
            await asyncio.sleep(0.5)  # both sides notice, and keep retrying
            assert not b.listening
            private_redis.start()
            await b.wait_listening(10)
            # B may have missed A's events of the gap: its subscribers are told to refetch.
            resync = await received(at_b, timeout=5)
            while resync is not None and resync.kind != RESYNC:
                resync = await received(at_b, timeout=5)
            assert resync == Event("queue", RESYNC)
            # ... and it goes out once Redis is back (whether B hears it depends on who reconnects
            # first: an event of the gap costs a refresh). Then the bus carries events as before.
            a.publish("queue", "back")
            deadline = time.monotonic() + 10
            while (event := await received(at_b, timeout=1)) is None or event.kind != "back":
                assert time.monotonic() < deadline, "no event crossed after Redis came back"
                a.publish("queue", "back")
    events = [entry["event"] for entry in logs]
    assert "event_bus_redis_lost" in events and "event_bus_redis_connected" in events


async def test_a_redis_that_is_not_there_leaves_one_process_working(prefix: str) -> None:
    bus = RedisEventBus(f"redis://127.0.0.1:{free_port()}/0", prefix=prefix, **FAST)
    with structlog.testing.capture_logs() as logs:
        async with started(bus, listening=False), bus.subscribe(["queue"]) as subscription:
            bus.publish("queue", "escalated", conversation_id="c-1")
            assert await received(subscription, timeout=1) == Event("queue", "escalated", {"conversation_id": "c-1"})
            await asyncio.sleep(0.3)
            assert not bus.listening
    assert any(entry["event"] == "event_bus_redis_lost" for entry in logs)


async def test_a_full_outgoing_queue_drops_the_oldest_events(prefix: str) -> None:
    bus = RedisEventBus(f"redis://127.0.0.1:{free_port()}/0", prefix=prefix, outgoing_limit=3)
    for number in range(5):  # not started: nothing leaves
        bus.publish("queue", "changed", number=number)
    assert bus.dropped == 2
