"""What every area shares: the error body and the base of strict request bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, JsonValue


class Strict(BaseModel):
    """A request body: unknown fields and type coercion are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBodyOut(BaseModel):
    code: str
    message: str
    details: list[JsonValue] | None = None


# Every error response: `{"error": {"code", "message", "details"}}` (see `api.errors`).
class ErrorOut(BaseModel):
    error: ErrorBodyOut
