"""Console pages of the knowledge-base editor (leads): list and search, edit with history and
preview, create (also from analytics' "create FAQ from this"), publish; per entry, the labelled
questions it answered wrongly (desk/question_labels.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.console.templating import LeadPage, render, see_other
from api.deps import PublisherDep, RuntimeDep, ServicesDep
from api.row_ids import row_id_of
from api.schemas.knowledge import MAX_PHRASINGS, MAX_QUESTION, EntryCreate, EntryUpdate
from api.staff_route import StaffRoute
from desk.knowledge_base import EntryExists, EntryView, KnowledgeError, KnowledgeNotFound, VersionConflict
from engine.knowledge_preview import answer
from engine.knowledge_publisher import PublishInProgress
from knowledge.entries import FaqEntry
from knowledge.language import LANGUAGES, Language, detect_language

router = APIRouter(prefix="/console", include_in_schema=False, route_class=StaffRoute)

NOTICES = {
    "created": "Entry created. It is a draft: publish to make the bot use it.",
    "saved": "Saved as a draft. Publish to make the bot use it.",
    "disabled": "Disabled (a draft until published).",
    "enabled": "Enabled (a draft until published).",
    "rolled_back": "Rolled back: the old content is now the newest version (a draft until published).",
    "unchanged": "Nothing changed.",
    "publishing": "Publishing: the index is being rebuilt; conversations continue on the current one.",
}
STATUS_FILTERS = ("", "enabled", "disabled", "draft")


def _language(value: str) -> Language | None:
    return next((lang for lang in LANGUAGES if lang == value), None)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _problems(error: ValidationError) -> str:
    parts = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(p) for p in problem.get("loc", ()))
        parts.append(f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid")))
    return "; ".join(parts)


def form_of(entry: FaqEntry | None, version: int | None = None) -> dict[str, Any]:
    """What the edit form shows: textareas hold one phrasing per line."""
    if entry is None:
        return {"id": "", "category": "", "section": "", "enabled": True, "base_version": version}
    return {
        "id": entry.id,
        "category": entry.category,
        "section": entry.section,
        "questions_zh": "\n".join(entry.questions.get("zh", [])),
        "questions_en": "\n".join(entry.questions.get("en", [])),
        "answer_zh": entry.answer.get("zh", ""),
        "answer_en": entry.answer.get("en", ""),
        "enabled": entry.enabled,
        "base_version": version,
    }


def submitted(form: FormData) -> dict[str, Any]:
    """The form as typed, to show it again when it is refused (a lead never loses their text)."""
    keys = ("id", "category", "section", "questions_zh", "questions_en", "answer_zh", "answer_en")
    values: dict[str, Any] = {key: _field(form, key) for key in keys}
    values["enabled"] = _field(form, "enabled") == "on"
    values["base_version"] = row_id_of(_field(form, "base_version"))
    return values


def entry_body(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": values["category"].strip(),
        "section": values["section"].strip(),
        "questions": {"zh": _lines(values["questions_zh"]), "en": _lines(values["questions_en"])},
        "answer": {"zh": values["answer_zh"].strip(), "en": values["answer_en"].strip()},
        "enabled": values["enabled"],
    }


# List, search, publish ------------------------------------------------------------------------------


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge_page(
    request: Request,
    caller: LeadPage,
    runtime: RuntimeDep,
    services: ServicesDep,
    publisher: PublisherDep,
    q: Annotated[str, Query(max_length=MAX_QUESTION)] = "",
    lang: str = "",
    text: Annotated[str, Query(alias="filter", max_length=200)] = "",
    status: str = "",
    done: str = "",
) -> Response:
    status = status if status in STATUS_FILTERS else ""
    entries = await run_in_threadpool(services.knowledge.entries, text, status)
    drafts = len(await run_in_threadpool(services.knowledge.drafts))
    publications = await run_in_threadpool(services.knowledge.publications, 5)
    wrong_answers = await run_in_threadpool(services.labels.wrong_answers)
    found = await run_in_threadpool(answer, runtime.retriever, q, _language(lang), 10) if q.strip() else None
    return render(
        request,
        "knowledge.html",
        caller,
        entries=entries,
        wrong_answers=wrong_answers,
        drafts=drafts,
        publications=publications,
        building=publisher.building,
        found=found,
        search={"q": q, "lang": lang, "filter": text, "status": status},
        notice=NOTICES.get(done),
    )


@router.post("/knowledge/publish")
async def publish(request: Request, caller: LeadPage, publisher: PublisherDep) -> Response:
    try:
        await publisher.publish(caller.staff.actor)
    except PublishInProgress as error:
        return render(request, "refused.html", caller, status_code=409, message=str(error))
    return see_other("/console/knowledge?done=publishing")


# Create ------------------------------------------------------------------------------------------------


@router.get("/knowledge/new", response_class=HTMLResponse)
async def new_entry_page(
    request: Request, caller: LeadPage, q: Annotated[list[str] | None, Query()] = None
) -> Response:
    """The create form; `?q=…&q=…` pre-fills the phrasings (analytics' "create FAQ from this")."""
    form = form_of(None)
    by_language: dict[Language, list[str]] = {lang: [] for lang in LANGUAGES}
    for question in (q or [])[: 2 * MAX_PHRASINGS]:
        text = " ".join(question.split())[:MAX_QUESTION]
        if text and len(by_language[detect_language(text)]) < MAX_PHRASINGS:
            by_language[detect_language(text)].append(text)
    form.update(questions_zh="\n".join(by_language["zh"]), questions_en="\n".join(by_language["en"]))
    return render(request, "knowledge_edit.html", caller, form=form, is_new=True)


@router.post("/knowledge/new")
async def create_entry(request: Request, caller: LeadPage, services: ServicesDep) -> Response:
    values = submitted(await request.form())
    try:
        body = EntryCreate.model_validate({"id": values["id"].strip(), **entry_body(values)})
        view = await run_in_threadpool(services.knowledge.create, body.to_new_entry(), caller.staff.actor)
    except ValidationError as error:
        return render(request, "knowledge_edit.html", caller, 422, form=values, is_new=True, error=_problems(error))
    except KnowledgeError as error:
        status = 409 if isinstance(error, EntryExists) else 422
        return render(request, "knowledge_edit.html", caller, status, form=values, is_new=True, error=str(error))
    return see_other(f"/console/knowledge/{view.id}?done=created")


# Edit, history, preview --------------------------------------------------------------------------------


async def edit_context(
    runtime: RuntimeDep, publisher: PublisherDep, entry_id: str, ask: str, lang: str
) -> dict[str, Any]:
    knowledge = runtime.services.knowledge
    view: EntryView = await run_in_threadpool(knowledge.get, entry_id)
    revisions = await run_in_threadpool(knowledge.revisions, entry_id)
    wrong_answers = await run_in_threadpool(runtime.services.labels.wrong_answers_of, entry_id)
    found = None
    if ask.strip():
        found = await run_in_threadpool(publisher.preview, ask, _language(lang))
    return {
        "view": view,
        "revisions": revisions,
        "wrong_answers": wrong_answers,
        "preview": found,
        "ask": {"question": ask, "lang": lang},
    }


@router.get("/knowledge/{entry_id}", response_class=HTMLResponse)
async def edit_page(
    request: Request,
    entry_id: str,
    caller: LeadPage,
    runtime: RuntimeDep,
    publisher: PublisherDep,
    ask: Annotated[str, Query(max_length=MAX_QUESTION)] = "",
    lang: str = "",
    done: str = "",
) -> Response:
    try:
        context = await edit_context(runtime, publisher, entry_id, ask, lang)
    except KnowledgeNotFound as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    view: EntryView = context["view"]
    return render(
        request,
        "knowledge_edit.html",
        caller,
        form=form_of(view.entry, view.version),
        is_new=False,
        notice=NOTICES.get(done),
        **context,
    )


async def _refused_edit(
    request: Request,
    caller: LeadPage,
    runtime: RuntimeDep,
    publisher: PublisherDep,
    entry_id: str,
    values: dict[str, Any],
    status: int,
    message: str,
) -> Response:
    """The edit page again, with what the lead typed and why it was refused."""
    try:
        context = await edit_context(runtime, publisher, entry_id, "", "")
    except KnowledgeNotFound as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    values["id"] = entry_id
    return render(request, "knowledge_edit.html", caller, status, form=values, is_new=False, error=message, **context)


@router.post("/knowledge/{entry_id}/save")
async def save_entry(
    request: Request, entry_id: str, caller: LeadPage, runtime: RuntimeDep, publisher: PublisherDep
) -> Response:
    values = submitted(await request.form())
    knowledge = runtime.services.knowledge
    try:
        body = EntryUpdate.model_validate({**entry_body(values), "base_version": values["base_version"] or 0})
        before = await run_in_threadpool(knowledge.get, entry_id)
        view = await run_in_threadpool(
            knowledge.update, entry_id, body.to_entry(entry_id), body.base_version, caller.staff.actor
        )
    except ValidationError as error:
        return await _refused_edit(request, caller, runtime, publisher, entry_id, values, 422, _problems(error))
    except KnowledgeNotFound as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    except KnowledgeError as error:
        status = 409 if isinstance(error, VersionConflict) else 422
        return await _refused_edit(request, caller, runtime, publisher, entry_id, values, status, str(error))
    done = "saved" if view.version != before.version else "unchanged"
    return see_other(f"/console/knowledge/{entry_id}?done={done}")


async def _act(request: Request, caller: LeadPage, entry_id: str, done: str, action: Any) -> Response:
    try:
        await run_in_threadpool(action)
    except KnowledgeNotFound as error:
        return render(request, "refused.html", caller, status_code=404, message=str(error))
    except KnowledgeError as error:
        return render(request, "refused.html", caller, status_code=409, message=str(error))
    return see_other(f"/console/knowledge/{entry_id}?done={done}")


def _version(form: FormData, name: str) -> int | None:
    return row_id_of(_field(form, name))


@router.post("/knowledge/{entry_id}/disable")
async def disable_entry(request: Request, entry_id: str, caller: LeadPage, services: ServicesDep) -> Response:
    base = _version(await request.form(), "base_version")
    return await _act(
        request, caller, entry_id, "disabled", lambda: services.knowledge.disable(entry_id, caller.staff.actor, base)
    )


@router.post("/knowledge/{entry_id}/enable")
async def enable_entry(request: Request, entry_id: str, caller: LeadPage, services: ServicesDep) -> Response:
    base = _version(await request.form(), "base_version")
    return await _act(
        request, caller, entry_id, "enabled", lambda: services.knowledge.enable(entry_id, caller.staff.actor, base)
    )


@router.post("/knowledge/{entry_id}/rollback")
async def rollback_entry(request: Request, entry_id: str, caller: LeadPage, services: ServicesDep) -> Response:
    form = await request.form()
    version = _version(form, "version")
    base = _version(form, "base_version")
    if version is None:
        return render(request, "refused.html", caller, status_code=422, message="choose a version to roll back to")
    return await _act(
        request,
        caller,
        entry_id,
        "rolled_back",
        lambda: services.knowledge.rollback(entry_id, version, caller.staff.actor, base),
    )
