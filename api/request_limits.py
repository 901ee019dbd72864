"""How large a request may be, checked by `RequestLimits` before anything else sees the request:
its head (request line and headers) and its body, per route family.

The head is bounded twice: uvicorn's h11 parser stops buffering an unfinished head past
`MAX_HEAD_BYTES` (400, connection closed; see `api.__main__`), which bounds memory but lets a head
that arrived in one read run a little over; `RequestLimits` then holds every head to it (431).

A body whose Content-Length is over its route family's limit is refused at once, unread; one that
streams past it (chunked, or longer than it said) is refused as soon as it does. Either way the
answer is 413 with the app's JSON error, to anonymous callers too: size is checked before who is
calling. Channel adapters also refuse past their own limit (WeCom 16 KiB, `WECHAT_MAX_BODY_BYTES`,
`SLACK_MAX_BODY_BYTES`); the table's figures are their ceilings.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from channels.webchat.rasa_socketio import MAX_PAYLOAD_BYTES
from desk.orders.bodies import MAX_BODY_BYTES

KIB = 1024
MIB = 1024 * KIB

# The request line and headers together. The longest the app itself makes is the analytics page's
# "create FAQ from this" link (5 questions of 200 characters, up to 12 bytes each percent-encoded:
# ~12 KiB); cookies and a bearer token are a few KiB.
MAX_HEAD_BYTES = 32 * KIB

# Path prefix → the largest body taken, in bytes. The longest matching prefix decides.
BODY_LIMITS: dict[str, int] = {
    # A customer message: 2,000 characters, up to 12 bytes each as escaped JSON (an emoji is
    # "\ud83d\ude00"), and 4 KiB of metadata (desk.message_text).
    "/api/v1/conversations": 32 * KIB,
    # An FAQ entry: 2 × 50 phrasings of 500 characters and 2 answers of 4,000, as JSON (6 bytes a
    # Chinese character escaped) or as the console's form (9 bytes percent-encoded).
    "/api/v1/knowledge": 1 * MIB,
    "/console/knowledge": 1 * MIB,
    # An order or a repair ticket at every bound of desk/orders/bodies.py at once (60 events, 30 items),
    # every character Chinese escaped as JSON: just under 128 KiB. `python -m desk orders import`
    # holds its lines to the same limit.
    "/api/v1/orders": MAX_BODY_BYTES,
    "/api/v1/repairs": MAX_BODY_BYTES,
    # The rest of the staff API and the console's forms: the largest is a reply or note of 4,000
    # characters (48 KiB of emoji, escaped or percent-encoded); accounts and tokens are small.
    "/api/v1": 64 * KIB,
    "/console": 64 * KIB,
    # Rasa's action calls carry the tracker of the conversation's session (expiring after an hour idle).
    "/webhook": 4 * MIB,
    # Platforms' callbacks: WeChat's and WeCom's XML is a few KiB; Slack's interactions carry the message.
    "/channels/wechat": 64 * KIB,
    "/channels/wecom": 64 * KIB,
    "/channels/slack": 1 * MIB,
    # Rasa's socket.io web chat: Engine.IO's long-polling POSTs.
    "/socket.io": MAX_PAYLOAD_BYTES,
}
# Everything else (health, metrics, docs, the widget and demo page) takes no body worth the name.
DEFAULT_BODY_LIMIT = 16 * KIB


def body_limit(path: str, limits: Mapping[str, int] = BODY_LIMITS) -> int:
    """The limit of the longest prefix that `path` starts with, segment by segment."""
    matching = [prefix for prefix in limits if path == prefix or path.startswith(prefix.rstrip("/") + "/")]
    return limits[max(matching, key=len)] if matching else DEFAULT_BODY_LIMIT


class BodyTooLarge(HTTPException):
    """Raised by the counting `receive`: an HTTPException, so that FastAPI's body reading passes it on
    (rather than calling it unparsable, 400) and the app's error handler answers it."""

    def __init__(self, limit: int) -> None:
        # The rest of the body stays unread: the connection cannot carry another request.
        super().__init__(413, f"The request body is larger than {limit} bytes.", headers={"Connection": "close"})
        self.limit = limit


def _too_large(limit: int) -> ASGIApp:
    refusal = BodyTooLarge(limit)
    return error_response(413, "too_large", refusal.detail, **(refusal.headers or {}))


def _head_too_large() -> ASGIApp:
    return error_response(
        431, "headers_too_large", f"The request line and headers are larger than {MAX_HEAD_BYTES} bytes."
    )


def head_size(scope: Scope) -> int:
    """The request line and headers as received, give or take their separators."""
    size = len(scope["method"]) + len(scope.get("raw_path") or scope["path"]) + len(scope["query_string"]) + 12
    return size + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class RequestLimits:
    """A plain ASGI middleware (no task or stream per request) that holds each request's head to
    `MAX_HEAD_BYTES` and its body to `BODY_LIMITS`."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int] = BODY_LIMITS) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if head_size(scope) > MAX_HEAD_BYTES:
            await _head_too_large()(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.limits)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyTooLarge:
            # The app's handlers answer it wherever FastAPI reads a body; anything else that read
            # past the limit (and had not answered yet) is answered here.
            if started:
                raise
            await _too_large(limit)(scope, receive, send)
