"""Knowledge-base API for leads: entries and their versions, search and preview, publish, export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import LeadDep
from api.deps import PublisherDep, RuntimeDep, ServicesDep
from api.row_ids import RowId
from api.schemas.errors import ErrorOut
from api.schemas.knowledge import (
    MAX_QUESTION,
    EntryCreate,
    EntryOut,
    EntryUpdate,
    PreviewIn,
    PreviewOut,
    PublicationOut,
    RevisionOut,
    RollbackIn,
    SearchOut,
    VersionIn,
)
from api.staff_route import StaffRoute
from engine.knowledge_preview import answer
from knowledge.language import Language

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"], route_class=StaffRoute)

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Needs the lead or admin role."},
    404: {"model": ErrorOut, "description": "No such entry, version or publication."},
    409: {"model": ErrorOut, "description": "The entry moved on since your version, or a publication is building."},
    422: {"model": ErrorOut, "description": "The request is not valid."},
}

# Entries -------------------------------------------------------------------------------------------


@router.get("/entries", response_model=list[EntryOut], responses=REFUSALS)
async def list_entries(
    caller: LeadDep,
    services: ServicesDep,
    text: Annotated[str, Query(max_length=200, description="Filter on id, category, phrasings, answers.")] = "",
    status: Literal["", "enabled", "disabled", "draft"] = "",
) -> list[EntryOut]:
    """Every entry as last saved, in knowledge-base order."""
    views = await run_in_threadpool(services.knowledge.entries, text, status)
    return [EntryOut.of(v) for v in views]


@router.post("/entries", response_model=EntryOut, status_code=201, responses=REFUSALS)
async def create_entry(body: EntryCreate, caller: LeadDep, services: ServicesDep) -> EntryOut:
    """A new entry (a draft until published). A taken id is a 409."""
    view = await run_in_threadpool(services.knowledge.create, body.to_new_entry(), caller.staff.actor)
    return EntryOut.of(view)


@router.get("/entries/{entry_id}", response_model=EntryOut, responses=REFUSALS)
async def get_entry(entry_id: str, caller: LeadDep, services: ServicesDep) -> EntryOut:
    return EntryOut.of(await run_in_threadpool(services.knowledge.get, entry_id))


@router.put("/entries/{entry_id}", response_model=EntryOut, responses=REFUSALS)
async def update_entry(entry_id: str, body: EntryUpdate, caller: LeadDep, services: ServicesDep) -> EntryOut:
    """Replace the entry's content: a new version, a draft until published. `base_version` is the
    version the edit started from; if someone saved meanwhile, 409 and nothing is overwritten."""
    entry = body.to_entry(entry_id)
    view = await run_in_threadpool(services.knowledge.update, entry_id, entry, body.base_version, caller.staff.actor)
    return EntryOut.of(view)


@router.post("/entries/{entry_id}/disable", response_model=EntryOut, responses=REFUSALS)
async def disable_entry(
    entry_id: str, caller: LeadDep, services: ServicesDep, body: VersionIn | None = None
) -> EntryOut:
    """Take the entry out of the answers (after the next publication); its history stays."""
    base = body.base_version if body else None
    return EntryOut.of(await run_in_threadpool(services.knowledge.disable, entry_id, caller.staff.actor, base))


@router.post("/entries/{entry_id}/enable", response_model=EntryOut, responses=REFUSALS)
async def enable_entry(
    entry_id: str, caller: LeadDep, services: ServicesDep, body: VersionIn | None = None
) -> EntryOut:
    base = body.base_version if body else None
    return EntryOut.of(await run_in_threadpool(services.knowledge.enable, entry_id, caller.staff.actor, base))


@router.get("/entries/{entry_id}/versions", response_model=list[RevisionOut], responses=REFUSALS)
async def entry_versions(entry_id: str, caller: LeadDep, services: ServicesDep) -> list[RevisionOut]:
    """Every saved version, newest first, with author and time."""
    return [RevisionOut.of(r) for r in await run_in_threadpool(services.knowledge.revisions, entry_id)]


@router.post("/entries/{entry_id}/rollback", response_model=EntryOut, responses=REFUSALS)
async def rollback_entry(entry_id: str, body: RollbackIn, caller: LeadDep, services: ServicesDep) -> EntryOut:
    """A new version with the content of an earlier one (a draft until published)."""
    view = await run_in_threadpool(
        services.knowledge.rollback, entry_id, body.version, caller.staff.actor, body.base_version
    )
    return EntryOut.of(view)


# Search and preview -----------------------------------------------------------------------------------


@router.get("/search", response_model=SearchOut, responses=REFUSALS)
async def search(
    caller: LeadDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION)],
    language: Language | None = None,
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SearchOut:
    """The live retriever's ranking with scores, its decision and the reply the bot would give."""
    found = await run_in_threadpool(answer, runtime.retriever, q, language, k)
    return SearchOut.of(found, limit=k)


@router.post("/preview", response_model=PreviewOut, responses=REFUSALS)
async def preview_answer(body: PreviewIn, caller: LeadDep, publisher: PublisherDep) -> PreviewOut:
    """What the bot answers now and, when there are drafts, what it would answer after publishing
    them (the first preview after a change builds a draft index, which can take a while)."""
    found = await run_in_threadpool(publisher.preview, body.question, body.language)
    return PreviewOut.of(found)


# Publish and export --------------------------------------------------------------------------------


@router.post("/publish", response_model=PublicationOut, status_code=202, responses=REFUSALS)
async def publish(caller: LeadDep, publisher: PublisherDep) -> PublicationOut:
    """Rebuild the index from the current entries and swap it in live; returns the publication,
    `building` until it is `live` (or `failed`, the old index still answering). 409 while one builds."""
    return PublicationOut.of(await publisher.publish(caller.staff.actor))


@router.get("/publications", response_model=list[PublicationOut], responses=REFUSALS)
async def publications(
    caller: LeadDep, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[PublicationOut]:
    """Newest first."""
    return [PublicationOut.of(p) for p in await run_in_threadpool(services.knowledge.publications, limit)]


@router.get("/publications/{publication_id}", response_model=PublicationOut, responses=REFUSALS)
async def publication(publication_id: RowId, caller: LeadDep, services: ServicesDep) -> PublicationOut:
    return PublicationOut.of(await run_in_threadpool(services.knowledge.publication, publication_id))


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
