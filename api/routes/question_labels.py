"""Question labels for leads: a customer question's right FAQ entry, or out of scope. The console's
unanswered list labels with one click; `python -m desk export-labels` makes training data of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from api.auth import LeadDep
from api.deps import ServicesDep
from api.row_ids import RowId
from api.schemas.errors import ErrorOut
from api.schemas.question_labels import LabelIn, LabelOut
from api.staff_route import StaffRoute

router = APIRouter(prefix="/api/v1/question-labels", tags=["question labels"], route_class=StaffRoute)

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in and no API token."},
    403: {"model": ErrorOut, "description": "Needs the lead or admin role."},
    404: {"model": ErrorOut, "description": "No such label or customer message."},
    422: {"model": ErrorOut, "description": "Not valid: no text, an FAQ entry the knowledge base lacks, …"},
}


@router.get("", response_model=list[LabelOut], responses=REFUSALS)
async def list_labels(
    caller: LeadDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[LabelOut]:
    """The most recently labelled first."""
    views = await run_in_threadpool(services.labels.labels, limit, offset)
    return [LabelOut.of(v) for v in views]


@router.post("", response_model=list[LabelOut], responses=REFUSALS)
async def label(body: LabelIn, caller: LeadDep, services: ServicesDep) -> list[LabelOut]:
    """Label customer messages or a typed question; the same question labelled again is replaced."""
    labels = services.labels
    actor = caller.staff.actor
    if body.message_ids is not None:
        ids = body.message_ids
        views = await run_in_threadpool(labels.label_messages, ids, body.expected, actor)
    else:
        text = body.text or ""
        views = [await run_in_threadpool(labels.label_text, text, body.language, body.expected, actor)]
    return [LabelOut.of(v) for v in views]


@router.get("/{label_id}", response_model=LabelOut, responses=REFUSALS)
async def get_label(label_id: RowId, caller: LeadDep, services: ServicesDep) -> LabelOut:
    return LabelOut.of(await run_in_threadpool(services.labels.get, label_id))


@router.delete("/{label_id}", status_code=204, response_class=Response, responses=REFUSALS)
async def remove_label(label_id: RowId, caller: LeadDep, services: ServicesDep) -> Response:
    await run_in_threadpool(services.labels.remove, label_id, caller.staff.actor)
    return Response(status_code=204)
