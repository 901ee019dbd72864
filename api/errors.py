"""Errors mapped to HTTP status in one place, always as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from desk.casework import CaseworkError, Conflict, Forbidden, InvalidText, NotFound
from desk.customers import LinkError
from desk.knowledge_base import EntryExists, KnowledgeError, KnowledgeNotFound, VersionConflict
from desk.question_labels import LabelError, LabelNotFound
from desk.users import UserError
from engine.knowledge_publisher import PublishInProgress
from engine.turns import MessageInProgress, NotStored, ServiceUnavailable, UnknownPayload


def error_response(status: int, code: str, message: str, details: Any = None, **headers: str) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return JSONResponse({"error": body}, status_code=status, headers=headers or None)


async def _validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        {"location": list(e.get("loc", ())), "problem": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    if any(d["type"] == "json_invalid" for d in details):
        return error_response(400, "invalid_json", "The request body is not valid JSON.", details)
    return error_response(422, "invalid_request", "The request is not valid.", details)


async def _unknown_payload(_: Request, error: Exception) -> JSONResponse:
    return error_response(422, "unknown_payload", str(error))


async def _in_progress(_: Request, error: Exception) -> JSONResponse:
    return error_response(409, "message_in_progress", str(error), **{"Retry-After": "1"})


async def _unavailable(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceUnavailable)
    return error_response(503, "assistant_unavailable", str(error), **{"Retry-After": str(error.retry_after)})


# How soon to try again when the database could not be reached: about a failover's time.
DATABASE_RETRY_SECONDS = 5


async def _database_unavailable(_: Request, error: Exception) -> JSONResponse:
    """The database did not answer (down, failing over, locked past its timeout): nothing was kept,
    so the client sends again; a 503 says so, where a 500 would say the request was wrong."""
    return error_response(
        503,
        "database_unavailable",
        "The service cannot store anything right now; nothing was kept. Send it again shortly.",
        **{"Retry-After": str(DATABASE_RETRY_SECONDS)},
    )


async def _casework(_: Request, error: Exception) -> JSONResponse:
    """Refusals of the agent desk: the message says why, for the console to show as it is."""
    if isinstance(error, NotFound):
        return error_response(404, "not_found", str(error))
    if isinstance(error, Conflict):
        return error_response(409, "conflict", str(error))
    if isinstance(error, Forbidden):
        return error_response(403, "not_yours", str(error))
    if isinstance(error, InvalidText):
        return error_response(422, "invalid_request", str(error))
    return error_response(400, "refused", str(error))


async def _knowledge(_: Request, error: Exception) -> JSONResponse:
    """Refusals of the knowledge-base editor."""
    if isinstance(error, KnowledgeNotFound):
        return error_response(404, "not_found", str(error))
    if isinstance(error, VersionConflict):
        return error_response(409, "version_conflict", str(error), {"current_version": error.current_version})
    if isinstance(error, EntryExists):
        return error_response(409, "already_exists", str(error))
    return error_response(422, "invalid_request", str(error))


async def _labels(_: Request, error: Exception) -> JSONResponse:
    if isinstance(error, LabelNotFound):
        return error_response(404, "not_found", str(error))
    return error_response(422, "invalid_request", str(error))


async def _publishing(_: Request, error: Exception) -> JSONResponse:
    return error_response(409, "publish_in_progress", str(error), **{"Retry-After": "10"})


async def _invalid_value(_: Request, error: Exception) -> JSONResponse:
    return error_response(422, "invalid_request", str(error))


async def _http(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {
        401: "not_signed_in",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        429: "rate_limited",
    }.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail), **(error.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(UnknownPayload, _unknown_payload)
    app.add_exception_handler(ServiceUnavailable, _unavailable)
    app.add_exception_handler(MessageInProgress, _in_progress)
    app.add_exception_handler(NotStored, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(CaseworkError, _casework)
    app.add_exception_handler(UserError, _invalid_value)
    app.add_exception_handler(LinkError, _invalid_value)
    app.add_exception_handler(KnowledgeError, _knowledge)
    app.add_exception_handler(LabelError, _labels)
    app.add_exception_handler(PublishInProgress, _publishing)
    app.add_exception_handler(HTTPException, _http)
