"""What a customer's message text may contain, for every channel.

The conversation API refuses a text that breaks the rule (422); a platform channel cannot refuse a
platform's delivery, so it strips what the rule forbids and cuts the text to length."""

from __future__ import annotations

import re

MAX_TEXT_LENGTH = 2000
# Client-chosen conversation ids (the API's path parameter, Slack's derived ids).
CONVERSATION_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
# C0 controls (but tab, newline, carriage return), DEL and C1 controls never belong in a chat message.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def cleaned(text: str) -> str:
    """A platform's text as the assistant takes it: control characters removed, trimmed, cut to length."""
    return CONTROL_CHARACTERS.sub("", text).strip()[:MAX_TEXT_LENGTH]
