"""Rasa's fixed responses (domain.yml) as a conversation in one language gets them, for tests of what
customers see without running Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"


def response(name: str, language: str) -> dict[str, Any]:
    """The variation of response `name` that Rasa picks when the `language` slot is `language`."""
    variations: list[dict[str, Any]] = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"][name]
    for variation in variations:
        if any(c.get("name") == "language" and c.get("value") == language for c in variation.get("condition") or []):
            return variation
    return next(v for v in variations if not v.get("condition"))
