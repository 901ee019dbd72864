"""Starting a conversation of the conversation API as a browser does, for tests of any layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Poster(Protocol):
    def post(self, url: str, *, json: Any = None) -> Any: ...


@dataclass(frozen=True)
class Started:
    """A browser's conversation: the id the server chose and the key that opens it."""

    id: str
    key: str

    @property
    def url(self) -> str:
        return f"/api/v1/conversations/{self.id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def start_conversation(client: Poster, base_url: str = "", **body: Any) -> Started:
    """`POST /api/v1/conversations` with `body` (language, metadata) through a TestClient or httpx."""
    response = client.post(f"{base_url}/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    started = response.json()
    return Started(started["conversation_id"], started["access_key"])
