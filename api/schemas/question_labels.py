"""The question-label API's bodies: a verdict on customer messages or on a typed question, and labels out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from api.row_ids import RowId
from api.schemas.strict import Strict
from desk.message_text import MAX_TEXT_LENGTH
from desk.question_labels import MAX_MESSAGES, LabelView
from knowledge.language import Language

FAQ_ID = r"^[a-z0-9][a-z0-9_-]{0,95}$"


class LabelIn(Strict):
    """Either customer messages (`message_ids`, e.g. an unanswered group's) or a typed `text`."""

    message_ids: Annotated[list[RowId], Field(min_length=1, max_length=MAX_MESSAGES)] | None = Field(
        default=None, description="Customer messages to label with the same verdict (their text as stored)."
    )
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_LENGTH)
    language: Language | None = Field(default=None, description="Of `text`; detected when missing.")
    expected: str | None = Field(
        pattern=FAQ_ID, description="The FAQ entry that answers the question; null: out of scope."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.message_ids is None) == (self.text is None):
            raise ValueError("send either message_ids or text")
        if self.language is not None and self.text is None:
            raise ValueError("language goes with text")
        return self


class LabelOut(BaseModel):
    id: int
    text: str
    language: str
    conversation_id: str | None
    message_id: int | None
    expected: str | None = Field(description="The FAQ entry; null: out of scope.")
    bot_outcome: str | None = Field(description="What the bot did with the message: answered, clarified, fallback …")
    bot_faq_id: str | None
    bot_confidence: float | None
    answered_wrongly: bool = Field(description="The bot answered with another entry than `expected`.")
    labelled_by: str
    labelled_at: datetime

    @classmethod
    def of(cls, view: LabelView) -> LabelOut:
        return cls(
            id=view.id,
            text=view.text,
            language=view.language,
            conversation_id=view.conversation_id,
            message_id=view.message_id,
            expected=view.expected,
            bot_outcome=view.bot_outcome,
            bot_faq_id=view.bot_faq_id,
            bot_confidence=view.bot_confidence,
            answered_wrongly=view.answered_wrongly,
            labelled_by=view.labelled_by,
            labelled_at=view.labelled_at,
        )
