"""WeCom Customer Service message formats: what a synced message says, how a reply is rendered
(buttons become a `msgmenu` of `click` items, or numbered options), how a click or a typed digit maps
back to a button's payload, and which WeCom session state each desk status asks for."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from channels.wecom.api import ServiceState
from desk.message_text import cleaned
from desk.models import ConversationStatus
from knowledge.language import Language

CHANNEL = "wecom"

# sync_msg's `origin`: who a message is from.
FROM_CUSTOMER = 3
FROM_SYSTEM = 4  # events
FROM_SERVICER = 5  # a 接待人员 writing in the WeCom client

# kf/send_msg limits (bytes, UTF-8).
TEXT_LIMIT = 2048
MENU_HEAD_LIMIT = 1024
MENU_ITEMS = 10
MENU_ID_LIMIT = 64
MENU_CONTENT_LIMIT = 128

# A click id that stands for the n-th button of the last message with buttons (payload too long for an id).
INDEX_ID = re.compile(r"#(\d{1,2})")
DIGIT = re.compile(r"\s*(\d{1,2})\s*[.、。]?\s*")

# A new conversation's language when its first message tells none (the turn service decides, this
# is its hint): WeChat users write Chinese unless they show otherwise.
DEFAULT_LANGUAGE: Language = "zh"

SESSION_CHANGES: dict[object, str] = {1: "taken_from_pool", 2: "transferred", 3: "ended", 4: "reopened"}

# open_kfid ("wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q") and external_userid ("wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw")
# are letters, digits, "_" and "-". They become conversation ids and Rasa senders: nothing else may.
PLATFORM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Address:
    open_kfid: str
    external_userid: str

    @property
    def conversation_id(self) -> str:
        return f"{CHANNEL}:{self.open_kfid}:{self.external_userid}"

    def channel_data(self) -> dict[str, str]:
        return {"open_kfid": self.open_kfid, "external_userid": self.external_userid}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Address | None:
        open_kfid, user = data.get("open_kfid"), data.get("external_userid")
        if (
            isinstance(open_kfid, str)
            and isinstance(user, str)
            and PLATFORM_ID.fullmatch(open_kfid)
            and PLATFORM_ID.fullmatch(user)
        ):
            return cls(open_kfid, user)
        return None


def message_text(message: Mapping[str, Any]) -> tuple[str, str | None]:
    """A synced message as transcript text (`desk.message_text.cleaned`), and the menu id when it is a
    click on a `msgmenu` item (WeCom sends the click as a text message carrying `menu_id`). Other
    kinds read "[image]" and the like (see `is_text`)."""
    kind = cleaned(str(message.get("msgtype") or "unknown"))
    if kind == "text":
        body = message.get("text") or {}
        content = cleaned(str(body.get("content") or "")) if isinstance(body, dict) else ""
        menu_id = body.get("menu_id") if isinstance(body, dict) else None
        return content or "[text]", str(menu_id) if menu_id else None
    return f"[{kind}]", None


def is_text(message: Mapping[str, Any]) -> bool:
    return message.get("msgtype") == "text"


def chosen_payload(menu_id: str | None, text: str, last_buttons: Sequence[Mapping[str, str]]) -> str | None:
    """The payload a click or a typed number chose among the last offered buttons (None: plain text)."""
    if menu_id is not None:
        index = INDEX_ID.fullmatch(menu_id)
        if index is None:
            return menu_id  # the payload itself; the router checks it was offered
        return _nth(last_buttons, int(index.group(1)))
    digit = DIGIT.fullmatch(text)
    if digit is None or not last_buttons:
        return None
    # A button titled with the number itself (a 1–5 rating) wins over the n-th button.
    for button in last_buttons:
        if button.get("title", "").strip() == digit.group(1):
            return button.get("payload") or None
    return _nth(last_buttons, int(digit.group(1)))


def _nth(buttons: Sequence[Mapping[str, str]], number: int) -> str | None:
    if 1 <= number <= len(buttons):
        payload = buttons[number - 1].get("payload")
        return payload or None
    return None


def render(text: str, buttons: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The kf/send_msg bodies (without `touser`/`open_kfid`) for one outgoing message."""
    if buttons and len(buttons) <= MENU_ITEMS and _size(text) <= MENU_HEAD_LIMIT:
        items = [
            {
                "type": "click",
                "click": {"id": _menu_id(payload, n), "content": _clip(title or payload, MENU_CONTENT_LIMIT)},
            }
            for n, (title, payload) in enumerate(buttons, start=1)
        ]
        return [{"msgtype": "msgmenu", "msgmenu": {"head_content": text, "list": items}}]
    if buttons:
        options = [
            title if title == str(n) else f"{n}. {title or payload}" for n, (title, payload) in enumerate(buttons, 1)
        ]
        text = text + "\n\n" + "\n".join(options)
    return [{"msgtype": "text", "text": {"content": chunk}} for chunk in _chunks(text, TEXT_LIMIT)]


def _menu_id(payload: str, number: int) -> str:
    return payload if 0 < _size(payload) <= MENU_ID_LIMIT and not INDEX_ID.fullmatch(payload) else f"#{number}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _clip(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[: limit - 3].decode("utf-8", "ignore") + "…"


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line ends where possible, never inside a character, each part within `limit` bytes."""
    chunks: list[str] = []
    rest = text
    while _size(rest) > limit:
        head = rest.encode("utf-8")[:limit].decode("utf-8", "ignore")
        cut = head.rfind("\n")
        cut = cut if cut > len(head) // 2 else len(head)
        chunks.append(head[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest)
    return [c for c in chunks if c] or [""]


def target_state(status: ConversationStatus, human_agents: Literal["console", "wecom"]) -> ServiceState:
    """The WeCom session state a desk status asks for.

    With agents in the console, WeCom must keep the session with the assistant (1): kf/send_msg is
    refused (errcode 95018) in any state but 0 and 1, and the console's replies go through it. With
    agents in the WeCom client, the desk's statuses are mirrored one to one."""
    if human_agents == "console":
        return ServiceState.ASSISTANT
    return {
        ConversationStatus.BOT: ServiceState.ASSISTANT,
        ConversationStatus.QUEUED: ServiceState.POOL,
        ConversationStatus.AGENT: ServiceState.SERVICER,
        ConversationStatus.RESOLVED: ServiceState.ENDED,
    }[status]
