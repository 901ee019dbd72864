"""One widget's WebSocket connection (`/chat/ws`): the session, the customer's messages in order,
and what arrives for the customer meanwhile (an agent's reply, the CSAT question), pushed live.

Three tasks share the socket: the reader (frames in: validated, rate-limited, never fatal), the
worker (one customer message at a time through the assistant, so a conversation keeps its order) and
the listener (the conversation's bus topic: whatever the mailbox has not shown yet is sent).
A message being answered when the socket drops is answered all the same: its reply waits in the
transcript, and the widget's resend (same `client_message_id`) gets it back without a second turn.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import replace

import structlog
from pydantic import ValidationError
from starlette.websockets import WebSocket

from channels.webchat import protocol as frames
from channels.webchat.protocol import Hello, Ping, Press, Say
from channels.webchat.session import InvalidMessage, Mailbox, customer_message, open_session, problems
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket_caps import client_of_scope
from desk.conversations import StoredMessage
from desk.copy import say
from desk.models import ConversationStatus
from engine.events import Subscription, conversation_topic
from engine.port import AssistantPort, Refusal, Reply
from engine.turns import Inbound
from knowledge.language import Language

log = structlog.get_logger(__name__)

# Customer messages waiting for their turn; more than this is abuse (a widget sends a few at most).
INBOX_SIZE = 20
POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
# Turns still being answered when their socket closed (kept referenced until they finish).
UNFINISHED: set[asyncio.Task[None]] = set()


class FrameRate:
    """At most `per_second` frames in any one-second window."""

    def __init__(self, per_second: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_second
        self._clock = clock
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        now = self._clock()
        while self._times and now - self._times[0] >= 1.0:
            self._times.popleft()
        if len(self._times) >= self._limit:
            return False
        self._times.append(now)
        return True


class WebChatConnection:
    def __init__(self, websocket: WebSocket, port: AssistantPort, settings: WebChatSettings) -> None:
        self._ws = websocket
        self._port = port
        self._settings = settings
        self._rate = FrameRate(settings.max_frames_per_second)
        self._send_lock = asyncio.Lock()
        self._open = True
        self._mailbox: Mailbox | None = None
        # The widget's language (hello): a new conversation's, until its messages tell their own.
        self._language: Language | None = None
        self._status = str(ConversationStatus.BOT)
        self._inbox: asyncio.Queue[Say | Press] = asyncio.Queue(INBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        self._answering: asyncio.Task[None] | None = None

    async def run(self) -> None:
        await self._ws.accept()
        try:
            async with AsyncExitStack() as stack:
                await self._read(stack)
        finally:
            # Nothing is awaited here: the server may be cancelling this handler already.
            self._open = False
            for task in self._tasks:
                task.cancel()
            if self._answering is not None and not self._answering.done():
                # The turn in progress goes on: its reply is stored for the widget's resend.
                UNFINISHED.add(self._answering)
                self._answering.add_done_callback(UNFINISHED.discard)
            if self._mailbox is not None:
                log.info("webchat_closed", conversation=self._mailbox.conversation_id)

    # Frames in ---------------------------------------------------------------------------------

    async def _read(self, stack: AsyncExitStack) -> None:
        while self._open:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if not self._rate.allow():
                await self._send(frames.error("rate_limited", "Too many messages; the connection is closed."))
                await self._close(POLICY_VIOLATION)
                return
            raw = message.get("text")
            if raw is None:
                await self._send(frames.error("invalid_frame", "Frames are JSON text."))
                continue
            if len(raw.encode("utf-8")) > self._settings.max_frame_bytes:
                await self._send(frames.error("too_large", "The frame is too large."))
                continue
            try:
                frame = frames.parse(raw)
            except ValidationError as error:
                await self._send(frames.error("invalid_frame", problems(error)))
                continue
            if isinstance(frame, Ping):
                await self._send({"type": "pong"})
            elif isinstance(frame, Hello):
                if self._mailbox is not None:
                    await self._send(frames.error("invalid_frame", "The session has already started."))
                elif not await self._hello(frame, stack):
                    return
            elif self._mailbox is None:
                await self._send(frames.error("no_session", "Send a hello frame first."))
            elif self._inbox.full():
                await self._send(frames.error("rate_limited", "Too many messages waiting; the connection is closed."))
                await self._close(POLICY_VIOLATION)
                return
            else:
                self._inbox.put_nowait(frame)

    async def _hello(self, hello: Hello, stack: AsyncExitStack) -> bool:
        """Start the session; False when it could not be (the socket is closed: the widget retries)."""
        try:
            await self._start(hello, stack)
        except Exception:
            log.exception("webchat_session_failed")
            await self._send(frames.error("internal_error", say("session_failed", hello.language or "en")))
            await self._close(INTERNAL_ERROR)
            return False
        return True

    async def _start(self, hello: Hello, stack: AsyncExitStack) -> None:
        conversation_id, resumed = await open_session(self._port, hello.conversation_id)
        # Listen before reading the history, so nothing stored in between is missed.
        subscription = await stack.enter_async_context(self._port.subscribe([conversation_topic(conversation_id)]))
        mailbox = Mailbox(self._port, conversation_id)
        history: list[StoredMessage] = []
        if resumed:
            conversation = await self._port.conversation(conversation_id)
            if conversation is not None:
                self._status = str(conversation.status)
            history = await mailbox.history(hello.last_message_id, self._settings.history_limit)
        self._mailbox = mailbox
        self._language = hello.language
        await self._send(
            frames.session(
                conversation_id, resumed=resumed, status=self._status, max_length=self._settings.max_message_length
            )
        )
        await self._send(frames.history(history))
        self._tasks = [asyncio.create_task(self._listen(subscription)), asyncio.create_task(self._work())]
        log.info("webchat_session", conversation=conversation_id, resumed=resumed, transport="websocket")

    # Customer messages -------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            frame = await self._inbox.get()
            self._answering = asyncio.create_task(self._answer(frame))
            try:
                # Shielded: closing the socket must not abandon a message half-way through the router.
                await asyncio.shield(self._answering)
            except Exception:  # the next message is still answered
                log.exception("webchat_answer_failed")

    async def _answer(self, frame: Say | Press) -> None:
        assert self._mailbox is not None
        reference = frame.client_message_id
        try:
            # The client's address bounds its escalations (engine/escalation_budget.py).
            inbound = replace(self._inbound(frame), client=client_of_scope(self._ws.scope))
        except InvalidMessage as error:
            await self._send(frames.error("invalid_message", str(error), client_message_id=reference))
            return
        if len(inbound.text) > self._settings.max_message_length:
            limit = self._settings.max_message_length
            await self._send(
                frames.error("invalid_message", f"at most {limit} characters", client_message_id=reference)
            )
            return
        await self._send({"type": "typing", "on": True})
        try:
            reply = await self._reply(inbound)
        except Exception:
            log.exception("webchat_turn_failed", conversation=self._mailbox.conversation_id)
            failed = say("message_failed", self._language or "en")
            await self._send(frames.error("internal_error", failed, client_message_id=reference, retry_after=5))
        else:
            if reply.turn is None:
                code = str(reply.refusal or Refusal.UNAVAILABLE)
                await self._send(
                    frames.error(code, reply.notice, client_message_id=reference, retry_after=reply.retry_after)
                )
            else:
                for message in self._mailbox.take(reply.messages):
                    await self._send(frames.message(message))
                status = str(reply.turn.status)
                await self._send({"type": "ack", "client_message_id": reference, "status": status})
                await self._status_is(status)
        finally:
            await self._send({"type": "typing", "on": False})

    def _inbound(self, frame: Say | Press) -> Inbound:
        assert self._mailbox is not None
        conversation_id = self._mailbox.conversation_id
        if isinstance(frame, Press):
            return customer_message(
                conversation_id, text=frame.title, payload=frame.payload, message_id=frame.client_message_id
            )
        # The widget's language only decides a new conversation's first message that carries none
        # (an order number, an emoji); otherwise the text's own language does (the assistant decides).
        return customer_message(
            conversation_id, text=frame.text, message_id=frame.client_message_id, default_language=self._language
        )

    async def _reply(self, inbound: Inbound) -> Reply:
        """The assistant's answer; a resent message still being answered elsewhere is waited for."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.resend_wait_seconds
        while True:
            reply = await self._port.answer(inbound, deliver=False)
            if reply.refusal != Refusal.IN_PROGRESS or loop.time() > deadline:
                return reply
            await asyncio.sleep(0.5)

    # Pushed to the customer --------------------------------------------------------------------

    async def _listen(self, subscription: Subscription) -> None:
        assert self._mailbox is not None
        while self._open:
            event = await subscription.next(timeout=1.0)
            if event is None:
                continue
            try:
                if event.kind == "status":
                    await self._status_is(str(event.data.get("status", "")))
                for message in await self._mailbox.news():
                    await self._send(frames.message(message))
            except Exception:  # one failed fetch must not end the live updates
                log.exception("webchat_push_failed", conversation=self._mailbox.conversation_id)

    async def _status_is(self, status: str) -> None:
        if status and status != self._status:
            self._status = status
            await self._send({"type": "status", "status": status})

    # Frames out --------------------------------------------------------------------------------

    async def _send(self, frame: frames.Frame) -> None:
        async with self._send_lock:
            if not self._open:
                return
            try:
                await self._ws.send_text(frames.encode(frame))
            except Exception:  # the peer went away: the reader sees the disconnect
                self._open = False

    async def _close(self, code: int) -> None:
        self._open = False
        with suppress(Exception):
            await self._ws.close(code)
