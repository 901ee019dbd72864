"""Work that must run in one app replica at a time holds a lease (desk/leases.py) while it runs.

`Leases.holding(name)` waits until this replica has the lease (asking again every third of its
duration, and at once when this replica let it go), renews it every third of its duration while the
block runs, and gives it up when the block ends. A renewal that finds the lease taken by another
replica, or that cannot reach the database until the lease would have expired, cancels the block
(`LeaseLost`): another replica may be doing the same work by then. `run_while_holding(name, work)` runs
a long-lived loop only while holding its lease, and waits for the lease again when it is lost.

A replica that dies (killed, its machine gone) stops renewing: the lease expires `duration` after
its last renewal and another replica takes it over. `APP_LEASE_SECONDS` (30) is that duration.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

import structlog

from desk.leases import LeaseStore
from engine.blocking import run_blocking

log = structlog.get_logger(__name__)

LEASE_DURATION = timedelta(seconds=30)


class LeaseBusy(RuntimeError):
    """Another replica held the lease for as long as the caller could wait."""


class LeaseLost(RuntimeError):
    """The lease was taken over, or could not be renewed before it expired: the work was stopped."""


class Leases:
    def __init__(self, store: LeaseStore, holder: str, duration: timedelta = LEASE_DURATION) -> None:
        self.store = store
        self.holder = holder
        self._duration = duration
        self._seconds = duration.total_seconds()
        # Renewed (and asked for) this often: two renewals may fail before the lease expires.
        self._every = self._seconds / 3
        # Leases this replica gave up: a waiter here asks again at once.
        self._released = asyncio.Event()

    @asynccontextmanager
    async def holding(self, name: str, wait: float = math.inf) -> AsyncIterator[None]:
        """Hold the lease `name` inside the block (waiting at most `wait` seconds for it: `LeaseBusy`)."""
        await self._acquire(name, wait)
        task = asyncio.current_task()
        assert task is not None
        lost = asyncio.Event()
        keeper = asyncio.create_task(self._keep(name, task, lost), name=f"lease-{name}")
        try:
            yield
        except asyncio.CancelledError:
            if lost.is_set() and task.uncancel() == 0:
                raise LeaseLost(name) from None
            raise
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
            if not lost.is_set():
                await self._release(name)

    async def run_while_holding(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` (a loop that runs until cancelled) while this replica holds the lease; when the
        lease is lost, or `work` fails, wait for the lease again. Until cancelled."""
        while True:
            try:
                async with self.holding(name):
                    await work()
            except LeaseLost:
                continue
            except Exception:  # one failure does not end the work: another round, perhaps on another replica
                log.exception("leased_work_failed", lease=name)
                await asyncio.sleep(self._every)

    async def _acquire(self, name: str, wait: float) -> None:
        ends = time.monotonic() + wait
        waited = False
        while True:
            try:
                if await run_blocking(self.store.acquire, name, self.holder, self._duration):
                    log.info("lease_acquired", lease=name, holder=self.holder, waited=waited)
                    return
            except Exception as error:  # the database is away: ask again later
                log.warning("lease_not_acquired", lease=name, error=str(error))
            left = ends - time.monotonic()
            if left <= 0:
                raise LeaseBusy(name)
            if not waited:
                log.info("lease_waiting", lease=name, holder=self.holder)
                waited = True
            self._released.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), min(self._every, left))

    async def _keep(self, name: str, task: asyncio.Task[object], lost: asyncio.Event) -> None:
        valid_until = time.monotonic() + self._seconds
        while True:
            await asyncio.sleep(self._every)
            try:
                renewed = await run_blocking(self.store.acquire, name, self.holder, self._duration)
            except Exception as error:
                log.warning("lease_not_renewed", lease=name, error=str(error))
                # Still ours until it expires; past the last safe renewal, another replica may take it.
                if time.monotonic() + self._every < valid_until:
                    continue
                renewed = False
            if not renewed:
                log.warning("lease_lost", lease=name, holder=self.holder)
                lost.set()
                task.cancel()
                return
            valid_until = time.monotonic() + self._seconds

    async def _release(self, name: str) -> None:
        try:
            await run_blocking(self.store.release, name, self.holder)
        except Exception as error:  # it expires by itself
            log.warning("lease_not_released", lease=name, error=str(error))
        else:
            log.info("lease_released", lease=name, holder=self.holder)
        self._released.set()
