"""Server-sent events: live notices for the console (staff) and for a customer's conversation."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.auth import StaffDep
from api.deps import ApiConversationId, RuntimeDep
from engine.events import QUEUE, EventBus, conversation_topic

router = APIRouter(tags=["events"])
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


@router.get("/api/v1/events")
async def staff_events(
    request: Request,
    caller: StaffDep,
    runtime: RuntimeDep,
    topic: Annotated[list[str] | None, Query()] = None,
) -> EventSourceResponse:
    """Live notices for staff: `queue`, `conversation:<id>` and `staff:<id>` topics (default: `queue`)."""
    topics = topic or [QUEUE]
    if len(topics) > 10 or not all(TOPIC.match(t) for t in topics):
        raise HTTPException(422, "topics are `queue`, `conversation:<id>` or `staff:<id>`, at most 10")
    return EventSourceResponse(stream(request, runtime.bus, topics), ping=15)


@router.get("/api/v1/conversations/{conversation_id}/events")
async def conversation_events(
    request: Request, conversation_id: ApiConversationId, runtime: RuntimeDep
) -> EventSourceResponse:
    """Live notices for the customer's own view of a conversation of the conversation API: a new
    message (e.g. an agent's reply) or a status change. Fetch the conversation to read it."""
    conversation = await run_in_threadpool(runtime.services.conversations.get, conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return EventSourceResponse(stream(request, runtime.bus, [conversation_topic(conversation_id)]), ping=15)
