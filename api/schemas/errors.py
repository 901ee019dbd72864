"""The error body every refusal carries: `{"error": {"code", "message", "details"}}` (see `api.errors`)."""

from __future__ import annotations

from pydantic import BaseModel, JsonValue


class ErrorBodyOut(BaseModel):
    code: str
    message: str
    details: list[JsonValue] | None = None


class ErrorOut(BaseModel):
    error: ErrorBodyOut
