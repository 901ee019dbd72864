"""Which pages may open a web-chat connection: the browser's `Origin` header against the allowed origins.

Browsers send `Origin` with every WebSocket handshake and cross-site request, so checking it stops a
foreign page from talking to the chat in its visitor's name (cross-site WebSocket hijacking). Clients
that are not browsers send no `Origin`; they cannot be told apart by it and are let through.
A refusal is logged for the operator, with what would allow the page (`admits`, `RefusedOrigins`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from channels.webchat.refusals import RefusedOrigins

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The setting an operator changes to let a site embed the chat (channels.webchat.settings).
ALLOWED_ORIGINS_SETTING = "WEBCHAT_ALLOWED_ORIGINS"


def normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def web_origin(origin: str) -> SplitResult | None:
    """The origin's parts when it is a web page's (http or https, with a host), else None: "null"
    (sandboxed frames, files), other schemes, and headers no URL parser takes ("http://[")."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


class OriginPolicy:
    def __init__(
        self, allowed: Iterable[str], *, allow_localhost: bool, refusals: RefusedOrigins | None = None
    ) -> None:
        allowed = list(allowed)
        self._any = "*" in allowed
        self._allowed = frozenset(normalise(origin) for origin in allowed if origin != "*")
        self._allow_localhost = allow_localhost
        self._refusals = refusals or RefusedOrigins()

    def admits(self, origin: str | None, host: str | None, transport: str) -> bool:
        """`allows`, for a handshake: a refused one is logged for the operator (rate-limited)."""
        if self.allows(origin, host):
            return True
        assert origin is not None  # no origin is always allowed
        self._refusals.refused(origin, transport, fix_for(origin))
        return False

    def allows(self, origin: str | None, host: str | None) -> bool:
        """`host`: the request's Host header; a page from the app's own host is always allowed."""
        if origin is None:
            return True
        if self._any:
            return True
        parts = web_origin(origin)
        if parts is None:
            return False
        if host and parts.netloc.lower() == host.strip().lower():
            return True
        if self._allow_localhost and parts.hostname in LOCAL_HOSTS:
            return True
        return normalise(origin) in self._allowed


def fix_for(origin: str) -> str:
    """What the operator can do about a refused origin, in one line for the log."""
    parts = web_origin(origin)
    if parts is None:
        return "not a web page's origin (a sandboxed frame, a file:// page): serve the page from a web origin"
    allow = f'add "{normalise(origin)}" to {ALLOWED_ORIGINS_SETTING} (a JSON list) if this site may embed the chat'
    if parts.hostname in LOCAL_HOSTS:
        return f"{allow}; localhost pages are allowed by default in development only (WEBCHAT_ALLOW_LOCALHOST)"
    return allow
