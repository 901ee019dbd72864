"""The generic conversation API: send a customer message, read a conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep, TurnsDep
from api.schemas import (
    CONVERSATION_ID,
    BotMessageOut,
    Button,
    ConversationOut,
    ErrorOut,
    EscalationOut,
    MessageIn,
    MessageReply,
    TranscriptMessage,
    TurnOut,
)
from engine.turns import Inbound, TurnResult

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

ConversationId = Annotated[
    str, Path(pattern=CONVERSATION_ID, description="Chosen by the client; letters, digits, _.:-")
]

API_CHANNEL = "api"
# Conversations of the other channels are theirs alone: knowing a WeChat OpenID or a Slack thread
# must not let anyone read that transcript or write into it through this API.
CHANNEL_PREFIXES = ("web:", "wechat:", "wecom:", "slack:")


async def api_conversation(conversation_id: ConversationId, services: ServicesDep) -> str:
    """The id, if it names a conversation of this API (or a new one it may create)."""
    if conversation_id.startswith(CHANNEL_PREFIXES):
        raise HTTPException(404, "no such conversation")
    existing = await run_in_threadpool(services.conversations.get, conversation_id)
    if existing is not None and existing.channel != API_CHANNEL:
        raise HTTPException(404, "no such conversation")
    return conversation_id


ApiConversationId = Annotated[str, Depends(api_conversation)]

ERRORS = {
    400: {"model": ErrorOut, "description": "The body is not valid JSON."},
    422: {
        "model": ErrorOut,
        "description": "Empty or over-long text, wrong types, control characters, or a "
        "button payload that was not offered.",
    },
    503: {"model": ErrorOut, "description": "Rasa is unavailable; the message is stored. Retry after `Retry-After`."},
}


@router.post("/{conversation_id}/messages", response_model=MessageReply, responses=ERRORS)  # type: ignore[arg-type]
async def post_message(conversation_id: ApiConversationId, body: MessageIn, turns: TurnsDep) -> MessageReply:
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
    return reply_of(result)


@router.get("/{conversation_id}", response_model=ConversationOut, responses={404: {"model": ErrorOut}})
async def get_conversation(conversation_id: ApiConversationId, services: ServicesDep) -> ConversationOut:
    """The conversation's status, its latest escalation and the whole transcript."""
    conversation = await run_in_threadpool(services.conversations.get, conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    transcript = await run_in_threadpool(services.conversations.transcript, conversation_id)
    escalation = await run_in_threadpool(services.escalations.open_for, conversation_id)
    return ConversationOut(
        id=conversation.id,
        channel=conversation.channel,
        language=conversation.language,
        status=conversation.status,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        escalation=EscalationOut.model_validate(escalation, from_attributes=True) if escalation else None,
        transcript=[
            TranscriptMessage(
                id=m.id,
                sender=m.sender,  # type: ignore[arg-type]
                text=m.text,
                payload=m.payload,
                buttons=[Button(**b) for b in m.buttons],
                created_at=m.created_at,
                state=m.state,
                outcome=m.outcome,
                faq_id=m.faq_id,
                confidence=m.confidence,
            )
            for m in transcript
        ],
    )


def reply_of(result: TurnResult) -> MessageReply:
    return MessageReply(
        conversation_id=result.conversation_id,
        messages=[BotMessageOut(text=m.text, buttons=[Button(**b) for b in m.buttons]) for m in result.messages],
        turn=TurnOut(
            status=result.status,
            outcome=result.outcome,  # type: ignore[arg-type]
            faq_id=result.faq_id,
            confidence=result.confidence,
            priority=result.priority,  # type: ignore[arg-type]
        ),
    )
