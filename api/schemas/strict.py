"""The base of every request body: unknown fields and type coercion are refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A request body: unknown fields and type coercion are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)
