"""Who the client of a request or socket is, for rate limits, connection caps, the sign-in throttle
and the audit log: the peer of the connection or, when that peer is a reverse proxy the operator
trusts (`APP_TRUSTED_PROXIES`), the address the proxy wrote into X-Forwarded-For.

X-Forwarded-For is read in one place, the middleware `install_client_address` adds (uvicorn's own
implementation, given the app's list): it rewrites the connection's peer (`scope["client"]`) before
any route, mount or channel sees it, so everything after it, `client_of` and the web chat's sockets
alike, reads the same answer. With no trusted proxy the header is ignored: anyone can write it.
uvicorn's server-side reading of the header is off (api.__main__.server_config), so its default
trust of 127.0.0.1 cannot make a loopback peer's header count.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

UNKNOWN = "unknown"


class TrustedProxyHeaders:
    """uvicorn's ProxyHeadersMiddleware with the app's trusted proxies (never "*", never a default)."""

    def __init__(self, app: ASGIApp, trusted: Sequence[IPv4Network | IPv6Network]) -> None:
        self._middleware = ProxyHeadersMiddleware(app, trusted_hosts=[str(network) for network in trusted])  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._middleware(scope, receive, send)  # type: ignore[arg-type]


def install_client_address(app: FastAPI, trusted: Sequence[IPv4Network | IPv6Network]) -> None:
    if trusted:
        app.add_middleware(TrustedProxyHeaders, trusted=trusted)


def client_of(connection: HTTPConnection) -> str:
    """The client's address (a request's or a WebSocket's), as the middleware resolved it."""
    return connection.client.host if connection.client and connection.client.host else UNKNOWN
