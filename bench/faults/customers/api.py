"""A client of the conversation API: its messages are acknowledged with a 2xx, or with the 503 that
says the message is stored and answered later; a client retries the others with the same message id."""

from __future__ import annotations

from typing import ClassVar

import httpx

from bench.faults.customers.base import fault_message_id
from bench.faults.plan import SEND_TIMEOUT_S, Channel
from bench.faults.scoring import api_acknowledged


class ApiCustomer:
    channel: ClassVar[Channel] = "api"

    def __init__(self, client: httpx.AsyncClient, conversation_id: str, key: str) -> None:
        self._client = client
        self.conversation_id = conversation_id
        self.passive_replies: list[str] = []
        self._headers = {"Authorization": f"Bearer {key}"}

    @classmethod
    async def open(cls, client: httpx.AsyncClient) -> ApiCustomer:
        response = await client.post("/api/v1/conversations", json={})
        response.raise_for_status()
        body = response.json()
        return cls(client, body["conversation_id"], body["access_key"])

    def new_message_id(self) -> str:
        return fault_message_id()

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        """Whether the API acknowledged the message, and what it answered."""
        try:
            response = await self._client.post(
                f"/api/v1/conversations/{self.conversation_id}/messages",
                json={"text": text, "message_id": message_id},
                headers=self._headers,
                timeout=SEND_TIMEOUT_S,
            )
        except httpx.HTTPError as error:
            return False, type(error).__name__
        return api_acknowledged(response.status_code, response.text), f"HTTP {response.status_code}"

    async def reconnect(self, app_url: str) -> None:
        return None  # each request is its own connection

    async def close(self) -> None:
        return None
