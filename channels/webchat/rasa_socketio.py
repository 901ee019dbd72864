"""Rasa's socket.io web-chat protocol, served by the app at `/socket.io/`, so widgets written for
Rasa's `socketio` channel (the npm package `rasa-webchat`, for one) can point at the app unchanged.

    client → server  session_request {session_id}             server → client  session_confirm <session_id>
    client → server  user_uttered {message, session_id, customData}
    server → client  bot_uttered {text, quick_replies?: [{content_type: "text", title, payload}]}

Like Rasa's SocketIOOutput, a text is split at blank lines into several `bot_uttered` events and a
message's buttons ride on its last part. The session id is this app's web conversation id: a client
asking for one it does not have gets a new one. `customData` (or Rasa's `metadata`) goes to Rasa as
metadata. Its `language` ("zh" or "en") is only a hint, as the app's own widget's: rasa-webchat sends
one with every message (its default is "en", whatever the customer writes), so it decides only a new
conversation whose first message tells no language of its own (an order number). A message starting
with "/" is a button payload, accepted only when the assistant offered it. Agents' replies and
pushed messages (the CSAT question) arrive as `bot_uttered` while the client is connected; refusals
arrive as `chat_error` {code, message}, which Rasa's clients ignore. A client that asks for socket.io's
acknowledgement of `user_uttered` gets `{message_id, resend: false}` once the message is stored, and
`{message_id, resend: true, code, retry_after}` when nothing was kept and it must be sent again (a
`bot_uttered` says so as well: it is all Rasa's own clients show).

Several app replicas (`APP_REDIS_URL`, given as `redis_url`): a socket's session lives in the replica
it connected to (the load balancer keeps a client on one replica, sticky by cookie, as Engine.IO's
long-polling needs), and that replica pushes the agents' replies, which reach it as events of the
shared bus (engine/redis_events.py) whichever replica stored them. socket.io's own pub/sub manager
(`AsyncRedisManager`, channel `<prefix>:socketio`) shares the rest: an emit to a room or a
disconnect of a socket reaches the replica that holds it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

import socketio
import structlog

from channels.webchat.origins import OriginPolicy
from channels.webchat.session import InvalidMessage, Mailbox, customer_message, open_session
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket import FrameRate
from channels.webchat.socket_caps import REFUSAL, REFUSED, client_of_scope, socket_caps
from desk.conversations import StoredMessage
from desk.copy import say
from desk.models import Sender
from engine.connection_caps import ConnectionCaps, Lease
from engine.events import conversation_topic
from engine.port import AssistantPort, Refusal

log = structlog.get_logger(__name__)

USER_MESSAGE = "user_uttered"
BOT_MESSAGE = "bot_uttered"
ERROR = "chat_error"
# The largest Engine.IO payload taken (a long-polling POST or a WebSocket message; python-socketio's
# default is 1 MB): a message of 2,000 characters and its `customData`, even JSON-escaped, is far less.
MAX_PAYLOAD_BYTES = 64 * 1024
# Where a request's origin decision is kept (its WSGI-style environ).
ORIGIN_DECIDED = "lumio.webchat.origin_allowed"


# A Redis that does not answer within this long counts as gone (socket.io's manager logs it and retries).
REDIS_TIMEOUT_SECONDS = 5.0


def replica_manager(redis_url: str | None, prefix: str) -> socketio.AsyncRedisManager | None:
    """socket.io's client manager shared by the replicas through Redis, or None for one process.

    It receives (not `write_only`): its listener starts with the server's first connection, and
    its emits are handled in this process first, then published for the others."""
    if redis_url is None:
        return None
    options = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_keepalive": True,
    }
    return socketio.AsyncRedisManager(redis_url, channel=f"{prefix}:socketio", redis_options=options)


def rasa_messages(message: StoredMessage) -> list[dict[str, Any]]:
    """One stored message as Rasa's SocketIOOutput would emit it."""
    parts = [part for part in message.text.strip().split("\n\n") if part] or [message.text]
    if not message.buttons:
        return [{"text": part} for part in parts]
    events: list[dict[str, Any]] = [{"text": part, "quick_replies": []} for part in parts]
    events[-1]["quick_replies"] = [
        {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")} for b in message.buttons
    ]
    return events


@dataclass
class _Session:
    mailbox: Mailbox
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    listener: asyncio.Task[None] | None = None


class RasaSocketIO:
    def __init__(
        self,
        origins: OriginPolicy,
        port: Callable[[], AssistantPort],
        max_length: int,
        *,
        sockets: ConnectionCaps | None = None,
        events_per_second: int = 10,
        client_manager: socketio.AsyncManager | None = None,
    ) -> None:
        """`sockets`: the web chat's caps, shared with its WebSocket (default: this server's own);
        `client_manager`: socket.io's, shared by the replicas (`replica_manager`; default: this process's)."""
        self._origins = origins
        self._port = port
        self._max_length = max_length
        self._sockets = sockets or socket_caps(WebChatSettings())
        self._events_per_second = events_per_second
        # Each connected socket's place among the open ones and its event rate.
        self._leases: dict[str, Lease] = {}
        self._rates: dict[str, FrameRate] = {}
        self._sessions: dict[str, _Session] = {}
        self._opening: dict[str, asyncio.Event] = {}
        self.server = socketio.AsyncServer(
            client_manager=client_manager,
            async_mode="asgi",
            cors_allowed_origins=self._origin_allowed,
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=MAX_PAYLOAD_BYTES,
        )
        self.server.on("connect", self._connect)
        self.server.on("disconnect", self._disconnect)
        self.server.on("session_request", self._session_request)
        self.server.on(USER_MESSAGE, self._user_uttered)
        self.server.on("*", self._other_event)

    def asgi_app(self) -> socketio.ASGIApp:
        """For `app.mount("/socket.io", …)`: every request under the mount goes to Engine.IO."""
        return socketio.ASGIApp(self.server, socketio_path=None)

    async def stop(self) -> None:
        for sid in list(self._sessions):
            await self._end(sid)
        manager = self.server.manager
        if isinstance(manager, socketio.AsyncRedisManager):
            # Its listener (started with the first connection) and its connection end with the app.
            listener = getattr(manager, "thread", None)
            if isinstance(listener, asyncio.Task):
                listener.cancel()
                with suppress(asyncio.CancelledError):
                    await listener
            if manager.redis is not None:
                await manager.redis.aclose()

    def _origin_allowed(self, origin: str | None, environ: dict[str, Any]) -> bool:
        # Engine.IO asks twice per request (to check it, then for its CORS headers): decided, and a
        # refusal logged, once.
        if ORIGIN_DECIDED not in environ:
            environ[ORIGIN_DECIDED] = self._origins.admits(origin, environ.get("HTTP_HOST"), "socketio")
        return bool(environ[ORIGIN_DECIDED])

    async def _connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        lease = self._sockets.acquire(client_of_scope(environ.get("asgi.scope", {})))
        if lease is None:
            # socket.io's refusal: the client gets `connect_error` with this message and data.
            retry_after = self._sockets.retry_after
            raise socketio.exceptions.ConnectionRefusedError(REFUSAL, {"code": REFUSED, "retry_after": retry_after})
        self._leases[sid] = lease
        self._rates[sid] = FrameRate(self._events_per_second)

    async def _too_fast(self, sid: str) -> bool:
        """Counts an event of `sid`; past the rate the socket is told and disconnected, as the WebSocket is."""
        rate = self._rates.get(sid)
        if rate is None or rate.allow():
            return False
        self._rates.pop(sid, None)
        await self._refuse(sid, "rate_limited", "Too many events; the connection is closed.")
        await self.server.disconnect(sid)
        return True

    async def _other_event(self, event: str, sid: str, *_: object) -> None:
        """Events of no meaning here still count towards the rate."""
        await self._too_fast(sid)

    async def _disconnect(self, sid: str, reason: object = None) -> None:
        self._rates.pop(sid, None)
        lease = self._leases.pop(sid, None)
        if lease is not None:
            lease.release()
        await self._end(sid)

    async def _end(self, sid: str) -> None:
        session = self._sessions.pop(sid, None)
        if session is not None and session.listener is not None:
            session.listener.cancel()
            with suppress(asyncio.CancelledError):
                await session.listener

    async def _session_request(self, sid: str, data: object = None, *_: object) -> None:
        if await self._too_fast(sid):
            return
        opening = self._opening[sid] = asyncio.Event()
        listener: asyncio.Task[None] | None = None
        try:
            requested = data.get("session_id") if isinstance(data, dict) else None
            port = self._port()
            conversation_id, resumed = await open_session(port, requested)
            previous = self._sessions.get(sid)
            if previous is not None:
                await self.server.leave_room(sid, previous.mailbox.conversation_id)
                await self._end(sid)
            session = _Session(Mailbox(port, conversation_id))
            # Rasa's widgets keep their own history: only what is stored from now on is pushed.
            listening = asyncio.Event()
            listener = session.listener = asyncio.create_task(self._listen(sid, session, listening))
            await listening.wait()
            await session.mailbox.start_from_now()
            self._sessions[sid] = session
            await self.server.enter_room(sid, conversation_id)
            await self.server.emit("session_confirm", conversation_id, to=sid)
            log.info("webchat_session", conversation=conversation_id, resumed=resumed, transport="socketio")
        except Exception:
            log.exception("socketio_session_failed")
            if listener is not None and self._sessions.get(sid) is None:
                listener.cancel()
            await self._refuse(sid, "internal_error", say("session_failed", "en"))
        finally:
            opening.set()
            if self._opening.get(sid) is opening:
                del self._opening[sid]

    async def _user_uttered(self, sid: str, data: object = None, *_: object) -> dict[str, Any] | None:
        if await self._too_fast(sid):
            return None
        opening = self._opening.get(sid)
        if opening is not None:  # sent right after session_request, before its confirmation
            with suppress(TimeoutError):
                await asyncio.wait_for(opening.wait(), 10)
        session = self._sessions.get(sid)
        if session is None:
            await self._refuse(sid, "no_session", "Send session_request first.")
            return None
        if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
            await self._refuse(sid, "invalid_message", "user_uttered takes {message, session_id, customData}.")
            return None
        conversation_id = session.mailbox.conversation_id
        if data.get("session_id") not in (None, conversation_id):
            await self._refuse(sid, "unknown_session", "This socket's session is the one confirmed.")
            return None
        async with session.lock:  # one message at a time per socket, in the order sent
            return await self._answer(sid, session, data)

    async def _answer(self, sid: str, session: _Session, data: dict[str, Any]) -> dict[str, Any] | None:
        """The message's turn; returns the socket.io acknowledgement (sent when the client asked for
        one) once the message is stored, or with `resend` when it must be sent again."""
        conversation_id = session.mailbox.conversation_id
        text = str(data.get("message", "")).strip()
        metadata = data.get("customData", data.get("metadata")) or {}
        if isinstance(metadata, str):
            with suppress(ValueError):
                metadata = json.loads(metadata)
        if not isinstance(metadata, dict):
            await self._refuse(sid, "invalid_message", "customData must be an object.")
            return None
        # A widget's setting, not the customer's choice: the text's own language wins (see the module doc).
        hint = metadata.get("language") if metadata.get("language") in ("zh", "en") else None
        message_id = data.get("message_id")
        try:
            if message_id is not None and not isinstance(message_id, str):
                raise InvalidMessage("message_id must be a string")
            if text.startswith("/"):  # a quick reply: Rasa's widgets send the payload as the message
                title = await self._title_of(conversation_id, text)
                inbound = customer_message(
                    conversation_id,
                    text=title,
                    payload=text,
                    message_id=message_id,
                    default_language=hint,
                    metadata=metadata,
                )
            else:
                inbound = customer_message(
                    conversation_id, text=text, message_id=message_id, default_language=hint, metadata=metadata
                )
        except InvalidMessage as error:
            await self._refuse(sid, "invalid_message", str(error))
            return None
        if len(inbound.text) > self._max_length:
            await self._refuse(sid, "invalid_message", f"at most {self._max_length} characters")
            return None
        inbound = replace(inbound, client=self._leases[sid].key if sid in self._leases else None)
        try:
            reply = await self._port().answer(inbound, deliver=False)
        except Exception:
            log.exception("socketio_turn_failed", conversation=conversation_id)
            failed = say("message_failed", "en")
            await self.server.emit(BOT_MESSAGE, {"text": failed}, to=sid)  # Rasa's clients show only these
            await self._refuse(sid, "internal_error", failed)
            return _resend(message_id, "internal_error")
        if reply.refusal in (Refusal.UNAVAILABLE, Refusal.NOT_STORED):
            # Rasa's clients ignore chat_error: the apology (Rasa down: the message is kept) or the
            # request to send it again (nothing was kept) is a bot message.
            await self.server.emit(BOT_MESSAGE, {"text": reply.notice}, to=sid)
        if reply.refusal is not None:
            await self._refuse(sid, str(reply.refusal), reply.notice)
        else:
            await self._emit(sid, session.mailbox.take(reply.messages))
        if reply.refusal == Refusal.NOT_STORED:
            return _resend(message_id, str(reply.refusal))
        return {"message_id": message_id, "resend": False}

    async def _title_of(self, conversation_id: str, payload: str) -> str:
        """The title of the latest button offered with this payload (what the customer pressed)."""
        for message in reversed(await self._port().transcript(conversation_id)):
            if message.sender == Sender.BOT:
                for button in message.buttons:
                    if button.get("payload") == payload:
                        return str(button.get("title", ""))
        return ""

    async def _listen(self, sid: str, session: _Session, ready: asyncio.Event) -> None:
        topic = conversation_topic(session.mailbox.conversation_id)
        async with self._port().subscribe([topic]) as subscription:
            ready.set()
            while True:
                event = await subscription.next(timeout=5.0)
                if event is None:
                    continue
                try:
                    await self._emit(sid, await session.mailbox.news())
                except Exception:  # one failed fetch must not end the live updates
                    log.exception("socketio_push_failed", conversation=session.mailbox.conversation_id)

    async def _emit(self, sid: str, messages: list[StoredMessage]) -> None:
        for message in messages:
            for event in rasa_messages(message):
                await self.server.emit(BOT_MESSAGE, event, to=sid)

    async def _refuse(self, sid: str, code: str, message: str) -> None:
        await self.server.emit(ERROR, {"code": code, "message": message}, to=sid)


def _resend(message_id: str | None, code: str) -> dict[str, Any]:
    """The acknowledgement of a message that was not taken: send it again (the same `message_id`
    stores it once however often it arrives)."""
    return {"message_id": message_id, "resend": True, "code": code, "retry_after": 5}
