"""The load of a cluster fault run: customers on the conversation API and on the web chat's WebSocket,
each sending numbered messages and resending, with the same id, what was not accepted; and the agent
who claims the handoffs and replies."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import random
import time
from typing import Any

import httpx

from bench.faults.cluster.records import AgentReply, Attempt, Received, SentMessage
from bench.faults.scoring import api_acknowledged

QUESTIONS = {
    "en": (
        "How long is the warranty on the battery?",
        "How long does a refund to WeChat Pay take?",
        "Which courier do you use?",
        "Can I return an item I already opened?",
    ),
    "zh": ("退款一般几天到账？", "保修要提供什么凭证？", "扫地机器人的电池坏了，保修多久？", "你们用哪家快递？"),
}
HANDOFF = {"en": "I want to talk to a human agent please", "zh": "转人工"}
STILL_THERE = {"en": "are you still there?", "zh": "还在吗？"}
MESSAGES_PER_CONVERSATION = 6
# A client's patience with one message: longer than a message a killed replica held takes to be taken
# over (desk.conversations.STALE_PROCESSING, a minute, while resends get 409 message_in_progress).
GIVE_UP_S = 150.0
REQUEST_TIMEOUT_S = 60.0
AGENT_REPLIES = 2
AGENT_WAIT_S = 90.0


class Ledger:
    """Everything the clients did, shared by the customers and the agent."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.messages: list[SentMessage] = []
        self.received: list[Received] = []
        self.agent_replies: list[AgentReply] = []
        self.other_errors: list[Attempt] = []  # conversation starts, socket connects
        self.handoff_conversations: set[str] = set()

    def message_id(self, customer: int, conversation: int, seq: int) -> str:
        return f"cf-{self.run}-c{customer:02d}-v{conversation:02d}-m{seq:02d}"


def _retry_delay(attempt: Attempt, header: str | None) -> float:
    try:
        return max(0.5, min(10.0, float(header))) if header else 1.0
    except ValueError:
        return 1.0


async def _until_accepted(message: SentMessage, send: Any, stop_retrying: float) -> None:
    """Send until accepted, a refusal no client resends, or the client's patience runs out."""
    while True:
        attempt, delay, final = await send()
        message.attempts.append(attempt)
        if attempt.accepted or final or time.time() - message.first_sent_at > stop_retrying:
            return
        await asyncio.sleep(delay)


# ---------------------------------------------------------------------------------------- the API


async def api_customer(url: str, ledger: Ledger, index: int, language: str, stop: asyncio.Event) -> None:
    """Conversations of numbered messages over the conversation API, through the balancer, its cookies
    (the balancer's SERVERID) kept."""
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        conversation = 0
        while not stop.is_set():
            conversation += 1
            started = await _start_api_conversation(client, ledger, language, stop)
            if started is None:
                return
            conversation_id, key = started
            headers = {"Authorization": f"Bearer {key}"}
            for seq in range(1, MESSAGES_PER_CONVERSATION + 1):
                if stop.is_set():
                    return
                text = QUESTIONS[language][(index + seq) % len(QUESTIONS[language])]
                message = SentMessage(
                    index,
                    "api",
                    language,
                    conversation_id,
                    ledger.message_id(index, conversation, seq),
                    seq,
                    text,
                    time.time(),
                )
                ledger.messages.append(message)
                await _until_accepted(message, functools.partial(_api_send, client, message, headers), GIVE_UP_S)
                await asyncio.sleep(random.uniform(0.5, 1.5))


async def _start_api_conversation(
    client: httpx.AsyncClient, ledger: Ledger, language: str, stop: asyncio.Event
) -> tuple[str, str] | None:
    while not stop.is_set():
        try:
            response = await client.post("/api/v1/conversations", json={"language": language})
        except httpx.HTTPError as error:
            ledger.other_errors.append(Attempt(time.time(), f"start {type(error).__name__}", False, False, False))
            await asyncio.sleep(1)
            continue
        if response.status_code == 201:
            body = response.json()
            return str(body["conversation_id"]), str(body["access_key"])
        header = response.headers.get("retry-after")
        status = response.status_code
        attempt = Attempt(time.time(), f"start {status}", False, header is not None, status >= 500)
        ledger.other_errors.append(attempt)
        await asyncio.sleep(_retry_delay(attempt, header))
    return None


async def _api_send(
    client: httpx.AsyncClient, message: SentMessage, headers: dict[str, str]
) -> tuple[Attempt, float, bool]:
    try:
        response = await client.post(
            f"/api/v1/conversations/{message.conversation_id}/messages",
            json={"text": message.text, "message_id": message.client_message_id, "language": message.language},
            headers=headers,
        )
    except httpx.HTTPError as error:
        return Attempt(time.time(), type(error).__name__, False, False, False), 1.0, False
    status = response.status_code
    header = response.headers.get("retry-after")
    accepted = api_acknowledged(status, response.text)
    attempt = Attempt(time.time(), str(status), accepted, header is not None, status >= 500)
    # A refusal that says nothing about retrying (a 4xx other than 409 and 429) is not resent.
    final = 400 <= status < 500 and status not in (409, 429)
    return attempt, _retry_delay(attempt, header), final


# ------------------------------------------------------------------------------------- the web chat


class Socket:
    """One web-chat widget's WebSocket (channels/webchat/protocol.py), resumed after a drop with the
    conversation id and the last message id it has, as the widget does."""

    def __init__(self, url: str, ledger: Ledger, language: str) -> None:
        self._url = url.replace("http://", "ws://") + "/chat/ws"
        self._ledger = ledger
        self.language = language
        self.conversation_id: str | None = None
        self.last_message_id = 0
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def connect(self, stop_at: float) -> bool:
        from websockets.asyncio.client import connect

        while time.time() < stop_at:
            await self.close()
            try:
                self._socket = await connect(self._url, open_timeout=20, max_size=2**20)
                hello: dict[str, Any] = {"type": "hello", "language": self.language}
                if self.conversation_id:
                    hello["conversation_id"] = self.conversation_id
                    hello["last_message_id"] = self.last_message_id
                await self._socket.send(json.dumps(hello))
                while True:
                    frame = json.loads(await asyncio.wait_for(self._socket.recv(), 20))
                    if frame.get("type") == "session":
                        self.conversation_id = str(frame["conversation_id"])
                        break
                    if frame.get("type") == "error":
                        raise ConnectionError(f"hello refused: {frame.get('code')}")
            except Exception as error:
                self._ledger.other_errors.append(
                    Attempt(time.time(), f"ws connect {type(error).__name__}", False, False, False)
                )
                await asyncio.sleep(1)
                continue
            self._reader = asyncio.create_task(self._read())
            return True
        return False

    async def _read(self) -> None:
        with contextlib.suppress(Exception):  # a drop: every waiter is told below
            await self._read_frames()
        for future in self._waiting.values():
            if not future.done():
                future.set_result({"type": "closed"})
        self._waiting.clear()

    async def _read_frames(self) -> None:
        async for raw in self._socket:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message":
                self._take(frame)
            elif kind == "history":
                for body in frame.get("messages", []):
                    self._take(body)
            elif kind in ("ack", "error") and frame.get("client_message_id") in self._waiting:
                future = self._waiting.pop(str(frame["client_message_id"]))
                if not future.done():
                    future.set_result(frame)

    def _take(self, body: dict[str, Any]) -> None:
        message_id = int(body.get("id", 0))
        self.last_message_id = max(self.last_message_id, message_id)
        self._ledger.received.append(
            Received(
                self.conversation_id or "", message_id, str(body.get("sender")), str(body.get("text")), time.time()
            )
        )

    async def send(self, message: SentMessage) -> tuple[Attempt, float, bool]:
        if not self.open and not await self.connect(time.time() + 30):
            return Attempt(time.time(), "ws connect failed", False, False, False), 1.0, False
        message.conversation_id = self.conversation_id or message.conversation_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[message.client_message_id] = future
        try:
            await self._socket.send(
                json.dumps({"type": "message", "text": message.text, "client_message_id": message.client_message_id})
            )
            frame = await asyncio.wait_for(future, REQUEST_TIMEOUT_S)
        except Exception as error:
            self._waiting.pop(message.client_message_id, None)
            return Attempt(time.time(), f"ws {type(error).__name__}", False, False, False), 1.0, False
        kind = frame.get("type")
        if kind == "closed":
            return Attempt(time.time(), "socket closed", False, False, False), 1.0, False
        if kind == "ack":
            return Attempt(time.time(), "ack", True, False, False), 0.0, False
        code = str(frame.get("code"))
        retry_after = frame.get("retry_after")
        accepted = code == "assistant_unavailable"
        # A refusal of the socket's own (over-long text, too fast) is no server error.
        server_error = code in ("internal_error", "assistant_unavailable", "database_unavailable", "message_not_stored")
        attempt = Attempt(time.time(), f"error:{code}", accepted, retry_after is not None, server_error)
        return attempt, _retry_delay(attempt, None if retry_after is None else str(retry_after)), False

    def agent_messages(self) -> int:
        return len(
            {
                r.message_id
                for r in self._ledger.received
                if r.sender == "agent" and r.conversation_id == self.conversation_id
            }
        )

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
            self._reader = None
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
            self._socket = None


async def webchat_customer(
    url: str, ledger: Ledger, index: int, language: str, handoff: bool, stop: asyncio.Event
) -> None:
    """Conversations over the web chat's WebSocket; a handoff customer asks for a human at its third
    message and waits for the agent's replies (saying something in between), then starts again."""
    conversation = 0
    while not stop.is_set():
        conversation += 1
        socket = Socket(url, ledger, language)
        if not await socket.connect(time.time() + 60):
            return
        try:
            plan = [
                QUESTIONS[language][(index + k) % len(QUESTIONS[language])] for k in range(MESSAGES_PER_CONVERSATION)
            ]
            if handoff:
                plan = [plan[0], plan[1], HANDOFF[language]]
            for seq, text in enumerate(plan, start=1):
                if stop.is_set():
                    return
                await _webchat_message(socket, ledger, index, conversation, seq, text, language, handoff and seq == 3)
                await asyncio.sleep(random.uniform(0.5, 1.5))
            if handoff:
                if socket.conversation_id:
                    ledger.handoff_conversations.add(socket.conversation_id)
                await _await_agent(socket, ledger, index, conversation, language, len(plan))
        finally:
            await socket.close()


async def _webchat_message(
    socket: Socket, ledger: Ledger, index: int, conversation: int, seq: int, text: str, language: str, handoff: bool
) -> None:
    message = SentMessage(
        index,
        "webchat",
        language,
        socket.conversation_id or "",
        ledger.message_id(index, conversation, seq),
        seq,
        text,
        time.time(),
        handoff,
    )
    ledger.messages.append(message)
    await _until_accepted(message, lambda: socket.send(message), GIVE_UP_S)


async def _await_agent(socket: Socket, ledger: Ledger, index: int, conversation: int, language: str, seq: int) -> None:
    """Until both agent replies are in (the socket resumed after a drop), saying something once the
    first one came: a message the agent's conversation holds, not the bot's."""
    deadline = time.time() + AGENT_WAIT_S
    said = False
    while time.time() < deadline and socket.agent_messages() < AGENT_REPLIES:
        if not socket.open:
            await socket.connect(deadline)
        if socket.agent_messages() >= 1 and not said:
            said = True
            await _webchat_message(socket, ledger, index, conversation, seq + 1, STILL_THERE[language], language, False)
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------------------------------ the agent


async def agent(url: str, headers: dict[str, str], ledger: Ledger, stop: asyncio.Event) -> None:
    """Claims each handoff of the run and replies twice, a few seconds apart; a reply whose post failed
    is looked up in the case file before it is posted again (as an agent would look at the transcript)."""
    posted: dict[int, list[float]] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        while not stop.is_set():
            try:
                queue = (await client.get("/api/v1/escalations")).json()
            except (httpx.HTTPError, ValueError):
                await asyncio.sleep(1)
                continue
            if not isinstance(queue, list):
                await asyncio.sleep(1)
                continue
            for item in queue:
                escalation, conversation_id = int(item["id"]), str(item["conversation_id"])
                if conversation_id not in ledger.handoff_conversations:
                    continue
                times = posted.setdefault(escalation, [])
                if not times:
                    with contextlib.suppress(httpx.HTTPError):
                        await client.post(f"/api/v1/escalations/{escalation}/claim")
                if len(times) < AGENT_REPLIES and (not times or time.time() - times[-1] > 3):
                    text = f"Agent reply {len(times) + 1} for {conversation_id}"
                    reply = AgentReply(conversation_id, escalation, text, time.time())
                    ledger.agent_replies.append(reply)
                    await _post_reply(client, reply)
                    times.append(time.time())
            await asyncio.sleep(1)


async def _post_reply(client: httpx.AsyncClient, reply: AgentReply) -> None:
    deadline = time.time() + GIVE_UP_S
    while time.time() < deadline:
        try:
            response = await client.post(
                f"/api/v1/escalations/{reply.escalation_id}/replies", json={"text": reply.text}
            )
            reply.statuses.append(str(response.status_code))
            if response.status_code == 201:
                reply.stored = True
                return
        except httpx.HTTPError as error:
            reply.statuses.append(type(error).__name__)
        await asyncio.sleep(1)
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
            case = (await client.get(f"/api/v1/escalations/{reply.escalation_id}")).json()
            if any(m.get("text") == reply.text for m in case["messages"]):
                reply.stored = True
                return
