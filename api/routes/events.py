"""Server-sent events: live notices for the console (staff) and for a customer's conversation."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.auth import StaffDep
from api.client_address import client_of
from api.conversation_limits import LimitedStreamAccessDep
from api.deps import LimitsDep, RuntimeDep
from api.public_limits import PublicLimits, TooManyRequests
from api.schemas.errors import ErrorOut
from engine.connection_caps import Lease
from engine.events import QUEUE, EventBus, conversation_topic

router = APIRouter(tags=["events"])
STREAM_REFUSAL: dict[str, Any] = {
    "model": ErrorOut,
    "description": "Too many open event streams (or reads of the conversation); retry after `Retry-After`.",
}
# What the streams answer: events, else one of the API's JSON refusals.
STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "Server-sent events, each `data:` a JSON object with its `kind` (`ready` first).",
    },
    401: {"model": ErrorOut, "description": "No credential, or an unknown, expired or revoked one."},
    403: {"model": ErrorOut, "description": "A role or scope too low."},
    422: {"model": ErrorOut, "description": "A malformed topic, id or ticket."},
    429: STREAM_REFUSAL,
}
TOPIC = re.compile(r"^(queue|(conversation|staff):[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127})$")


async def stream(request: Request, bus: EventBus, topics: list[str]) -> AsyncIterator[ServerSentEvent]:
    async with bus.subscribe(topics) as subscription:
        # Unnamed events, so a browser's `EventSource.onmessage` sees every kind; the kind is in the data.
        yield ServerSentEvent(data=json.dumps({"kind": "ready", "topics": topics}))
        while not await request.is_disconnected():
            event = await subscription.next(timeout=1.0)
            if event is not None:
                body = {"kind": event.kind, "topic": event.topic, **event.data}
                yield ServerSentEvent(data=json.dumps(body, default=str))


class CappedEventSource(EventSourceResponse):
    """An event stream that holds its place among the open ones until it ends, however it ends."""

    def __init__(self, content: AsyncIterator[ServerSentEvent], lease: Lease) -> None:
        super().__init__(content, ping=15)
        self._lease = lease

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._lease.release()


def open_stream(
    request: Request, bus: EventBus, topics: list[str], limits: PublicLimits, client: str
) -> CappedEventSource:
    """The stream, if `client` (and the process) has room for one more: else 429."""
    lease = limits.streams.acquire(client)
    if lease is None:
        raise TooManyRequests(limits.streams.retry_after, "Too many open event streams; close one first.")
    return CappedEventSource(stream(request, bus, topics), lease)


@router.get("/api/v1/events", response_class=EventSourceResponse, responses=STREAM)
async def staff_events(
    request: Request,
    caller: StaffDep,
    runtime: RuntimeDep,
    limits: LimitsDep,
    topic: Annotated[list[str] | None, Query()] = None,
) -> EventSourceResponse:
    """Live notices for staff: `queue`, `conversation:<id>` and `staff:<id>` topics (default: `queue`)."""
    topics = topic or [QUEUE]
    if len(topics) > 10 or not all(TOPIC.match(t) for t in topics):
        raise HTTPException(422, "topics are `queue`, `conversation:<id>` or `staff:<id>`, at most 10")
    return open_stream(request, runtime.bus, topics, limits, f"staff:{caller.staff.id}")


@router.get(
    "/api/v1/conversations/{conversation_id}/events",
    response_class=EventSourceResponse,
    responses={**STREAM, 404: {"model": ErrorOut, "description": "No such conversation, or not the caller's."}},
)
async def conversation_events(
    request: Request, access: LimitedStreamAccessDep, runtime: RuntimeDep, limits: LimitsDep
) -> EventSourceResponse:
    """Live notices for the customer's own view of a conversation of the conversation API: a new
    message (e.g. an agent's reply) or a status change. Fetch the conversation to read it. Opened
    with `Authorization: Bearer …` or, from a browser's `EventSource`, with `?ticket=` from
    `POST /api/v1/conversations/{id}/event-tickets`."""
    # A browser's streams count against its address; an integration's against the integration.
    client = client_of(request) if access.integration is None else f"integration:{access.integration}"
    return open_stream(request, runtime.bus, [conversation_topic(access.stored_id)], limits, client)
