"""Who may use the order-system API (`/api/v1/orders`, `/api/v1/repairs`): the merchant's systems and
its admins, nobody else.

- An integration token (`Authorization: Bearer lmk_…`, role `integration`) with the `orders` scope,
  while its owner is an admin (`TokenCaller.may`). Orders are the merchant's, not an integration's:
  there is no namespace as with conversations, every such token reads and writes the same orders.
- An admin: a console session (cookie, and the CSRF token on a PUT) or a staff token acting as admin.
No credential, or an unknown, expired or revoked token: 401. An integration token without the
scope, or staff below admin: 403.

`OrdersRoute` admits the caller before FastAPI reads the body (as `api.staff_route.StaffRoute` does
for staff routes, which an integration token may not enter), so nobody learns from a 400 or 422 what
these routes take without the right to call them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute

from api.auth import WrongRole, authorize, known_caller
from api.conversation_access import NoCredential, bearer
from api.deps import Runtime, get_runtime
from desk.models import Role, Scope, TokenRole
from engine.blocking import run_blocking


@dataclass(frozen=True)
class OrderCaller:
    # Who the audit log names: `token:<name>` or `user:<username>`.
    actor: str


async def admit(request: Request, runtime: Runtime) -> OrderCaller:
    """The caller if it may use the order-system API; 401 or 403 otherwise. Looked up once per request."""
    known = getattr(request.state, "order_caller", None)
    if isinstance(known, OrderCaller):
        return known
    secret = bearer(request)
    if secret is not None:
        found = await run_blocking(runtime.services.access.token_caller, secret)
        if found is None:
            raise NoCredential("the API token is unknown, expired or revoked")
        if found.token.role == TokenRole.INTEGRATION:
            if not found.may(Scope.ORDERS):
                raise HTTPException(403, "this token has no `orders` scope")
        elif found.staff_role != Role.ADMIN:
            raise WrongRole(Role.ADMIN, found.staff_role or Role.AGENT)
        caller = OrderCaller(f"token:{found.token.name}")
    else:
        # A console session: an admin's, with its CSRF token on a PUT.
        admitted = await authorize(request, await known_caller(request, runtime), Role.ADMIN)
        caller = OrderCaller(admitted.staff.actor)
    request.state.order_caller = caller
    return caller


async def order_caller(request: Request) -> OrderCaller:
    return await admit(request, get_runtime(request))


OrderCallerDep = Annotated[OrderCaller, Depends(order_caller)]


class OrdersRoute(APIRoute):
    """Admits the caller (`admit`) before the body is read; the route's `OrderCallerDep` finds it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def admit_then_handle(request: Request) -> Response:
            await admit(request, get_runtime(request))
            return await handle(request)

        return admit_then_handle
