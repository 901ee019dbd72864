"""Identifiers and personal data in customer text: order, repair and serial numbers, phones, e-mails.

A spaCy EntityRuler with token patterns finds them: for the escalation record (which order is this
about?) and to mask personal data before anything reaches a log.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from knowledge.text import blank_pipeline, identifier_doc

if TYPE_CHECKING:
    from spacy.language import Language as SpacyLanguage

# Labels, with the handbook's formats (Identifiers section) and what counts as personal data.
ORDER_NUMBER = "ORDER_NUMBER"  # LM + 12 digits
REPAIR_NUMBER = "REPAIR_NUMBER"  # RMA + 8 digits
SERIAL_NUMBER = "SERIAL_NUMBER"  # 2 capital letters + 10 digits
PHONE = "PHONE"  # mainland mobile numbers, with or without +86 and separators
ID_NUMBER = "ID_NUMBER"  # mainland resident identity card: 17 digits + digit or X
EMAIL = "EMAIL"

PERSONAL = frozenset({PHONE, ID_NUMBER, EMAIL})

_PATTERNS: list[dict[str, Any]] = [
    {"label": ORDER_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^(?i:LM)\d{12}$"}}]},
    {"label": REPAIR_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^(?i:RMA)\d{8}$"}}]},
    {"label": SERIAL_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^(RV|AP|WP|AC|SP|EB)\d{10}$"}}]},
    {"label": ID_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^\d{17}[\dXx]$"}}]},
    {"label": PHONE, "pattern": [{"TEXT": {"REGEX": r"^(\+?86-?)?1[3-9]\d{9}$"}}]},
    {"label": PHONE, "pattern": [{"TEXT": {"REGEX": r"^(\+?86-?)?1[3-9]\d-\d{4}-\d{4}$"}}]},
    {
        "label": PHONE,
        "pattern": [
            {"TEXT": {"REGEX": r"^(\+?86)?1[3-9]\d$"}},
            {"TEXT": {"REGEX": r"^\d{4}$"}},
            {"TEXT": {"REGEX": r"^\d{4}$"}},
        ],
    },
    {"label": EMAIL, "pattern": [{"LIKE_EMAIL": True}]},
]


@dataclass(frozen=True)
class Identifier:
    label: str
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _ruler_pipeline() -> SpacyLanguage:
    nlp = blank_pipeline()
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(_PATTERNS)  # type: ignore[attr-defined]
    return nlp


def find_identifiers(text: str) -> list[Identifier]:
    """Identifiers in order of appearance."""
    nlp = _ruler_pipeline()
    doc = nlp(identifier_doc(nlp, text))
    return [Identifier(ent.label_, ent.text, ent.start_char, ent.end_char) for ent in doc.ents]


def mask_personal_data(text: str) -> str:
    """Phone numbers, ID numbers and e-mail addresses masked, keeping a hint of their shape."""
    pieces: list[str] = []
    cursor = 0
    for found in find_identifiers(text):
        if found.label not in PERSONAL:
            continue
        pieces.append(text[cursor : found.start])
        pieces.append(_mask(found))
        cursor = found.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _mask(found: Identifier) -> str:
    value = found.text
    if found.label == EMAIL:
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    digits_kept = 3 if found.label == PHONE else 4
    return value[:digits_kept] + "*" * max(len(value) - digits_kept - 2, 0) + value[-2:]
