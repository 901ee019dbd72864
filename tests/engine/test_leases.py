"""Work held by a lease (engine/leases.py) over the desk database: one replica runs it at a time, the
other takes it over when the holder gives it up or stops renewing (it died), and a holder whose lease
was taken over has its work stopped."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.leases import LeaseStore
from engine.leases import LeaseBusy, LeaseLost, Leases

SHORT = timedelta(seconds=0.6)  # renewed every 0.2 s


def replica(sessions: sessionmaker[Session], name: str) -> Leases:
    return Leases(LeaseStore(sessions), name, SHORT)


async def test_one_replica_runs_the_work_and_the_other_waits_for_it(sessions: sessionmaker[Session]) -> None:
    a, b = replica(sessions, "a"), replica(sessions, "b")
    running: list[str] = []
    overlaps = 0

    async def work(leases: Leases) -> None:
        nonlocal overlaps
        async with leases.holding("sync"):
            overlaps += len(running)
            running.append(leases.holder)
            await asyncio.sleep(1.0)  # longer than the lease: renewed meanwhile
            running.remove(leases.holder)

    started = time.monotonic()
    await asyncio.gather(work(a), work(b))
    assert overlaps == 0
    assert time.monotonic() - started >= 2.0
    assert LeaseStore(sessions).get("sync") is None  # given up at the end


async def test_a_waiter_gives_up_after_its_wait(sessions: sessionmaker[Session]) -> None:
    a, b = replica(sessions, "a"), replica(sessions, "b")
    async with a.holding("sync"):
        with pytest.raises(LeaseBusy):
            async with b.holding("sync", wait=0.3):
                pytest.fail("held twice")


async def test_a_dead_holder_is_taken_over_after_the_lease(sessions: sessionmaker[Session]) -> None:
    # The dead replica took the lease and stopped renewing (its process was killed).
    assert LeaseStore(sessions).acquire("sync", "dead", SHORT)
    started = time.monotonic()
    async with replica(sessions, "b").holding("sync"):
        waited = time.monotonic() - started
    assert 0.3 < waited < 3


async def test_work_whose_lease_was_taken_over_is_stopped(sessions: sessionmaker[Session]) -> None:
    a = replica(sessions, "a")
    stopped = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            stopped.set()

    async def take_over() -> None:
        await asyncio.sleep(0.1)
        store = LeaseStore(sessions)
        assert store.release("sync", "a")  # as if it had expired …
        assert store.acquire("sync", "b", timedelta(minutes=1))  # … and another replica took it

    with pytest.raises(LeaseLost):
        async with a.holding("sync"):
            await asyncio.gather(work(), take_over())
    assert stopped.is_set()
    held = LeaseStore(sessions).get("sync")
    assert held is not None and held.holder == "b"  # not released by the replica that lost it


async def test_run_while_holding_moves_to_the_other_replica(sessions: sessionmaker[Session]) -> None:
    a, b = replica(sessions, "a"), replica(sessions, "b")
    rounds: list[str] = []

    def loop(name: str) -> asyncio.Task[None]:
        async def work() -> None:
            while True:
                rounds.append(name)
                await asyncio.sleep(0.05)

        leases = a if name == "a" else b
        return asyncio.create_task(leases.run_while_holding("loop", work))

    first = loop("a")
    await asyncio.sleep(0.3)
    second = loop("b")
    await asyncio.sleep(0.5)
    assert set(rounds) == {"a"}
    first.cancel()  # the replica stops: its lease is given up, the other takes over at once
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.sleep(0.5)
    assert rounds[-1] == "b"
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
