"""What Slack sends, as the router's inbound messages: Events API callbacks (direct messages to the
app and mentions of it) and Block Kit button clicks from the interactivity endpoint.

A thread is one conversation: `slack:<team>:<channel>:<thread ts>`, where a message outside a thread
starts its own (the assistant answers in the thread under it). The channel and thread are the
conversation's `channel_data`, which is how replies find their way back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.slack.blocks import conversation_of_block, plain_text
from desk.message_text import CONVERSATION_ID, cleaned
from engine.turns import Inbound

CHANNEL = "slack"

_ID = re.compile(r"^[A-Z0-9]{1,32}$")  # team, channel and user ids: T…, C…/D…/G…, U…/W…
_TS = re.compile(r"^\d{1,12}\.\d{1,8}$")
_CONVERSATION = re.compile(CONVERSATION_ID)


@dataclass(frozen=True)
class SlackPlace:
    """Where a conversation lives in Slack."""

    team: str
    channel: str
    thread_ts: str

    @property
    def conversation_id(self) -> str:
        return f"{CHANNEL}:{self.team}:{self.channel}:{self.thread_ts}"

    def channel_data(self) -> dict[str, Any]:
        return {"team": self.team, "channel": self.channel, "thread_ts": self.thread_ts}


@dataclass(frozen=True)
class Click:
    """A click on one of the assistant's buttons, and the message it was on (to show the choice)."""

    inbound: Inbound
    channel: str
    message_ts: str
    title: str
    text: str = ""  # the message's own text (Slack markup), kept when the buttons are replaced
    blocks: list[Any] = field(default_factory=list)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def clean_text(text: str) -> str:
    """Slack's markup as plain text, as the assistant takes a platform's text (`desk.message_text`)."""
    return cleaned(plain_text(text))


def customer_of(team: str, user: str) -> str:
    return f"{CHANNEL}:{team}:{user}"


def inbound_of_event(envelope: Mapping[str, Any]) -> Inbound | None:
    """A customer's message from an `event_callback`, or None for anything the assistant ignores:
    other event types, channel messages that do not mention it, bots (itself included), edits,
    deletions and other message subtypes, messages without text."""
    event = _dict(envelope.get("event"))
    kind = event.get("type")
    if kind == "message":
        if event.get("channel_type") != "im":
            return None
    elif kind != "app_mention":
        return None
    if event.get("subtype") is not None or event.get("bot_id") is not None or event.get("edited") is not None:
        return None
    team, channel, user = _str(envelope.get("team_id")), _str(event.get("channel")), _str(event.get("user"))
    ts = _str(event.get("ts"))
    thread_ts = _str(event.get("thread_ts")) or ts
    if not (team and channel and user and ts and thread_ts):
        return None
    if not all(_ID.match(value) for value in (team, channel, user)) or not (_TS.match(ts) and _TS.match(thread_ts)):
        return None
    text = clean_text(_str(event.get("text")) or "")
    if not text:
        return None
    place = SlackPlace(team, channel, thread_ts)
    return Inbound(
        conversation_id=place.conversation_id,
        text=text,
        channel=CHANNEL,
        customer_id=customer_of(team, user),
        # The message's own id, the same in every retry of its event, and the same when one message
        # arrives as two events (`message.im` and `app_mention`): it is stored and answered once.
        message_id=f"{CHANNEL}:{ts}",
        metadata={"slack_event": kind},
        channel_data=place.channel_data(),
    )


def click_of_interaction(payload: Mapping[str, Any]) -> Click | None:
    """The first click on one of the assistant's buttons in a `block_actions` payload (None otherwise)."""
    if payload.get("type") != "block_actions":
        return None
    user = _dict(payload.get("user"))
    team = _str(_dict(payload.get("team")).get("id")) or _str(user.get("team_id"))
    user_id = _str(user.get("id"))
    container = _dict(payload.get("container"))
    message = _dict(payload.get("message"))
    channel = _str(_dict(payload.get("channel")).get("id")) or _str(container.get("channel_id"))
    message_ts = _str(container.get("message_ts")) or _str(message.get("ts"))
    actions = payload.get("actions")
    if not (team and user_id and channel and message_ts and isinstance(actions, Sequence)):
        return None
    for action in actions:
        action = _dict(action)
        conversation_id = conversation_of_block(str(action.get("block_id") or ""))
        value, action_ts = _str(action.get("value")), _str(action.get("action_ts"))
        if action.get("type") != "button" or conversation_id is None or value is None:
            continue
        if action_ts is None or not _TS.match(action_ts):
            continue
        if not conversation_id.startswith(f"{CHANNEL}:") or not _CONVERSATION.match(conversation_id):
            continue
        title = clean_text(_str(_dict(action.get("text")).get("text")) or "") or cleaned(value)
        blocks = message.get("blocks")
        inbound = Inbound(
            conversation_id=conversation_id,
            text=title,
            payload=value,
            channel=CHANNEL,
            customer_id=customer_of(team, user_id),
            message_id=f"{CHANNEL}:click:{action_ts}",
            metadata={"slack_event": "block_actions"},
        )
        text = message.get("text")
        return Click(
            inbound,
            channel,
            message_ts,
            title,
            text if isinstance(text, str) else "",
            list(blocks) if isinstance(blocks, list) else [],
        )
    return None
