"""A web-chat widget on `/chat/ws` (channels/webchat/protocol.py): hello, then its message frames,
each acknowledged with an `ack` frame (or the `assistant_unavailable` refusal: stored, answered
later); after a drop it reconnects and resends what was not acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, ClassVar

from bench.faults.customers.base import fault_message_id
from bench.faults.plan import SEND_TIMEOUT_S, Channel
from bench.faults.scoring import webchat_acknowledged


class WebChatCustomer:
    channel: ClassVar[Channel] = "webchat"

    def __init__(self, socket: Any, conversation_id: str) -> None:
        self._socket = socket
        self.conversation_id = conversation_id
        self.passive_replies: list[str] = []

    @staticmethod
    async def _session(app_url: str, conversation_id: str | None) -> tuple[Any, str]:
        from websockets.asyncio.client import connect

        socket = await connect(app_url.replace("http://", "ws://") + "/chat/ws", open_timeout=30)
        hello: dict[str, Any] = {"type": "hello", "language": "en"}
        if conversation_id:
            hello["conversation_id"] = conversation_id
        await socket.send(json.dumps(hello))
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if frame.get("type") == "session":
                return socket, str(frame["conversation_id"])

    @classmethod
    async def open(cls, app_url: str) -> WebChatCustomer:
        return cls(*await cls._session(app_url, None))

    def new_message_id(self) -> str:
        return fault_message_id()

    async def reconnect(self, app_url: str) -> None:
        """As the widget does after a drop: resume the conversation. A conversation is stored with
        its first message: one whose first message was refused comes back under a new id."""
        await self.close()
        self._socket, self.conversation_id = await self._session(app_url, self.conversation_id)

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        frame: dict[str, Any] = {}
        try:
            await self._socket.send(json.dumps({"type": "message", "text": text, "client_message_id": message_id}))
            async with asyncio.timeout(SEND_TIMEOUT_S):
                while frame.get("client_message_id") != message_id:
                    frame = json.loads(await self._socket.recv())
        except Exception as error:  # closed (the app killed) or no answer in time: not acknowledged
            return False, type(error).__name__
        return webchat_acknowledged(frame), str(frame.get("code", frame["type"]))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close()
