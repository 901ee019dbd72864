"""The generic conversation API: send a customer message, read a conversation."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from api.deps import ApiConversationId, ServicesDep, TurnsDep
from api.schemas.conversations import ConversationOut, MessageIn, MessageReplyOut
from api.schemas.errors import ErrorOut
from engine.turns import Inbound

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

ERRORS = {
    400: {"model": ErrorOut, "description": "The body is not valid JSON."},
    422: {
        "model": ErrorOut,
        "description": "Empty or over-long text, wrong types, control characters, or a "
        "button payload that was not offered.",
    },
    503: {"model": ErrorOut, "description": "Rasa is unavailable; the message is stored. Retry after `Retry-After`."},
}


@router.post("/{conversation_id}/messages", response_model=MessageReplyOut, responses=ERRORS)  # type: ignore[arg-type]
async def post_message(conversation_id: ApiConversationId, body: MessageIn, turns: TurnsDep) -> MessageReplyOut:
    """Send a customer message; returns the assistant's replies and the record of the turn."""
    result = await turns.handle(
        Inbound(
            conversation_id=conversation_id,
            text=body.text,
            payload=body.payload,
            language=body.language,
            customer_id=body.customer_id,
            message_id=body.message_id,
            metadata=dict(body.metadata),
        )
    )
    return MessageReplyOut.of(result)


@router.get("/{conversation_id}", response_model=ConversationOut, responses={404: {"model": ErrorOut}})
async def get_conversation(conversation_id: ApiConversationId, services: ServicesDep) -> ConversationOut:
    """The conversation's status, its latest escalation and the whole transcript."""
    conversation = await run_in_threadpool(services.conversations.get, conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    transcript = await run_in_threadpool(services.conversations.transcript, conversation_id)
    escalation = await run_in_threadpool(services.escalations.open_for, conversation_id)
    return ConversationOut.of(conversation, transcript, escalation)
