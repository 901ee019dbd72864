"""What a customer's message text may contain, for every channel.

The conversation API refuses a text that breaks the rule (422); a platform channel cannot refuse a
platform's delivery, so it strips what the rule forbids and cuts the text to length.

A customer's words never reach Rasa as a command: Rasa reads a text starting with "/" as an intent
with entities (its button-press syntax), so "/EXTERNAL_resolved" would close a case and
'/vote{...}' forge a vote. Only a button payload the assistant offered may do that. The turn service
applies `as_words` to every channel's text before Rasa sees it, so the rule holds even where a
channel forgets it; the API and the web chat also refuse such a text (`is_command`), telling their
clients why."""

from __future__ import annotations

import json
import math
import re

MAX_TEXT_LENGTH = 2000
# Client-chosen conversation ids (the API's path parameter, Slack's derived ids).
CONVERSATION_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
# C0 controls (but tab, newline, carriage return), DEL and C1 controls never belong in a chat message.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What makes Rasa read a text as an intent (rasa.shared.constants.INTENT_MESSAGE_PREFIX).
COMMAND_PREFIX = "/"


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def cleaned(text: str) -> str:
    """A platform's text as the assistant takes it: control characters removed, trimmed, cut to length."""
    return CONTROL_CHARACTERS.sub("", text).strip()[:MAX_TEXT_LENGTH]


def is_command(text: str) -> bool:
    """Whether Rasa would read the text as an intent rather than as words (it strips blanks first)."""
    return text.strip().startswith(COMMAND_PREFIX)


def as_words(text: str) -> str:
    """A customer's text as Rasa must read it: words, never a command.

    The leading slashes go ("/greet" reads as "greet", words NLU classifies like any others), and
    the transcript keeps what the customer wrote. Not a prefix: Rasa strips blanks before it looks
    for the "/", and any other character would be words the customer never wrote. A text of nothing
    but slashes reads as "…" rather than as an empty message."""
    words = text.strip()
    while words.startswith(COMMAND_PREFIX):
        words = words.removeprefix(COMMAND_PREFIX).strip()
    return words or "…"


# Metadata a customer's client sends with a message (the conversation API's `metadata`, the web
# chat's `customData`) rides to Rasa with the message and is stored in its tracker each time: a
# little context (a page, an order number), never a document.
MAX_METADATA_BYTES = 4096  # as compact JSON in UTF-8
MAX_METADATA_DEPTH = 4  # levels of objects and lists, the metadata object itself being the first
MAX_METADATA_KEYS = 64  # keys of all its objects together


def metadata_problem(value: object) -> str | None:
    """Why a customer's metadata is refused, or None: it must be a JSON object (finite numbers)
    within the limits above. Walked with a stack rather than recursion, stopping at the first bound
    passed, so that no shape of input makes the check itself deep or long."""
    if not isinstance(value, dict):
        return "metadata must be a JSON object"
    keys = items = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        # Each value takes a byte of JSON at least, and so does each comma of a list: past the limit
        # in these, it is too large already (before a list of a million is walked).
        items += 1 + (len(item) if isinstance(item, list) else 0)
        if items > MAX_METADATA_BYTES:
            return f"metadata must be at most {MAX_METADATA_BYTES} bytes as JSON"
        if isinstance(item, dict | list) and depth > MAX_METADATA_DEPTH:
            return f"metadata must nest at most {MAX_METADATA_DEPTH} levels deep"
        if isinstance(item, dict):
            keys += len(item)
            if keys > MAX_METADATA_KEYS:
                return f"metadata must have at most {MAX_METADATA_KEYS} keys"
            if not all(isinstance(key, str) for key in item):
                return "metadata keys must be strings"
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            return "metadata numbers must be finite"
        elif item is not None and not isinstance(item, str | int | float):  # bool is an int
            return "metadata must be JSON"
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        return f"metadata must be at most {MAX_METADATA_BYTES} bytes as JSON"
    return None
