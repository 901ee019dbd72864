"""Talking to the Rasa server: its REST channel for messages, its HTTP API for slots, trackers and
health. A turn's requests share one deadline (`turn_deadline`): the turn holds its message's claim
only that long (desk.conversations.STALE_PROCESSING)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from desk.turns import MESSAGE_ID

JSON = dict[str, Any]


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error: the message is kept, the client retries."""


@dataclass(frozen=True)
class TrackedTurn:
    """A customer message as Rasa's tracker holds it."""

    # The bot messages after its latest user event, in the REST channel's form.
    replies: list[JSON]
    # How many user events carry it: each time it was sent, a turn ran.
    runs: int


# When the current turn's Rasa requests must be over (time.monotonic()); None: no turn deadline.
_turn_ends: ContextVar[float | None] = ContextVar("rasa_turn_ends", default=None)


@contextmanager
def turn_deadline(seconds: float) -> Iterator[None]:
    """Rasa requests made inside (in this task) end within `seconds` from now, however many there
    are: one still running then is abandoned and raises `RasaUnavailable`, and later ones raise at
    once. A deadline already set that ends sooner stays."""
    ends = time.monotonic() + seconds
    current = _turn_ends.get()
    token = _turn_ends.set(ends if current is None else min(current, ends))
    try:
        yield
    finally:
        _turn_ends.reset(token)


def time_left() -> float:
    """Seconds until the current turn's deadline (infinite outside one)."""
    ends = _turn_ends.get()
    return math.inf if ends is None else ends - time.monotonic()


class RasaGateway(Protocol):
    async def send(self, sender: str, message: str, metadata: JSON) -> list[JSON]: ...

    async def set_slot(self, sender: str, name: str, value: Any, *, new_conversation: bool = False) -> None: ...

    async def resume_with(self, sender: str, intent: str) -> list[JSON]: ...

    async def turn_in_tracker(self, sender: str, message_id: int) -> TrackedTurn | None:
        """The customer message `message_id` (sent with it as `MESSAGE_ID` in the metadata) and what
        Rasa answered it, read from the conversation's tracker; None when the message never reached
        Rasa. Read before a message is sent again: a turn that timed out may have run all the same,
        and must not run twice."""
        ...

    async def healthy(self) -> bool: ...


class HttpRasaGateway:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self._client = client
        self._token = token

    async def send(self, sender: str, message: str, metadata: JSON) -> list[JSON]:
        body = {"sender": sender, "message": message, "metadata": metadata}
        response = await self._request("POST", "/webhooks/rest/webhook", json=body)
        replies = response.json()
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa's REST channel: {type(replies).__name__}")
        return replies

    async def set_slot(self, sender: str, name: str, value: Any, *, new_conversation: bool = False) -> None:
        events: list[JSON] = []
        if new_conversation:
            # Start the session ourselves: Rasa would otherwise start it after parsing our slot event,
            # and its SQL tracker store drops events stamped before the session start on reload.
            events = [
                {"event": "action", "name": "action_session_start"},
                {"event": "session_started"},
                {"event": "action", "name": "action_listen"},
            ]
        events.append({"event": "slot", "name": name, "value": value})
        await self._request(
            "POST", f"/conversations/{path_segment(sender)}/tracker/events", json=events, params={"token": self._token}
        )

    async def resume_with(self, sender: str, intent: str) -> list[JSON]:
        """Unpause a conversation a human had, then let the bot react to `intent` (e.g. ask for CSAT)."""
        params = {"token": self._token}
        # The pause came right after action_handoff, so Rasa never ran action_listen: add it, or the
        # rules (which expect a user turn after action_listen) would not match the triggered intent.
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        conversation = f"/conversations/{path_segment(sender)}"
        await self._request("POST", f"{conversation}/tracker/events", json=events, params=params)
        response = await self._request(
            "POST", f"{conversation}/trigger_intent", json={"name": intent, "entities": {}}, params=params
        )
        messages = response.json().get("messages")
        return messages if isinstance(messages, list) else []

    async def turn_in_tracker(self, sender: str, message_id: int) -> TrackedTurn | None:
        response = await self._request(
            "GET", f"/conversations/{path_segment(sender)}/tracker", params={"token": self._token}
        )
        events = response.json().get("events")
        return tracked_turn(events if isinstance(events, list) else [], message_id)

    async def healthy(self) -> bool:
        try:
            response = await self._client.get("/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        left = time_left()
        if left <= 0:
            raise RasaUnavailable("the turn's time for Rasa is up")
        try:
            # The client's timeouts bound each phase of a request; the turn's deadline bounds them all.
            async with asyncio.timeout(None if math.isinf(left) else left):
                response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa is unreachable: {type(error).__name__}") from error
        except TimeoutError as error:
            raise RasaUnavailable("Rasa did not answer within the turn's time") from error
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code} to {method} {path.split('?')[0]}")
        return response


def tracked_turn(events: Sequence[JSON], message_id: int) -> TrackedTurn | None:
    """The user events of `message_id` in a tracker's events, and the bot messages that followed the
    latest of them (until the next user event) as the REST channel gives them: text, buttons and the
    custom payload (the turn record). None when no user event carries that id."""
    starts = [
        index + 1
        for index, event in enumerate(events)
        if event.get("event") == "user"
        and isinstance(event.get("metadata"), dict)
        and event["metadata"].get(MESSAGE_ID) == message_id
    ]
    if not starts:
        return None
    replies: list[JSON] = []
    for event in events[starts[-1] :]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") or {}
            reply = {"text": event.get("text"), "buttons": data.get("buttons"), "custom": data.get("custom")}
            replies.append({key: value for key, value in reply.items() if value})
    return TrackedTurn(replies, runs=len(starts))


def path_segment(sender: str) -> str:
    """A conversation id as one path segment of Rasa's HTTP API: it can neither leave
    `/conversations/<id>/…` ("/", "..") nor end the path ("?", "#").

    Rasa 3.6 (Sanic 21.12) hands its routes the path parameter still percent-encoded, and its REST
    channel takes the sender from the JSON body as it is: only characters left as they are keep both
    on one tracker. Letters, digits, "-._~" and ":" are (every conversation id, "int:crm:abc" too);
    anything else is encoded, which keeps the request on its route. A whole "." or ".." segment
    would still be a dot segment for the URL's normalisation, so its dots are encoded as well."""
    quoted = quote(sender, safe=":")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted
