"""The conversation API: start a conversation, send a customer message, read a conversation.

Access: api/conversation_access.py (a browser's conversation key, or an integration's token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.client_address import client_of
from api.conversation_access import API_CHANNEL, TICKET_SECONDS, event_ticket
from api.conversation_limits import CountedStartDep, LimitedMessageAccessDep, LimitedReadAccessDep
from api.deps import RuntimeDep, ServicesDep, TurnsDep
from api.schemas.conversations import (
    ConversationCreate,
    ConversationOut,
    ConversationStartedOut,
    EventTicketOut,
    MessageIn,
    MessageReplyOut,
)
from api.schemas.errors import ErrorOut
from engine.blocking import run_blocking
from engine.turns import Inbound

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

ACCESS_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No `Authorization: Bearer` credential, or an unknown token."},
    403: {"model": ErrorOut, "description": "The token lacks the `conversations` scope."},
    404: {"model": ErrorOut, "description": "No such conversation, or not the caller's."},
    429: {
        "model": ErrorOut,
        "description": "Too many requests (api/conversation_limits.py); retry after `Retry-After`.",
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    **ACCESS_REFUSALS,
    400: {"model": ErrorOut, "description": "The body is not valid JSON."},
    422: {
        "model": ErrorOut,
        "description": "Empty or over-long text, wrong types, control characters, or a "
        "button payload that was not offered.",
    },
    503: {
        "model": ErrorOut,
        "description": "`assistant_unavailable`: Rasa is down; the message is stored and will be answered. "
        "`database_unavailable`: nothing was stored; send it again after `Retry-After`.",
    },
}


@router.post(
    "",
    response_model=ConversationStartedOut,
    status_code=201,
    responses={400: {"model": ErrorOut}, 422: {"model": ErrorOut}, 429: ACCESS_REFUSALS[429]},
)
async def start_conversation(
    body: ConversationCreate, services: ServicesDep, _: CountedStartDep
) -> ConversationStartedOut:
    """Start a conversation (a browser's first call): its id and the key every later call presents."""
    conversation, key = await run_blocking(
        lambda: services.conversations.start_keyed(
            channel=API_CHANNEL, language=body.language, client_metadata=dict(body.metadata)
        )
    )
    return ConversationStartedOut(conversation_id=conversation.id, access_key=key)


@router.post("/{conversation_id}/messages", response_model=MessageReplyOut, responses=ERRORS)
async def post_message(
    request: Request, access: LimitedMessageAccessDep, body: MessageIn, turns: TurnsDep
) -> MessageReplyOut:
    """Send a customer message; returns the assistant's replies and the record of the turn. An
    integration's first message to an id of its choosing starts that conversation."""
    started = access.conversation.client_metadata if access.conversation else {}
    result = await turns.handle(
        Inbound(
            conversation_id=access.stored_id,
            text=body.text,
            payload=body.payload,
            language=body.language,
            customer_id=access.customer_id(body.customer_id),
            message_id=body.message_id,
            metadata={**started, **body.metadata},
            # A browser's address bounds its escalations; an integration's customer id does.
            client=client_of(request) if access.integration is None else None,
        )
    )
    return MessageReplyOut.of(result, access.public_id)


@router.get("/{conversation_id}", response_model=ConversationOut, responses=ACCESS_REFUSALS)
async def get_conversation(access: LimitedReadAccessDep, services: ServicesDep) -> ConversationOut:
    """The conversation's status, its latest escalation and the whole transcript."""
    assert access.conversation is not None
    transcript = await run_blocking(services.conversations.transcript, access.stored_id)
    escalation = await run_blocking(services.escalations.open_for, access.stored_id)
    return ConversationOut.of(access.public_id, access.conversation, transcript, escalation)


@router.post(
    "/{conversation_id}/event-tickets", response_model=EventTicketOut, status_code=201, responses=ACCESS_REFUSALS
)
async def create_event_ticket(access: LimitedReadAccessDep, runtime: RuntimeDep) -> EventTicketOut:
    """A ticket for the conversation's event stream, which a browser's `EventSource` opens without
    headers: valid for a minute, to open the stream (reconnecting needs a new one)."""
    ticket = event_ticket(runtime.settings, access)
    url = f"{router.prefix}/{access.public_id}/events?ticket={ticket}"
    return EventTicketOut(ticket=ticket, expires_in=TICKET_SECONDS, url=url)
