"""Errors mapped to HTTP status in one place, always as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.router import MessageInProgress, ServiceUnavailable, UnknownPayload


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


async def _http(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(UnknownPayload, _unknown_payload)
    app.add_exception_handler(ServiceUnavailable, _unavailable)
    app.add_exception_handler(MessageInProgress, _in_progress)
    app.add_exception_handler(HTTPException, _http)
