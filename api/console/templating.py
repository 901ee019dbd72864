"""Rendering console pages: one Jinja2 environment (autoescaping everything), the signed-in caller
and CSRF token in every page, and the console's own refusals as pages rather than JSON."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Caller, CallerCheck, NotSignedIn, authorize, checks_caller, known_caller, optional_caller
from desk.models import Role
from desk.settings import get_settings as get_desk_settings
from desk.users import allows

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Jinja2Templates autoescapes .html; make sure nothing (e.g. a future .txt include) escapes it.
templates.env.autoescape = True


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "–"
    return value.astimezone(ZoneInfo(get_desk_settings().timezone)).strftime(fmt)


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


templates.env.filters["local_time"] = local_time
templates.env.filters["duration"] = duration


class ConsoleSignIn(Exception):
    """Not signed in: the console sends the browser to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class ConsoleRefusal(Exception):
    """A refusal shown as a console page (wrong role, missing CSRF token)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def console_requires(role: Role) -> CallerCheck:
    @checks_caller
    async def dependency(request: Request, caller: Annotated[Caller | None, Depends(known_caller)]) -> Caller:
        try:
            return await authorize(request, caller, role)
        except NotSignedIn as error:
            raise ConsoleSignIn(request.url.path) from error
        except Exception as error:
            status = getattr(error, "status_code", 403)
            raise ConsoleRefusal(status, str(getattr(error, "detail", error))) from error

    return dependency


AgentPage = Annotated[Caller, Depends(console_requires(Role.AGENT))]
LeadPage = Annotated[Caller, Depends(console_requires(Role.LEAD))]
AdminPage = Annotated[Caller, Depends(console_requires(Role.ADMIN))]


def render(request: Request, name: str, caller: Caller | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    role = caller.staff.role if caller else None
    context.update(
        caller=caller,
        csrf_token=caller.csrf_token if caller else None,
        is_lead=role is not None and allows(role, Role.LEAD),
        is_admin=role is not None and allows(role, Role.ADMIN),
    )
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    # Console pages hold customer data: never cache them, never frame them.
    response.headers["Cache-Control"] = "no-store"
    return response


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


CONSOLE_HEADERS = {
    # No inline script or style anywhere in the console: injected markup could not run even if it
    # slipped past escaping.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class ConsoleHeaders:
    """The console's security headers, as a plain ASGI middleware. `@app.middleware("http")` ran every
    request (the conversation API and each of Rasa's action calls too) through an extra task and
    memory streams, for headers only the console needs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(CONSOLE_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_console(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_middleware(ConsoleHeaders)

    async def sign_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, ConsoleSignIn)
        return RedirectResponse(f"/console/login?next={quote(error.next_path)}", status_code=303)

    async def refusal(request: Request, error: Exception) -> Response:
        assert isinstance(error, ConsoleRefusal)
        caller = await optional_caller(request, request.app.state.runtime)
        return render(request, "refused.html", caller, status_code=error.status, message=error.message)

    app.add_exception_handler(ConsoleSignIn, sign_in)
    app.add_exception_handler(ConsoleRefusal, refusal)
