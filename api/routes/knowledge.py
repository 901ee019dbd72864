"""Knowledge-base API for leads: entries and their versions, search and preview, publish, export."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.auth import LeadDep
from api.deps import Runtime, RuntimeDep, ServicesDep
from api.schemas import ErrorOut
from desk.knowledge_base import EntryView, InvalidEntry, PublicationView, RevisionView, entry_from
from desk.replies import Answered, FaqReply
from engine.knowledge_preview import Preview, answer, preview
from engine.knowledge_publisher import KnowledgePublisher
from knowledge.entries import FaqEntry
from knowledge.language import LANGUAGES, Language

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Needs the lead or admin role."},
    404: {"model": ErrorOut, "description": "No such entry, version or publication."},
    409: {"model": ErrorOut, "description": "The entry moved on since your version, or a publication is building."},
    422: {"model": ErrorOut, "description": "The request is not valid."},
}

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


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
    base_version: int = Field(ge=1, description="The version this edit started from (409 if it moved on).")


class VersionIn(Strict):
    base_version: int | None = Field(default=None, ge=1)


class RollbackIn(Strict):
    version: int = Field(ge=1, description="The version whose content becomes the newest version.")
    base_version: int | None = Field(default=None, ge=1)


class PreviewIn(Strict):
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    language: Language | None = None

    @field_validator("question")
    @classmethod
    def _clean(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return _no_controls(value)


class EntryPublic(BaseModel):
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
    def of(cls, view: EntryView) -> EntryPublic:
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


class RevisionPublic(BaseModel):
    version: int
    change: str
    author: str
    created_at: datetime
    current: bool
    published: bool
    content: dict[str, Any]

    @classmethod
    def of(cls, revision: RevisionView) -> RevisionPublic:
        return cls(
            version=revision.version,
            change=revision.change,
            author=revision.author,
            created_at=revision.created_at,
            current=revision.current,
            published=revision.published,
            content=revision.entry.model_dump(mode="json"),
        )


class PublicationPublic(BaseModel):
    id: int
    author: str
    created_at: datetime
    finished_at: datetime | None
    status: str = Field(description="building, live or failed")
    versions: dict[str, int]
    checksum: str | None
    error: str | None

    @classmethod
    def of(cls, publication: PublicationView) -> PublicationPublic:
        return cls.model_validate(publication, from_attributes=True)


class HitPublic(BaseModel):
    id: str
    category: str
    title: str
    score: float
    signals: dict[str, float]
    answer: str


class OptionPublic(BaseModel):
    id: str
    title: str


class ReplyPublic(BaseModel):
    outcome: str = Field(description="answered, clarified (did you mean …), fallback (rephrase) or handoff")
    text: str
    faq_id: str | None
    options: list[OptionPublic]
    reason: str | None

    @classmethod
    def of(cls, reply: FaqReply) -> ReplyPublic:
        return cls(
            outcome=reply.outcome,
            text=reply.text,
            faq_id=reply.faq_id,
            options=[OptionPublic(id=o.faq_id, title=o.title) for o in reply.options],
            reason=reply.handoff_reason,
        )


class SearchPublic(BaseModel):
    query: str
    language: str
    decision: str = Field(description="answer, clarify or abstain")
    confidence: float
    margin: float
    reply: ReplyPublic
    hits: list[HitPublic]

    @classmethod
    def of(cls, found: Answered, limit: int | None = None) -> SearchPublic:
        result = found.result
        return cls(
            query=result.query,
            language=result.language,
            decision=result.decision,
            confidence=result.confidence,
            margin=result.margin,
            reply=ReplyPublic.of(found.reply),
            hits=[
                HitPublic(
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


class PreviewPublic(BaseModel):
    question: str
    language: str
    now: SearchPublic = Field(description="What the bot answers now, from the live index.")
    after_publish: SearchPublic | None = Field(description="What it would answer once the drafts are published.")
    drafts: list[str] = Field(description="The entries changed since the last publication.")
    note: str | None

    @classmethod
    def of(cls, found: Preview) -> PreviewPublic:
        return cls(
            question=found.question,
            language=found.language,
            now=SearchPublic.of(found.now),
            after_publish=SearchPublic.of(found.after_publish) if found.after_publish else None,
            drafts=found.drafts,
            note=found.note,
        )


def get_publisher(request: Request) -> KnowledgePublisher:
    publisher: KnowledgePublisher = request.app.state.knowledge_publisher
    return publisher


PublisherDep = Annotated[KnowledgePublisher, Depends(get_publisher)]


def make_preview(runtime: Runtime, publisher: KnowledgePublisher, question: str, language: Language | None) -> Preview:
    """Blocking (a draft index may have to be built first): run it in a worker thread."""
    drafts = [v.id for v in runtime.services.knowledge.drafts()]
    note = None
    try:
        draft = publisher.draft_retriever()
    except ValueError as error:  # e.g. every entry disabled: nothing to build
        draft, note = None, f"the drafts cannot be indexed: {error}"
    return preview(runtime.retriever, draft, question, language, drafts, note)


# Entries -------------------------------------------------------------------------------------------


@router.get("/entries", response_model=list[EntryPublic], responses=REFUSALS)
async def list_entries(
    caller: LeadDep,
    services: ServicesDep,
    text: Annotated[str, Query(max_length=200, description="Filter on id, category, phrasings, answers.")] = "",
    status: Literal["", "enabled", "disabled", "draft"] = "",
) -> list[EntryPublic]:
    """Every entry as last saved, in knowledge-base order."""
    views = await run_in_threadpool(services.knowledge.entries, text, status)
    return [EntryPublic.of(v) for v in views]


@router.post("/entries", response_model=EntryPublic, status_code=201, responses=REFUSALS)
async def create_entry(body: EntryCreate, caller: LeadDep, services: ServicesDep) -> EntryPublic:
    """A new entry (a draft until published). A taken id is a 409."""
    view = await run_in_threadpool(services.knowledge.create, body.to_new_entry(), caller.staff.actor)
    return EntryPublic.of(view)


@router.get("/entries/{entry_id}", response_model=EntryPublic, responses=REFUSALS)
async def get_entry(entry_id: str, caller: LeadDep, services: ServicesDep) -> EntryPublic:
    return EntryPublic.of(await run_in_threadpool(services.knowledge.get, entry_id))


@router.put("/entries/{entry_id}", response_model=EntryPublic, responses=REFUSALS)
async def update_entry(entry_id: str, body: EntryUpdate, caller: LeadDep, services: ServicesDep) -> EntryPublic:
    """Replace the entry's content: a new version, a draft until published. `base_version` is the
    version the edit started from; if someone saved meanwhile, 409 and nothing is overwritten."""
    entry = body.to_entry(entry_id)
    view = await run_in_threadpool(services.knowledge.update, entry_id, entry, body.base_version, caller.staff.actor)
    return EntryPublic.of(view)


@router.post("/entries/{entry_id}/disable", response_model=EntryPublic, responses=REFUSALS)
async def disable_entry(
    entry_id: str, caller: LeadDep, services: ServicesDep, body: VersionIn | None = None
) -> EntryPublic:
    """Take the entry out of the answers (after the next publication); its history stays."""
    base = body.base_version if body else None
    return EntryPublic.of(await run_in_threadpool(services.knowledge.disable, entry_id, caller.staff.actor, base))


@router.post("/entries/{entry_id}/enable", response_model=EntryPublic, responses=REFUSALS)
async def enable_entry(
    entry_id: str, caller: LeadDep, services: ServicesDep, body: VersionIn | None = None
) -> EntryPublic:
    base = body.base_version if body else None
    return EntryPublic.of(await run_in_threadpool(services.knowledge.enable, entry_id, caller.staff.actor, base))


@router.get("/entries/{entry_id}/versions", response_model=list[RevisionPublic], responses=REFUSALS)
async def entry_versions(entry_id: str, caller: LeadDep, services: ServicesDep) -> list[RevisionPublic]:
    """Every saved version, newest first, with author and time."""
    return [RevisionPublic.of(r) for r in await run_in_threadpool(services.knowledge.revisions, entry_id)]


@router.post("/entries/{entry_id}/rollback", response_model=EntryPublic, responses=REFUSALS)
async def rollback_entry(entry_id: str, body: RollbackIn, caller: LeadDep, services: ServicesDep) -> EntryPublic:
    """A new version with the content of an earlier one (a draft until published)."""
    view = await run_in_threadpool(
        services.knowledge.rollback, entry_id, body.version, caller.staff.actor, body.base_version
    )
    return EntryPublic.of(view)


# Search and preview -----------------------------------------------------------------------------------


@router.get("/search", response_model=SearchPublic, responses=REFUSALS)
async def search(
    caller: LeadDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION)],
    language: Language | None = None,
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SearchPublic:
    """The live retriever's ranking with scores, its decision and the reply the bot would give."""
    found = await run_in_threadpool(answer, runtime.retriever, q, language, k)
    return SearchPublic.of(found, limit=k)


@router.post("/preview", response_model=PreviewPublic, responses=REFUSALS)
async def preview_answer(
    body: PreviewIn, caller: LeadDep, runtime: RuntimeDep, publisher: PublisherDep
) -> PreviewPublic:
    """What the bot answers now and, when there are drafts, what it would answer after publishing
    them (the first preview after a change builds a draft index, which can take a while)."""
    found = await run_in_threadpool(make_preview, runtime, publisher, body.question, body.language)
    return PreviewPublic.of(found)


# Publish and export --------------------------------------------------------------------------------


@router.post("/publish", response_model=PublicationPublic, status_code=202, responses=REFUSALS)
async def publish(caller: LeadDep, publisher: PublisherDep) -> PublicationPublic:
    """Rebuild the index from the current entries and swap it in live; returns the publication,
    `building` until it is `live` (or `failed`, the old index still answering). 409 while one builds."""
    return PublicationPublic.of(await publisher.publish(caller.staff.actor))


@router.get("/publications", response_model=list[PublicationPublic], responses=REFUSALS)
async def publications(
    caller: LeadDep, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[PublicationPublic]:
    """Newest first."""
    return [PublicationPublic.of(p) for p in await run_in_threadpool(services.knowledge.publications, limit)]


@router.get("/publications/{publication_id}", response_model=PublicationPublic, responses=REFUSALS)
async def publication(publication_id: int, caller: LeadDep, services: ServicesDep) -> PublicationPublic:
    return PublicationPublic.of(await run_in_threadpool(services.knowledge.publication, publication_id))


@router.get(
    "/export",
    response_class=Response,
    responses={**REFUSALS, 200: {"content": {"application/x-yaml": {}}, "description": "The YAML seed format."}},
)
async def export(caller: LeadDep, services: ServicesDep) -> Response:
    """The current entries (drafts and disabled ones included) in the seed files' YAML format."""
    text = await run_in_threadpool(services.knowledge.export)
    return Response(
        text.encode("utf-8"),
        media_type="application/x-yaml",
        headers={"Content-Disposition": 'attachment; filename="knowledge-base.yml"'},
    )
