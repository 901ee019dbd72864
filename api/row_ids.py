"""The integer ids the HTTP API and the console take (of escalations, messages, users, tokens,
publications, and entry versions): bounded to what the database can hold, so that a number too
large for it is refused as invalid (422) rather than failing the query (500)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# PostgreSQL's INTEGER, the type of every id column (desk.models); SQLite's is wider.
MAX_ROW_ID = 2**31 - 1

# A path or query parameter, or a body field: `escalation_id: RowId`, `to_user_id: RowId | None`.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def row_id_of(text: str) -> int | None:
    """A form field's id, or None when it is not one (digits only, ASCII, within `RowId`'s bounds)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None
