"""Slack's message formats: the assistant's messages as Block Kit (text sections, buttons as `actions`
blocks whose `value` carries the payload), the escalation announcement, and Slack's markup in what
customers write turned back into plain text.

Limits from Slack's Block Kit reference: a section's text ≤ 3,000 characters, a button's text ≤ 75,
its value ≤ 2,000, an actions block ≤ 25 elements, a `block_id` ≤ 255, a message ≤ 50 blocks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
MAX_BLOCKS = 50
# Our buttons' blocks are named `lumio:<n>:<conversation id>`: a click names its conversation exactly.
BUTTONS_BLOCK_PREFIX = "lumio:"

Block = dict[str, Any]

_MARKUP = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    """Slack reads `&`, `<` and `>` as markup: they are sent as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: str) -> str:
    """A customer's message without Slack's markup: mentions dropped, links and channels by name."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):  # a user mention (the app's own, in an app_mention)
            return ""
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):  # <!here>, <!channel>, <!date^…|fallback>
            return label or f"@{target[1:].split('^')[0]}"
        return label or target.removeprefix("mailto:")

    return html.unescape(_MARKUP.sub(replace, text))


def sections(text: str) -> list[Block]:
    """The text as mrkdwn sections of at most `SECTION_LIMIT` characters once escaped, cut at a
    line or word break where one is near."""
    blocks: list[Block] = []
    rest = text
    while rest:
        cut = _cut(rest)
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(chunk)}})
    return blocks


def _cut(text: str) -> int:
    size = 0
    for index, char in enumerate(text):
        size += len(escape(char))
        if size > SECTION_LIMIT:
            window = text[max(0, index - 300) : index]
            for separator in ("\n", " "):
                found = window.rfind(separator)
                if found > 0:
                    return index - len(window) + found + 1
            return index
    return len(text)


def buttons_block_id(conversation_id: str, number: int) -> str:
    return f"{BUTTONS_BLOCK_PREFIX}{number}:{conversation_id}"


def conversation_of_block(block_id: str) -> str | None:
    """The conversation a click on one of our buttons belongs to (None: not one of ours)."""
    if not block_id.startswith(BUTTONS_BLOCK_PREFIX):
        return None
    number, _, conversation_id = block_id.removeprefix(BUTTONS_BLOCK_PREFIX).partition(":")
    return conversation_id if number.isdigit() and conversation_id else None


def message_blocks(conversation_id: str, text: str, buttons: Sequence[tuple[str, str]]) -> list[Block]:
    """A message's text and its buttons (title, payload) as Block Kit."""
    blocks = sections(text)
    usable = [(title, payload) for title, payload in buttons if payload and len(payload) <= BUTTON_VALUE_LIMIT]
    for number, start in enumerate(range(0, len(usable), BUTTONS_PER_BLOCK)):
        group = usable[start : start + BUTTONS_PER_BLOCK]
        blocks.append(
            {
                "type": "actions",
                "block_id": buttons_block_id(conversation_id, number),
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"button-{start + index}",
                        "text": {"type": "plain_text", "text": _button_text(title), "emoji": True},
                        "value": payload,
                    }
                    for index, (title, payload) in enumerate(group)
                ],
            }
        )
    return blocks[:MAX_BLOCKS]


def _button_text(title: str) -> str:
    title = title.strip() or "…"
    return title if len(title) <= BUTTON_TEXT_LIMIT else title[: BUTTON_TEXT_LIMIT - 1] + "…"


def fallback_text(text: str, buttons: Sequence[tuple[str, str]]) -> str:
    """The message's `text`: shown in notifications and by clients that cannot render blocks."""
    options = "\n".join(f"{number}. {title}" for number, (title, _) in enumerate(buttons, start=1))
    return escape(f"{text}\n{options}" if options else text)


def answered_blocks(blocks: Sequence[Any], title: str) -> list[Block]:
    """A message after one of its buttons was clicked: the same text, the choice instead of the buttons."""
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ {escape(title)}"}]}]


def announcement_blocks(
    *,
    escalation_id: int,
    priority: str,
    reason: str,
    channel: str,
    customer_id: str | None,
    language: str,
    last_message: str,
    link: str,
) -> tuple[str, list[Block]]:
    """The text and blocks of a new escalation's announcement in the leads' channel."""
    headline = f"New escalation #{escalation_id}: {priority} priority, {reason.replace('_', ' ')}"
    details = f"channel {channel} · language {language}" + (f" · customer {customer_id}" if customer_id else "")
    quoted = "\n".join(f"> {line}" for line in escape(last_message[:500]).splitlines()) or "> (no text)"
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(headline)}*\n{escape(details)}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quoted}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"<{link}|Open escalation #{escalation_id} in the console>"},
        },
    ]
    return escape(headline), blocks
