"""A user's direct message to the Slack app: Slack POSTs the event to `/channels/slack/events` and
waits 3 s; a retry has the same `event_id` and body, with `X-Slack-Retry-Num`. Answers reach the
fake's chat.postMessage (bench.fakes.slack), in the message's thread."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import ClassVar

import httpx

from bench.faults.plan import Channel

# The Slack app of the run, and Slack's patience with an event (it retries after 3 s).
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_BOT_TOKEN = "xoxb-faults-0000-secret-token"
SLACK_TIMEOUT_S = 3.0


def app_env(api_base_url: str) -> dict[str, str]:
    """The app's Slack settings, its Web API the fake at `api_base_url`."""
    return {
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_API_BASE_URL": api_base_url,
    }


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0= and HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


class SlackCustomer:
    channel: ClassVar[Channel] = "slack"

    def __init__(self, app_url: str) -> None:
        self._app_url = app_url
        self.slack_channel = "D" + uuid.uuid4().hex[:10].upper()
        self.ts = f"{int(time.time())}.{secrets.randbelow(10**6):06d}"
        self.conversation_id = f"slack:T1:{self.slack_channel}:{self.ts}"
        self.passive_replies: list[str] = []
        self._event_id = "Ev" + uuid.uuid4().hex[:12].upper()
        self._deliveries = 0

    def new_message_id(self) -> str:
        return f"slack:{self.ts}"  # the app's id of the message (channels/slack/events.py)

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": self.slack_channel,
            "user": "U1",
            "team": "T1",
            "text": text,
            "ts": self.ts,
            "event_ts": self.ts,
        }
        envelope = {
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": self._event_id,
            "event_time": int(float(self.ts)),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        body = json.dumps(envelope).encode()
        stamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": slack_signature(SLACK_SIGNING_SECRET, stamp, body),
        }
        if self._deliveries:
            headers["x-slack-retry-num"] = str(self._deliveries)
            headers["x-slack-retry-reason"] = "http_error"
        self._deliveries += 1
        try:
            async with httpx.AsyncClient(timeout=SLACK_TIMEOUT_S) as client:
                response = await client.post(f"{self._app_url}/channels/slack/events", content=body, headers=headers)
        except httpx.HTTPError as error:  # no answer within Slack's 3 s, or the app gone: Slack retries
            return False, type(error).__name__
        return response.status_code == 200, f"HTTP {response.status_code}"

    async def reconnect(self, app_url: str) -> None:
        return None

    async def close(self) -> None:
        return None
