"""What Slack sends, as the router's inbound messages: Events API callbacks (direct messages to the
app and mentions of it) and Block Kit button clicks from the interactivity endpoint.

A thread is one conversation: `slack:<team>:<channel>:<thread ts>`, where a message outside a thread
starts its own (the assistant answers in the thread under it). The channel and thread are the
conversation's `channel_data`, which is how replies find their way back.

Files a customer attaches (a photo of the broken part) arrive as the message subtype `file_share`.
The assistant reads the words and the agents get each file's name, Slack id and permalink in the
transcript ("[image] IMG_2031.jpg (F0…) https://…"); the app never downloads a file. Files without
words are acknowledged, as WeChat's and WeCom's pictures are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.slack.blocks import conversation_of_block, plain_text
from desk.customers import channel_identity
from desk.message_text import CONVERSATION_ID, cleaned
from engine.turns import Inbound

CHANNEL = "slack"

# Ids and timestamps become conversation ids and Rasa senders: whole matches, ASCII only ("$" alone
# would let a trailing newline through, "\d" other scripts' digits).
_ID = re.compile(r"[A-Z0-9]{1,32}")  # team, channel and user ids: T…, C…/D…/G…, U…/W…
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,8}")
_CONVERSATION = re.compile(CONVERSATION_ID)
_FILE_ID = re.compile(r"F[A-Z0-9]{1,32}")
# Message subtypes that are a customer writing: none, or files with (or without) words. A tuple:
# compared, never hashed (a subtype could be any JSON value).
CUSTOMER_SUBTYPES = (None, "file_share")
MAX_FILES = 10  # as many as Slack attaches to one message
MAX_FILE_NAME = 120
# A file's page in Slack, kept for the agents: https, printable ASCII, no blanks.
_PERMALINK = re.compile(r"https://[\x21-\x7e]{1,492}")


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
class SharedFile:
    """A file a customer shared: what an agent needs to find it in Slack."""

    id: str | None
    name: str
    permalink: str | None
    picture: bool

    @property
    def placeholder(self) -> str:
        """The file as a transcript line: "[image] IMG_2031.jpg (F0…) https://….slack.com/files/…"."""
        parts = [
            "[image]" if self.picture else "[file]",
            self.name,
            f"({self.id})" if self.id and self.name else self.id,
        ]
        return " ".join(part for part in (*parts, self.permalink) if part)


@dataclass(frozen=True)
class Posted:
    """A customer's message. `acknowledgement` (a `desk.copy` key) when it is files without words:
    nothing for Rasa to read, so it is stored and acknowledged (`AssistantPort.acknowledge`)."""

    inbound: Inbound
    acknowledgement: str | None = None


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
    return channel_identity(CHANNEL, team, user)


def files_of(event: Mapping[str, Any]) -> list[SharedFile]:
    """The files attached to a message event (`files`: Slack's file objects), as far as they name one."""
    files = event.get("files")
    found: list[SharedFile] = []
    for item in files[:MAX_FILES] if isinstance(files, list) else []:
        item = _dict(item)
        file_id = _str(item.get("id"))
        file_id = file_id if file_id and _FILE_ID.fullmatch(file_id) else None
        name = " ".join(cleaned(_str(item.get("name")) or _str(item.get("title")) or "").split())[:MAX_FILE_NAME]
        link = _str(item.get("permalink"))
        link = link if link and _PERMALINK.fullmatch(link) else None
        if file_id or name:
            mimetype = _str(item.get("mimetype")) or ""
            found.append(SharedFile(file_id, name, link, mimetype.startswith("image/")))
    return found


def message_of_event(envelope: Mapping[str, Any]) -> Posted | None:
    """A customer's message from an `event_callback`, or None for anything the assistant ignores:
    other event types, channel messages that do not mention it, bots (itself included), edits,
    deletions and other message subtypes, messages with neither words nor files."""
    event = _dict(envelope.get("event"))
    kind = event.get("type")
    if kind == "message":
        if event.get("channel_type") != "im":
            return None
    elif kind != "app_mention":
        return None
    if (
        event.get("subtype") not in CUSTOMER_SUBTYPES
        or event.get("bot_id") is not None
        or event.get("edited") is not None
    ):
        return None
    team, channel, user = _str(envelope.get("team_id")), _str(event.get("channel")), _str(event.get("user"))
    ts = _str(event.get("ts"))
    thread_ts = _str(event.get("thread_ts")) or ts
    if not (team and channel and user and ts and thread_ts):
        return None
    if not all(_ID.fullmatch(value) for value in (team, channel, user)) or not (
        _TS.fullmatch(ts) and _TS.fullmatch(thread_ts)
    ):
        return None
    text = clean_text(_str(event.get("text")) or "")
    files = files_of(event)
    if not text and not files:
        return None
    place = SlackPlace(team, channel, thread_ts)
    inbound = Inbound(
        conversation_id=place.conversation_id,
        text=text,
        attachments=tuple(file.placeholder for file in files),
        channel=CHANNEL,
        customer_id=customer_of(team, user),
        # The message's own id, the same in every retry of its event, and the same when one message
        # arrives as two events (`message.im` and `app_mention`): it is stored and answered once.
        message_id=f"{CHANNEL}:{ts}",
        metadata={"slack_event": kind},
        channel_data=place.channel_data(),
    )
    if text:
        return Posted(inbound)
    return Posted(inbound, "picture_received" if all(file.picture for file in files) else "attachment_received")


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
    if not (_ID.fullmatch(team) and _ID.fullmatch(user_id)):
        return None
    for action in actions:
        action = _dict(action)
        conversation_id = conversation_of_block(str(action.get("block_id") or ""))
        value, action_ts = _str(action.get("value")), _str(action.get("action_ts"))
        if action.get("type") != "button" or conversation_id is None or value is None:
            continue
        if action_ts is None or not _TS.fullmatch(action_ts):
            continue
        if not conversation_id.startswith(f"{CHANNEL}:") or not _CONVERSATION.fullmatch(conversation_id):
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
