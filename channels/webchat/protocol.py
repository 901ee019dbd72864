"""The web chat's WebSocket protocol (`/chat/ws`): JSON text frames, one object each, with a `type`.

Client → server
    hello    {conversation_id?, last_message_id?, language?}   first frame: start or resume a session
    message  {text, client_message_id}                          the customer wrote something
    button   {payload, title, client_message_id}                the customer pressed a button offered
    ping     {}                                                 keep-alive; answered with `pong`

Server → client
    session  {conversation_id, resumed, status, max_length}     the id to keep (maybe a new one)
    history  {messages: [message…]}                             the transcript (after `last_message_id`)
    typing   {on}                                               the assistant is working on a reply
    message  {id, sender, text, buttons: [{title, payload}], created_at}
    ack      {client_message_id, status}                        stored and answered: stop resending
    status   {status}                                           bot, queued, agent or resolved
    error    {code, message, client_message_id?, retry_after?}  a refusal; the socket stays open
    pong     {}

A message resent with the same `client_message_id` (after a reconnect) is stored once and answered
with the stored reply. docs/channels/webchat.md describes the protocol for other clients.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from desk.conversations import StoredMessage


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Hello(_Frame):
    type: Literal["hello"]
    conversation_id: str | None = Field(default=None, max_length=128)
    last_message_id: int | None = Field(default=None, ge=0)
    language: Literal["zh", "en"] | None = None


class Say(_Frame):
    type: Literal["message"]
    text: str
    client_message_id: str


class Press(_Frame):
    type: Literal["button"]
    payload: str
    title: str = ""
    client_message_id: str


class Ping(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[Hello | Say | Press | Ping, Field(discriminator="type")]
CLIENT_FRAME: TypeAdapter[Hello | Say | Press | Ping] = TypeAdapter(ClientFrame)


def parse(raw: str) -> Hello | Say | Press | Ping:
    """One client frame; raises pydantic's `ValidationError` (invalid JSON included)."""
    return CLIENT_FRAME.validate_json(raw)


Frame = dict[str, Any]


def encode(frame: Frame) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def message_body(message: StoredMessage) -> Frame:
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in message.buttons],
        "created_at": message.created_at.isoformat(),
    }


def message(message: StoredMessage) -> Frame:
    return {"type": "message", **message_body(message)}


def history(messages: list[StoredMessage]) -> Frame:
    return {"type": "history", "messages": [message_body(m) for m in messages]}


def session(conversation_id: str, *, resumed: bool, status: str, max_length: int) -> Frame:
    return {
        "type": "session",
        "conversation_id": conversation_id,
        "resumed": resumed,
        "status": status,
        "max_length": max_length,
    }


def error(code: str, text: str, *, client_message_id: str | None = None, retry_after: int | None = None) -> Frame:
    frame: Frame = {"type": "error", "code": code, "message": text}
    if client_message_id is not None:
        frame["client_message_id"] = client_message_id
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return frame
