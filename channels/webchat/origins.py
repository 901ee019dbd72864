"""Which pages may open a web-chat connection: the browser's `Origin` header against the allowed origins.

Browsers send `Origin` with every WebSocket handshake and cross-site request, so checking it stops a
foreign page from talking to the chat in its visitor's name (cross-site WebSocket hijacking). Clients
that are not browsers send no `Origin`; they cannot be told apart by it and are let through.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


class OriginPolicy:
    def __init__(self, allowed: Iterable[str], *, allow_localhost: bool) -> None:
        allowed = list(allowed)
        self._any = "*" in allowed
        self._allowed = frozenset(normalise(origin) for origin in allowed if origin != "*")
        self._allow_localhost = allow_localhost

    def allows(self, origin: str | None, host: str | None) -> bool:
        """`host`: the request's Host header; a page from the app's own host is always allowed."""
        if origin is None:
            return True
        if self._any:
            return True
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False  # "null" (sandboxed frames, files) and anything but a web page
        if host and parts.netloc.lower() == host.strip().lower():
            return True
        if self._allow_localhost and parts.hostname in LOCAL_HOSTS:
            return True
        return normalise(origin) in self._allowed
