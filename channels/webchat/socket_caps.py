"""How many chat sockets (the widget's WebSocket and Rasa's socket.io, counted together) one client
and everyone may hold open in this process, and what a refused socket is told.

The client is the connection's peer as the app resolved it: X-Forwarded-For counts only from a
trusted proxy, and the app's middleware has already put its answer in `scope["client"]`
(api/client_address.py). Engine.IO's own `REMOTE_ADDR` is always 127.0.0.1: read the scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.webchat.settings import WebChatSettings
from engine.connection_caps import ConnectionCaps

REFUSED = "too_many_connections"
REFUSAL = "Too many open chats from your address; close one or try again later."
# WebSocket close code 1013, "Try Again Later": the server is refusing for now, not for good.
TRY_AGAIN_LATER = 1013


def socket_caps(settings: WebChatSettings) -> ConnectionCaps:
    return ConnectionCaps(settings.max_sockets_per_client, settings.max_sockets)


def client_of_scope(scope: Mapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client and client[0] else "unknown"
