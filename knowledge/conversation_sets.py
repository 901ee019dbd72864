"""The labelled conversation sets (knowledge/eval/e2e_*.yml): what each customer message of a short
conversation should get. Played through the running system by `bench.e2e`; their first questions join
the retriever's calibration (`knowledge.evaluation`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str  # answer | case | lookup | handoff | decline | smalltalk
    entries: tuple[str, ...] = ()  # for answer: the entries that answer it (none: no entry does)
    flow: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: str
    language: str
    tags: tuple[str, ...]
    turns: tuple[Turn, ...]


def _turn(raw: dict[str, Any]) -> Turn:
    entry = raw.get("entry")
    entries = tuple(str(e) for e in entry) if isinstance(entry, list) else ((str(entry),) if entry else ())
    return Turn(str(raw["text"]), str(raw["expect"]), entries, raw.get("flow"), raw.get("priority"))


def conversations_of(document: dict[str, Any]) -> list[Conversation]:
    """The conversations of a loaded set (`conversations:`)."""
    return [
        Conversation(
            str(raw["id"]),
            str(raw["language"]),
            tuple(raw.get("tags") or ()),
            tuple(_turn(turn) for turn in raw["turns"]),
        )
        for raw in document["conversations"]
    ]


def load(path: Path) -> list[Conversation]:
    """A set's conversations: the e2e format (`conversations:`), or the retriever's dev format
    (`questions:` with `expected`: one question a conversation)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "conversations" in data:
        return conversations_of(data)
    conversations = []
    for number, question in enumerate(data["questions"], start=1):
        expected = question.get("expected")
        turn = (
            Turn(str(question["text"]), "answer", (str(expected),)) if expected else Turn(question["text"], "decline")
        )
        tags = ("out_of_scope",) if not expected else ("plain",)
        conversations.append(Conversation(f"{path.stem}-{number:03d}", str(question["language"]), tags, (turn,)))
    return conversations
