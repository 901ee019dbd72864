"""Labelling the analytics page's unanswered questions (leads): each group, or one of its examples,
gets the FAQ entry that answers it (one of the retriever's top candidates in one click, or any
entry by id) or is marked out of scope. The labels become training data (`python -m desk export-labels`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.analytics_filters import CHANNEL
from api.console.templating import LeadPage, render, see_other
from api.deps import RuntimeDep
from api.row_ids import row_id_of
from api.staff_route import StaffRoute
from desk.analytics import UnansweredGroup
from desk.question_labels import MAX_MESSAGES, LabelError, LabelNotFound, LabelView
from desk.services import DeskServices
from knowledge.index import IndexUnavailable
from knowledge.language import LANGUAGES, Language
from knowledge.retriever import Retriever

router = APIRouter(prefix="/console", include_in_schema=False, route_class=StaffRoute)

# The retriever's best entries offered as one-click labels.
CANDIDATES = 3
OUT_OF_SCOPE = "out_of_scope"
# The analytics filters a label form carries, to come back to the same page.
FILTER_FIELDS = ("from", "to", "channel", "language")


@dataclass(frozen=True)
class EntryChoice:
    id: str
    title: str


@dataclass(frozen=True)
class ExampleLabel:
    text: str
    message_id: int
    label: LabelView | None


@dataclass(frozen=True)
class GroupLabels:
    """One unanswered group as the labelling controls show it."""

    message_ids: list[int]
    examples: list[ExampleLabel]
    candidates: list[EntryChoice]

    @property
    def labelled(self) -> int:
        return sum(1 for e in self.examples if e.label is not None)

    @property
    def common(self) -> LabelView | None:
        """The label every example shares, if they all have the same one."""
        labels = [e.label for e in self.examples]
        done = [label for label in labels if label is not None]
        if not done or len(done) < len(labels) or len({label.expected for label in done}) > 1:
            return None
        return done[0]


def _language(languages: Sequence[str]) -> Language | None:
    return next((lang for lang in LANGUAGES if [lang] == list(languages)), None)


def labelling_context(
    services: DeskServices, retriever: Retriever, groups: Sequence[UnansweredGroup]
) -> dict[str, object]:
    """The entries to choose from, and per group its examples' labels and the retriever's candidates."""
    entries = [v for v in services.knowledge.entries() if v.entry.enabled]
    titles = {v.id: v.entry for v in entries}
    labels = services.labels.of_texts(e for g in groups for e in g.examples)
    views = []
    for group in groups:
        language = _language(group.languages)
        try:
            hits = retriever.search(group.representative, language, k=CANDIDATES).hits
        except (IndexUnavailable, OSError, ValueError):  # no index to ask: the lead can still type an entry id
            hits = []
        candidates = [
            EntryChoice(h.entry.id, titles[h.entry.id].title_in(language or "zh")) for h in hits if h.entry.id in titles
        ]
        examples = [ExampleLabel(t, m, labels.get(t)) for t, m in zip(group.examples, group.message_ids, strict=True)]
        views.append(GroupLabels(group.message_ids, examples, candidates))
    choices = [EntryChoice(v.id, v.entry.title_in("zh") + " / " + v.entry.title_in("en")) for v in entries]
    return {"labelling": views, "entry_choices": choices}


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def verdict_of(form: FormData) -> tuple[bool, str | None]:
    """(chosen, entry): a candidate pressed, "out of scope" pressed, or an entry id typed; `chosen`
    is False when the form names none."""
    pick = _field(form, "pick").strip()
    if pick:
        return True, pick
    verdict = _field(form, "verdict")
    if verdict == OUT_OF_SCOPE:
        return True, None
    entry = _field(form, "entry").strip()
    return (True, entry) if entry else (False, None)


def back_to(form: FormData) -> str:
    """The analytics page with the filters the form came from (only those, re-encoded)."""
    query = {name: _field(form, name)[:32] for name in FILTER_FIELDS if _field(form, name)}
    if "channel" in query and not re.fullmatch(CHANNEL, query["channel"]):
        del query["channel"]
    return "/console/analytics" + (f"?{urlencode(query)}" if query else "") + "#unanswered"


@router.post("/analytics/labels")
async def label_questions(request: Request, caller: LeadPage, runtime: RuntimeDep) -> Response:
    form = await request.form()
    raw = [v for v in form.getlist("message_id") if isinstance(v, str)]
    ids = [row_id_of(v) for v in raw[: MAX_MESSAGES + 1]]
    chosen, expected = verdict_of(form)
    if not ids or None in ids:
        return render(request, "refused.html", caller, status_code=422, message="choose the questions to label")
    if not chosen:
        return render(
            request, "refused.html", caller, status_code=422, message="choose an FAQ entry or mark it out of scope"
        )
    message_ids = [i for i in ids if i is not None]
    try:
        await run_in_threadpool(runtime.services.labels.label_messages, message_ids, expected, caller.staff.actor)
    except LabelError as error:
        status = 404 if isinstance(error, LabelNotFound) else 422
        return render(request, "refused.html", caller, status_code=status, message=str(error))
    return see_other(back_to(form))
