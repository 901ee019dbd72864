"""Who may use a conversation of the conversation API, and which conversation a path names.

Two kinds of caller, both with `Authorization: Bearer …`:
- a browser, with the key it got from `POST /api/v1/conversations` for that one conversation;
- an integration, with an API token of the `conversations` scope. It chooses its own conversation
  ids, which live in its namespace (`int:<token name>:<id>` in the desk), so two integrations, or an
  integration and a browser, never share a conversation.
A browser's `EventSource` sends no headers: the event stream also takes a short-lived signed ticket,
obtained with the key. Unknown and forbidden conversations answer alike (404), so an id's existence
tells nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.deps import RuntimeDep
from api.settings import AppSettings
from desk.access import TOKEN_PREFIX
from desk.conversations import ConversationView
from desk.message_text import CONVERSATION_ID
from desk.models import Scope
from engine.blocking import run_blocking

API_CHANNEL = "api"
INTEGRATION_PREFIX = "int:"
# The desk's conversation ids are at most this long (conversations.id).
MAX_STORED_ID = 128
TICKET_SECONDS = 60

ConversationId = Annotated[
    str,
    Path(
        pattern=CONVERSATION_ID,
        description="The id `POST /api/v1/conversations` returned, or one an integration chose "
        "(letters, digits, _.:-).",
    ),
]


class NoCredential(HTTPException):
    def __init__(self, detail: str = "send the conversation's access key or an integration token") -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


class NoSuchConversation(HTTPException):
    def __init__(self) -> None:
        super().__init__(404, "no such conversation")


@dataclass(frozen=True)
class ConversationAccess:
    """A caller's right to one conversation, as the caller names it and as the desk stores it."""

    public_id: str
    stored_id: str
    # The integration's name; None for a browser holding the conversation's key.
    integration: str | None
    # None until an integration's first message creates it.
    conversation: ConversationView | None

    def customer_id(self, given: str | None) -> str | None:
        """The desk's customer id for one an integration names: in its namespace, like its
        conversations, so no caller can claim another channel's or integration's customer."""
        if given is None:
            return None
        if self.integration is None:
            raise HTTPException(403, "only an integration may say who the customer is")
        return namespaced(self.integration, given, "customer_id")


def namespaced(integration: str, given: str, what: str) -> str:
    """`given`, an id an integration chose, in the integration's namespace."""
    stored = f"{INTEGRATION_PREFIX}{integration}:{given}"
    if len(stored) > MAX_STORED_ID:
        room = MAX_STORED_ID - (len(stored) - len(given))
        raise HTTPException(422, f"{what} is too long for this integration: at most {room} characters")
    return stored


def public_id(stored_id: str) -> str:
    """The id a caller uses for a stored conversation id: an integration's without its namespace."""
    if stored_id.startswith(INTEGRATION_PREFIX):
        return stored_id.split(":", 2)[2]
    return stored_id


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


async def integration_of(runtime: RuntimeDep, secret: str) -> str:
    """The name of the integration whose API token `secret` is, if it holds the `conversations` scope
    (which also lets it link its customers' identities: api/routes/customers.py); 401/403 otherwise."""
    caller = await run_blocking(runtime.services.access.token_caller, secret)
    if caller is None:
        raise NoCredential("the API token is unknown, expired or revoked")
    if not caller.may(Scope.CONVERSATIONS):
        raise HTTPException(403, "this token has no `conversations` scope")
    return caller.token.name


async def resolve(runtime: RuntimeDep, conversation_id: str, secret: str) -> ConversationAccess:
    services = runtime.services
    if secret.startswith(TOKEN_PREFIX):
        name = await integration_of(runtime, secret)
        stored_id = namespaced(name, conversation_id, "the conversation id")
        conversation = await run_blocking(services.conversations.get, stored_id)
        if conversation is not None and conversation.channel != API_CHANNEL:
            raise NoSuchConversation()
        return ConversationAccess(conversation_id, stored_id, name, conversation)
    conversation = await run_blocking(services.conversations.opened_by, conversation_id, secret)
    if conversation is None or conversation.channel != API_CHANNEL:
        raise NoSuchConversation()
    return ConversationAccess(conversation_id, conversation_id, None, conversation)


async def conversation_access(
    request: Request, conversation_id: ConversationId, runtime: RuntimeDep
) -> ConversationAccess:
    secret = bearer(request)
    if secret is None:
        raise NoCredential()
    return await resolve(runtime, conversation_id, secret)


async def existing_conversation(
    access: Annotated[ConversationAccess, Depends(conversation_access)],
) -> ConversationAccess:
    if access.conversation is None:
        raise NoSuchConversation()
    return access


# Event tickets ------------------------------------------------------------------------------------


def _tickets(settings: AppSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="lumio-event-ticket")


def event_ticket(settings: AppSettings, access: ConversationAccess) -> str:
    return _tickets(settings).dumps(access.stored_id)


async def event_stream_access(
    request: Request,
    conversation_id: ConversationId,
    runtime: RuntimeDep,
    ticket: Annotated[
        str | None,
        Query(max_length=512, description="From `POST …/event-tickets`; instead of `Authorization`."),
    ] = None,
) -> ConversationAccess:
    """The stream's caller: the `Authorization` header as elsewhere, or a ticket."""
    secret = bearer(request)
    if secret is not None:
        access = await resolve(runtime, conversation_id, secret)
    elif ticket is not None:
        try:
            stored_id = _tickets(runtime.settings).loads(ticket, max_age=TICKET_SECONDS)
        except SignatureExpired as expired:
            raise NoCredential("the event ticket has expired; get a new one") from expired
        except BadSignature as bad:
            raise NoCredential("the event ticket is not valid") from bad
        if not isinstance(stored_id, str) or public_id(stored_id) != conversation_id:
            raise NoSuchConversation()
        conversation = await run_blocking(runtime.services.conversations.get, stored_id)
        access = ConversationAccess(conversation_id, stored_id, None, conversation)
    else:
        raise NoCredential("send an event ticket (`?ticket=`) or `Authorization: Bearer …`")
    return await existing_conversation(access)


ConversationAccessDep = Annotated[ConversationAccess, Depends(conversation_access)]
ExistingConversationDep = Annotated[ConversationAccess, Depends(existing_conversation)]
EventStreamAccessDep = Annotated[ConversationAccess, Depends(event_stream_access)]
