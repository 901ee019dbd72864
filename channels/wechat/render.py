"""What WeChat shows: Official Account messages have no buttons, so the bot's buttons become numbered
options ("1. … 2. …") and a reply of a digit ("2", "２", "②") picks one. The words around them
are `desk.copy`'s, in the message's own language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from desk.copy import both, say
from knowledge.language import LANGUAGES, language_signal

_CHOICE = re.compile(r"([0-9]{1,2})[.。、)）]?")

# A new follower's greeting: nobody knows their language yet, so both.
WELCOME = both("follower_welcome")


def with_options(text: str, buttons: Sequence[tuple[str, str]], language: str | None = None) -> str:
    """The message text with its buttons as numbered options (button titles, in order); the hint how
    to choose is in the message's `language` as stored with it (else the text's own)."""
    if not buttons:
        return text
    spoken = next((known for known in LANGUAGES if known == language), None) or language_signal(text) or "zh"
    options = "\n".join(f"{number}. {title}" for number, (title, _) in enumerate(buttons, start=1))
    return f"{text}\n\n{options}\n{say('choose_by_number', spoken)}"


def chosen_option(text: str) -> int | None:
    """The option number a reply picks ("2", "２", "②", "2."), or None when it is not a bare number."""
    normalised = unicodedata.normalize("NFKC", text).strip()
    match = _CHOICE.fullmatch(normalised)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number >= 1 else None
