"""The knowledge-base API's bodies (also the console editor's forms): an entry's fields, versions
and rollbacks, the preview question in; entries, versions, publications, search and preview out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from api.row_ids import RowId
from api.schemas.strict import Strict
from desk.knowledge_base import EntryView, InvalidEntry, PublicationView, RevisionView, entry_from
from desk.replies import Answered, FaqReply
from engine.knowledge_preview import Preview
from knowledge.entries import FaqEntry
from knowledge.language import LANGUAGES, Language

MAX_QUESTION = 500
MAX_ANSWER = 4000
MAX_PHRASINGS = 50
ENTRY_ID = r"^[a-z0-9][a-z0-9_-]{1,80}$"
# `/console/knowledge/new` is the console's create form: no entry may take that address.
RESERVED_IDS = frozenset({"new"})
# C0 controls (but tab, newline, carriage return), DEL and C1 controls never belong in an FAQ.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Phrasing = Annotated[str, Field(max_length=MAX_QUESTION)]
PhrasingList = Annotated[list[Phrasing], Field(max_length=MAX_PHRASINGS)]


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


class QuestionsIn(Strict):
    zh: PhrasingList = Field(default_factory=list, description="Chinese phrasings of the question.")
    en: PhrasingList = Field(default_factory=list, description="English phrasings of the question.")

    @field_validator("zh", "en")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return [_no_controls(q) for q in value]


class AnswerIn(Strict):
    zh: str = Field(default="", max_length=MAX_ANSWER)
    en: str = Field(default="", max_length=MAX_ANSWER)

    @field_validator("zh", "en")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _no_controls(value)


class EntryFields(Strict):
    category: str = Field(min_length=1, max_length=80)
    section: str = Field(default="", max_length=80, description="The policy section, e.g. P6.")
    questions: QuestionsIn
    answer: AnswerIn
    enabled: bool = True

    @field_validator("category", "section")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _no_controls(value).strip()

    def to_entry(self, entry_id: str) -> FaqEntry:
        """The `FaqEntry`, with languages that have no phrasing or no answer left out."""
        questions = {lang: qs for lang in LANGUAGES if (qs := [q for q in getattr(self.questions, lang) if q.strip()])}
        answer = {lang: text for lang in LANGUAGES if (text := getattr(self.answer, lang)).strip()}
        return entry_from(
            {
                "id": entry_id,
                "category": self.category,
                "section": self.section,
                "questions": questions,
                "answer": answer,
                "enabled": self.enabled,
            }
        )


class EntryCreate(EntryFields):
    id: str = Field(pattern=ENTRY_ID, description="Lower-case letters, digits, '-' and '_'; cannot change later.")

    def to_new_entry(self) -> FaqEntry:
        if self.id in RESERVED_IDS:
            raise InvalidEntry(f"the id {self.id!r} is reserved; choose another")
        return self.to_entry(self.id)


class EntryUpdate(EntryFields):
    # A replacement states everything, so an edit never re-enables a disabled entry by omission.
    enabled: bool
    base_version: RowId = Field(description="The version this edit started from (409 if it moved on).")


class VersionIn(Strict):
    base_version: RowId | None = None


class RollbackIn(Strict):
    version: RowId = Field(description="The version whose content becomes the newest version.")
    base_version: RowId | None = None


class PreviewIn(Strict):
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    language: Language | None = None

    @field_validator("question")
    @classmethod
    def _clean(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return _no_controls(value)


class EntryOut(BaseModel):
    id: str
    category: str
    section: str
    questions: dict[str, list[str]]
    answer: dict[str, str]
    enabled: bool
    version: int
    published_version: int | None
    draft: bool = Field(description="Changed since the last publication (or never published).")
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, view: EntryView) -> EntryOut:
        entry = view.entry
        return cls(
            id=entry.id,
            category=entry.category,
            section=entry.section,
            questions={k: list(v) for k, v in entry.questions.items()},
            answer={k: v for k, v in entry.answer.items()},
            enabled=entry.enabled,
            version=view.version,
            published_version=view.published_version,
            draft=view.draft,
            updated_at=view.updated_at,
            updated_by=view.updated_by,
        )


class RevisionOut(BaseModel):
    version: int
    change: str
    author: str
    created_at: datetime
    current: bool
    published: bool
    content: dict[str, Any]

    @classmethod
    def of(cls, revision: RevisionView) -> RevisionOut:
        return cls(
            version=revision.version,
            change=revision.change,
            author=revision.author,
            created_at=revision.created_at,
            current=revision.current,
            published=revision.published,
            content=revision.entry.model_dump(mode="json"),
        )


class PublicationOut(BaseModel):
    id: int
    author: str
    created_at: datetime
    finished_at: datetime | None
    status: str = Field(description="building, live or failed")
    versions: dict[str, int]
    checksum: str | None
    error: str | None

    @classmethod
    def of(cls, publication: PublicationView) -> PublicationOut:
        return cls.model_validate(publication, from_attributes=True)


class HitOut(BaseModel):
    id: str
    category: str
    title: str
    score: float
    signals: dict[str, float]
    answer: str


class OptionOut(BaseModel):
    id: str
    title: str


class FaqReplyOut(BaseModel):
    outcome: str = Field(description="answered, clarified (did you mean …), fallback (rephrase) or handoff")
    text: str
    faq_id: str | None
    options: list[OptionOut]
    reason: str | None

    @classmethod
    def of(cls, reply: FaqReply) -> FaqReplyOut:
        return cls(
            outcome=reply.outcome,
            text=reply.text,
            faq_id=reply.faq_id,
            options=[OptionOut(id=o.faq_id, title=o.title) for o in reply.options],
            reason=reply.handoff_reason,
        )


class SearchOut(BaseModel):
    query: str
    language: str
    decision: str = Field(description="answer, clarify or abstain")
    confidence: float
    margin: float
    reply: FaqReplyOut
    hits: list[HitOut]

    @classmethod
    def of(cls, found: Answered, limit: int | None = None) -> SearchOut:
        result = found.result
        return cls(
            query=result.query,
            language=result.language,
            decision=result.decision,
            confidence=result.confidence,
            margin=result.margin,
            reply=FaqReplyOut.of(found.reply),
            hits=[
                HitOut(
                    id=h.entry.id,
                    category=h.entry.category,
                    title=h.entry.title_in(result.language),
                    score=h.score,
                    signals=h.signals,
                    answer=h.entry.answer_in(result.language),
                )
                for h in result.hits[:limit]
            ],
        )


class PreviewOut(BaseModel):
    question: str
    language: str
    now: SearchOut = Field(description="What the bot answers now, from the live index.")
    after_publish: SearchOut | None = Field(description="What it would answer once the drafts are published.")
    drafts: list[str] = Field(description="The entries changed since the last publication.")
    note: str | None

    @classmethod
    def of(cls, found: Preview) -> PreviewOut:
        return cls(
            question=found.question,
            language=found.language,
            now=SearchOut.of(found.now),
            after_publish=SearchOut.of(found.after_publish) if found.after_publish else None,
            drafts=found.drafts,
            note=found.note,
        )
