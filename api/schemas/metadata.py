"""The metadata a customer's client may send with a conversation or a message, as a field type: the
bounds of `desk.message_text` (size, depth, keys, finite numbers), refused with 422."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, JsonValue

from desk.message_text import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_METADATA_KEYS, metadata_problem

METADATA_LIMITS = (
    f"A JSON object of at most {MAX_METADATA_BYTES} bytes (compact JSON), {MAX_METADATA_KEYS} keys "
    f"and {MAX_METADATA_DEPTH} levels of nesting."
)


def _bounded(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    problem = metadata_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# Use as `metadata: CustomerMetadata = Field(default_factory=dict, description=...)`.
CustomerMetadata = Annotated[dict[str, JsonValue], AfterValidator(_bounded)]
