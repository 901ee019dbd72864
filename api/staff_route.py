"""The route class of every router with staff routes: the caller is admitted before the body is read.

FastAPI reads and parses a request's body before it solves the route's dependencies, so with
`StaffDep` alone anyone could make the app parse what only staff may send, and learn from a 400 or
422 what a route expects. `StaffRoute` runs the route's caller check (`api.auth.CALLER_CHECKS`:
`StaffDep`, `LeadDep`, `AdminDep`, the console's `AgentPage` …) first: 401 (the console: the sign-in
page), 403 for a role too low or a missing CSRF token, and only then lets FastAPI read the body. The
check runs again as the route's dependency, on the caller found the first time (`known_caller`).
Routes without a caller check (the console's sign-in) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.auth import CALLER_CHECKS, CallerCheck, known_caller
from api.deps import get_runtime


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def caller_checks(dependant: Dependant) -> list[CallerCheck]:
    """The caller checks among a route's dependencies, at any depth."""
    calls = list(_calls(dependant))
    return [check for check in CALLER_CHECKS if any(call is check for call in calls)]


class StaffRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        checks = caller_checks(self.dependant)
        if not checks:
            return handle

        async def admit_then_handle(request: Request) -> Response:
            caller = await known_caller(request, get_runtime(request))
            for check in checks:
                await check(request, caller)
            return await handle(request)

        return admit_then_handle
