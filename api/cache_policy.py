"""`Cache-Control: no-store` on every response that does not set its own caching: transcripts, case
files, analytics and console pages hold personal data, and no browser, proxy or shared computer may
keep a copy. Opting out is explicit (a response's own `Cache-Control`, as the widget script has);
static assets, which hold none, keep the browser's usual caching."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = "no-store"
# Paths that serve only the project's own files (stylesheets, scripts, images).
STATIC_PREFIXES = ("/console/static/",)


class NoStoreByDefault:
    """A plain ASGI middleware (no extra task per request, unlike `@app.middleware("http")`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
