"""The conversation API's rate limits, as dependencies that stand in for the access ones
(api/conversation_access.py): per client before the credential is looked up, so a flood costs no
database work; per conversation once the caller is known to hold it, so nobody can spend another
customer's allowance by naming their conversation.

Per-client limits are for browsers. An integration's token is its own identity and it relays many
customers from one address; its conversations keep their per-conversation limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.client_address import client_of
from api.conversation_access import (
    ConversationAccess,
    ConversationAccessDep,
    EventStreamAccessDep,
    ExistingConversationDep,
    bearer,
)
from api.deps import LimitsDep
from desk.access import TOKEN_PREFIX

FROM_CLIENT = "Too many requests from your address."
IN_CONVERSATION = "Too many requests in this conversation."


def from_browser(request: Request) -> bool:
    secret = bearer(request)
    return secret is None or not secret.startswith(TOKEN_PREFIX)


async def count_start(request: Request, limits: LimitsDep) -> None:
    await limits.count(limits.conversation_starts, "starts", client_of(request), "Too many conversations started.")


async def count_client_message(request: Request, limits: LimitsDep) -> None:
    if from_browser(request):
        await limits.count(limits.client_messages, "client-messages", client_of(request), FROM_CLIENT)


async def count_client_read(request: Request, limits: LimitsDep) -> None:
    if from_browser(request):
        await limits.count(limits.client_reads, "client-reads", client_of(request), FROM_CLIENT)


async def message_access(
    _: Annotated[None, Depends(count_client_message)], access: ConversationAccessDep, limits: LimitsDep
) -> ConversationAccess:
    await limits.count(limits.messages, "messages", access.stored_id, IN_CONVERSATION)
    return access


async def read_access(
    _: Annotated[None, Depends(count_client_read)], access: ExistingConversationDep, limits: LimitsDep
) -> ConversationAccess:
    await limits.count(limits.reads, "reads", access.stored_id, IN_CONVERSATION)
    return access


async def stream_access(
    _: Annotated[None, Depends(count_client_read)], access: EventStreamAccessDep, limits: LimitsDep
) -> ConversationAccess:
    await limits.count(limits.reads, "reads", access.stored_id, IN_CONVERSATION)
    return access


CountedStartDep = Annotated[None, Depends(count_start)]
LimitedMessageAccessDep = Annotated[ConversationAccess, Depends(message_access)]
LimitedReadAccessDep = Annotated[ConversationAccess, Depends(read_access)]
LimitedStreamAccessDep = Annotated[ConversationAccess, Depends(stream_access)]
