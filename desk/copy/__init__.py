"""Everything the assistant says in its own words, in Chinese and English, in one place: the actions,
the turn service and the channels read it here (Rasa's fixed responses live in domain.yml). One
module per area; every key is unique across them."""

from __future__ import annotations

from desk.copy import conversation, eligibility, lookups, requests
from desk.copy.conversation import NO_COMMENT
from knowledge.language import Language

__all__ = ["NO_COMMENT", "PHRASES", "both", "say"]


def _merged(*areas: dict[str, dict[Language, str]]) -> dict[str, dict[Language, str]]:
    merged: dict[str, dict[Language, str]] = {}
    for area in areas:
        clash = merged.keys() & area.keys()
        if clash:
            raise ValueError(f"copy keys defined twice: {sorted(clash)}")
        merged.update(area)
    return merged


PHRASES = _merged(conversation.PHRASES, lookups.PHRASES, requests.PHRASES, eligibility.PHRASES)


def say(key: str, language: Language, **values: object) -> str:
    return PHRASES[key][language].format(**values)


def both(key: str, **values: object) -> str:
    """The phrase in Chinese, then in English (for a first contact whose language nobody knows yet)."""
    return f"{say(key, 'zh', **values)}\n\n{say(key, 'en', **values)}"
