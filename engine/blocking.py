"""Blocking work (database sessions, retrieval, index builds) off the event loop.

The same worker threads (anyio's, 40 by default) as Starlette's `run_blocking`, without the
engine depending on a web framework."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from anyio import to_thread

P = ParamSpec("P")
T = TypeVar("T")


async def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await to_thread.run_sync(functools.partial(func, *args, **kwargs))
