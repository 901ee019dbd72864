"""Who is calling: a console session (signed HttpOnly cookie + CSRF token) or an API token.

Routes declare what they need with `StaffDep`, `LeadDep` or `AdminDep`: anonymous callers get 401,
a role that is too low gets 403. Cookie-authenticated requests that change state must carry the
session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`); API tokens are not ambient
credentials, so they need none.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from api.settings import AppSettings
from desk.models import Role
from desk.users import Staff, allows

SESSION_COOKIE = "lumio_session"
LOGIN_CSRF_COOKIE = "lumio_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    staff: Staff
    # The console session's CSRF token; None for API tokens.
    csrf_token: str | None
    session_secret: str | None = None


class NotSignedIn(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"})


def _serializer(settings: AppSettings, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=f"lumio-{purpose}")


def sign(settings: AppSettings, purpose: str, value: str) -> str:
    return _serializer(settings, purpose).dumps(value)


def unsign(settings: AppSettings, purpose: str, signed: str | None) -> str | None:
    if not signed:
        return None
    try:
        value = _serializer(settings, purpose).loads(signed)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def set_session_cookie(response: Response, settings: AppSettings, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        sign(settings, "session", secret),
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=settings.cookies_secure,
        path="/",
    )


def clear_session_cookie(response: Response, settings: AppSettings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=settings.cookies_secure)


async def optional_caller(request: Request, runtime: RuntimeDep) -> Caller | None:
    access = runtime.services.access
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = await run_in_threadpool(access.token_caller, header[7:].strip())
        if found is None:
            raise HTTPException(401, "the API token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
        role = found.staff_role
        if role is None:
            raise HTTPException(403, "an integration token opens only its scopes, not the console or the staff API")
        token = found.token
        return Caller(Staff(found.owner.id, f"{token.name} (API)", role, f"token:{token.name}"), None)
    secret = unsign(runtime.settings, "session", request.cookies.get(SESSION_COOKIE))
    if secret is None:
        return None
    signed_in = await run_in_threadpool(access.session_user, secret)
    if signed_in is None:
        return None
    return Caller(Staff.of(signed_in.user), signed_in.csrf_token, secret)


async def check_csrf(request: Request, caller: Caller) -> None:
    if caller.csrf_token is None or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, caller.csrf_token):
        raise BadCsrf()


class WrongRole(HTTPException):
    def __init__(self, needed: Role, has: Role) -> None:
        super().__init__(403, f"this needs the {needed} role; you are signed in as {has}")


class BadCsrf(HTTPException):
    def __init__(self) -> None:
        super().__init__(403, "missing or wrong CSRF token; reload the page and try again")


async def authorize(request: Request, caller: Caller | None, role: Role) -> Caller:
    """The caller, if signed in with at least `role` and (for a cookie session) a valid CSRF token."""
    if caller is None:
        raise NotSignedIn()
    if not allows(caller.staff.role, role):
        raise WrongRole(role, caller.staff.role)
    await check_csrf(request, caller)
    return caller


# Admitting the caller before the body is read (api/staff_route.py) ------------------------------

# A dependency that admits a route's caller or raises (`StaffDep`, the console's `AgentPage`, …).
CallerCheck = Callable[[Request, Caller | None], Awaitable[Caller]]
# Every such check, for `StaffRoute` to find among a route's dependencies and run before FastAPI
# reads the body (FastAPI reads and parses it before it solves any dependency).
CALLER_CHECKS: list[CallerCheck] = []


def checks_caller(check: CallerCheck) -> CallerCheck:
    """Marks `check` (taking the request and `known_caller`'s caller) as a caller check."""
    CALLER_CHECKS.append(check)
    return check


async def known_caller(request: Request, runtime: RuntimeDep) -> Caller | None:
    """`optional_caller`, looked up once per request: `StaffRoute` asks before the body is read, the
    route's check again when FastAPI solves it."""
    known = getattr(request.state, "caller", None)
    if isinstance(known, Caller):
        return known
    caller = await optional_caller(request, runtime)
    if caller is not None:
        request.state.caller = caller
    return caller


def requires(role: Role) -> CallerCheck:
    @checks_caller
    async def dependency(request: Request, caller: Annotated[Caller | None, Depends(known_caller)]) -> Caller:
        return await authorize(request, caller, role)

    return dependency


CallerDep = Annotated[Caller | None, Depends(optional_caller)]
StaffDep = Annotated[Caller, Depends(requires(Role.AGENT))]
LeadDep = Annotated[Caller, Depends(requires(Role.LEAD))]
AdminDep = Annotated[Caller, Depends(requires(Role.ADMIN))]
