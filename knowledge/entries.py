"""FAQ entries and the YAML seed files that hold them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.language import LANGUAGES, Language


class FaqEntry(BaseModel):
    """One question topic with its phrasings and its answer, in Chinese and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,80}$")
    category: str = Field(min_length=1)
    section: str = ""
    questions: dict[Language, list[str]]
    answer: dict[Language, str]
    enabled: bool = True

    @field_validator("questions")
    @classmethod
    def _has_questions(cls, value: dict[Language, list[str]]) -> dict[Language, list[str]]:
        cleaned = {lang: [q.strip() for q in qs if q and q.strip()] for lang, qs in value.items()}
        if not any(cleaned.values()):
            raise ValueError("an entry needs at least one question phrasing")
        return cleaned

    @field_validator("answer")
    @classmethod
    def _has_answer(cls, value: dict[Language, str]) -> dict[Language, str]:
        cleaned = {lang: text.strip() for lang, text in value.items() if text and text.strip()}
        if not cleaned:
            raise ValueError("an entry needs an answer in at least one language")
        return cleaned

    def phrasings(self) -> list[tuple[Language, str]]:
        return [(lang, q) for lang in LANGUAGES for q in self.questions.get(lang, [])]

    def answer_in(self, language: Language) -> str:
        """The answer in the customer's language, or the other one when it is missing."""
        if language in self.answer:
            return self.answer[language]
        return next(iter(self.answer.values()))

    def title_in(self, language: Language) -> str:
        """A short label for "did you mean" buttons: the entry's first phrasing in that language."""
        own = self.questions.get(language)
        if own:
            return own[0]
        return self.phrasings()[0][1]


class KnowledgeBaseError(ValueError):
    """A seed file or entry set that cannot be used."""


def load_entries(directory: Path) -> list[FaqEntry]:
    """Every entry of every `*.yml` file in `directory`, in file then entry order."""
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeBaseError(f"no FAQ files (*.yml) in {directory}")
    entries: list[FaqEntry] = []
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        raw_entries = document.get("entries")
        if not isinstance(raw_entries, list):
            raise KnowledgeBaseError(f"{path}: expected a top-level 'entries' list")
        for position, raw in enumerate(raw_entries):
            try:
                entries.append(FaqEntry.model_validate(raw))
            except ValueError as error:
                raise KnowledgeBaseError(f"{path}, entry {position + 1}: {error}") from error
    check_unique_ids(entries)
    return entries


def check_unique_ids(entries: Iterable[FaqEntry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise KnowledgeBaseError(f"duplicate FAQ id {entry.id!r}")
        seen.add(entry.id)


def entries_checksum(entries: Sequence[FaqEntry]) -> str:
    """A stable fingerprint of the entries' content, for the index manifest."""
    canonical = json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dump_entries(entries: Sequence[FaqEntry]) -> str:
    """The YAML seed format, for export."""
    payload = {"entries": [e.model_dump(mode="json") for e in entries]}
    return yaml.safe_dump(payload, allow_unicode=True, sort_keys=False, width=120)
