"""Leads' labels of customer questions: the FAQ entry that answers a question, or out of scope.

A label is taken from a customer message (the console's unanswered list) or typed by staff (the
API). One label per question text: labelling the same words again replaces the verdict, so the
data exported for calibration and NLU training holds no contradictions. A label from a message
keeps what the bot did with it (outcome, entry, confidence), which tells a wrong answer: the bot
answered with one entry and the lead chose another, or none. Labels of a conversation's messages
hold the customer's words and are deleted with it (desk/personal_data.py).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.message_text import MAX_TEXT_LENGTH, has_control_characters
from desk.models import KnowledgeEntry, Message, QuestionLabel, Sender, Turn, utcnow
from desk.turns import Outcome
from knowledge.language import LANGUAGES, detect_language

# At most this many messages labelled by one request (a group of the unanswered list has 5 examples).
MAX_MESSAGES = 50


class LabelError(ValueError):
    """Base of the refusals below; `str()` is the message shown to the lead."""


class LabelNotFound(LabelError):
    """No such label or customer message."""


class InvalidLabel(LabelError):
    """Empty or unusable text, an unknown language or FAQ entry."""


def normalised(text: str) -> str:
    """The question as exported: blanks collapsed (training data is one line per example)."""
    return " ".join(text.split())


def text_key(text: str) -> str:
    return hashlib.sha256(normalised(text).casefold().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LabelView:
    id: int
    text: str
    language: str
    conversation_id: str | None
    message_id: int | None
    expected: str | None  # the FAQ entry; None: out of scope
    bot_outcome: str | None
    bot_faq_id: str | None
    bot_confidence: float | None
    labelled_by: str
    labelled_at: datetime

    @property
    def out_of_scope(self) -> bool:
        return self.expected is None

    @property
    def answered_wrongly(self) -> bool:
        """The bot answered with an entry the lead says is not the right one (or none is)."""
        return self.bot_outcome == Outcome.ANSWERED and self.bot_faq_id is not None and self.bot_faq_id != self.expected

    @classmethod
    def of(cls, row: QuestionLabel) -> LabelView:
        return cls(
            row.id,
            row.text,
            row.language,
            row.conversation_id,
            row.message_id,
            row.expected_faq_id,
            row.bot_outcome,
            row.bot_faq_id,
            row.bot_confidence,
            row.labelled_by,
            row.labelled_at,
        )


@dataclass(frozen=True)
class _Question:
    text: str
    language: str
    conversation_id: str | None = None
    message_id: int | None = None
    bot_outcome: str | None = None
    bot_faq_id: str | None = None
    bot_confidence: float | None = None


class QuestionLabels:
    def __init__(
        self, sessions: sessionmaker[Session], audit: AuditLog, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    # Labelling ---------------------------------------------------------------------------------------

    def label_messages(self, message_ids: Sequence[int], expected: str | None, actor: str) -> list[LabelView]:
        """Label customer messages (their text, language and turn as stored) with one verdict."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            raise InvalidLabel("choose at least one question to label")
        if len(ids) > MAX_MESSAGES:
            raise InvalidLabel(f"at most {MAX_MESSAGES} questions at a time")
        with self._sessions() as session:
            rows = session.execute(
                select(Message, Turn)
                .outerjoin(Turn, Turn.message_id == Message.id)
                .where(Message.id.in_(ids), Message.sender == Sender.CUSTOMER)
            ).all()
            found = {message.id: (message, turn) for message, turn in rows}
            missing = [i for i in ids if i not in found]
            if missing:
                raise LabelNotFound(f"no customer message {missing[0]}")
            questions = []
            for message_id in ids:
                message, turn = found[message_id]
                language = (turn.language if turn else None) or message.language or detect_language(message.text)
                questions.append(
                    _Question(
                        message.text,
                        language,
                        message.conversation_id,
                        message.id,
                        turn.outcome if turn else None,
                        turn.faq_id if turn else None,
                        turn.confidence if turn else None,
                    )
                )
            return self._store(session, questions, expected, actor)

    def label_text(self, text: str, language: str | None, expected: str | None, actor: str) -> LabelView:
        """Label a question staff typed (no conversation); the language is detected when not given."""
        if language is not None and language not in LANGUAGES:
            raise InvalidLabel(f"the language is one of {', '.join(LANGUAGES)}")
        words = normalised(text)
        with self._sessions() as session:
            return self._store(session, [_Question(words, language or detect_language(words))], expected, actor)[0]

    def _store(
        self, session: Session, questions: Sequence[_Question], expected: str | None, actor: str
    ) -> list[LabelView]:
        if expected is not None and session.get(KnowledgeEntry, expected) is None:
            raise InvalidLabel(f"there is no FAQ entry {expected!r} in the knowledge base")
        now = self._clock()
        rows: dict[str, QuestionLabel] = {}
        for question in questions:
            words = normalised(question.text)
            if not words:
                raise InvalidLabel("the question is empty")
            if len(words) > MAX_TEXT_LENGTH or has_control_characters(words):
                raise InvalidLabel(
                    f"the question must be at most {MAX_TEXT_LENGTH} characters, without control characters"
                )
            key = text_key(words)
            row = rows.get(key) or session.scalar(select(QuestionLabel).where(QuestionLabel.text_key == key))
            if row is None:
                row = QuestionLabel(text_key=key)
                session.add(row)
            # Replacing the verdict also moves the label to the message it was last given on.
            row.text, row.language = words, question.language
            row.conversation_id, row.message_id = question.conversation_id, question.message_id
            row.bot_outcome, row.bot_faq_id, row.bot_confidence = (
                question.bot_outcome,
                question.bot_faq_id,
                question.bot_confidence,
            )
            row.expected_faq_id, row.labelled_by, row.labelled_at = expected, actor, now
            rows[key] = row
        try:
            session.flush()
        except IntegrityError as error:
            # Another lead labelled the same new question at this moment: theirs stands, say so.
            session.rollback()
            raise InvalidLabel("someone labelled this question at the same time; reload and look again") from error
        for row in rows.values():
            # The label's id only: the customer's words stay out of the audit log.
            self._audit.add(session, actor, "question_label.set", f"question_label:{row.id}", expected=expected)
        session.commit()
        return [LabelView.of(row) for row in rows.values()]

    def remove(self, label_id: int, actor: str) -> None:
        with self._sessions() as session:
            deleted = session.execute(delete(QuestionLabel).where(QuestionLabel.id == label_id))
            if not getattr(deleted, "rowcount", 0):
                raise LabelNotFound(f"no question label {label_id}")
            self._audit.add(session, actor, "question_label.remove", f"question_label:{label_id}")
            session.commit()

    # Reading -----------------------------------------------------------------------------------------

    def get(self, label_id: int) -> LabelView:
        with self._sessions() as session:
            row = session.get(QuestionLabel, label_id)
            if row is None:
                raise LabelNotFound(f"no question label {label_id}")
            return LabelView.of(row)

    def labels(self, limit: int | None = None, offset: int = 0) -> list[LabelView]:
        """The most recently labelled first."""
        query = select(QuestionLabel).order_by(QuestionLabel.labelled_at.desc(), QuestionLabel.id.desc())
        with self._sessions() as session:
            return [LabelView.of(r) for r in session.scalars(query.limit(limit).offset(offset))]

    def of_texts(self, texts: Iterable[str]) -> dict[str, LabelView]:
        """The labels of these questions, by the text as given (the same words in any blanks or case)."""
        keys = {text_key(t): t for t in texts}
        if not keys:
            return {}
        with self._sessions() as session:
            rows = session.scalars(select(QuestionLabel).where(QuestionLabel.text_key.in_(keys))).all()
            return {keys[row.text_key]: LabelView.of(row) for row in rows}

    def wrong_answers(self) -> Counter[str]:
        """Per FAQ entry, the labelled questions the bot answered with it wrongly."""
        with self._sessions() as session:
            rows = session.execute(
                select(QuestionLabel.bot_faq_id, func.count(QuestionLabel.id))
                .where(_answered_wrongly())
                .group_by(QuestionLabel.bot_faq_id)
            ).all()
        return Counter({faq_id: count for faq_id, count in rows if faq_id is not None})

    def wrong_answers_of(self, faq_id: str) -> list[LabelView]:
        """The labelled questions the bot answered with this entry wrongly, the most recent first."""
        query = select(QuestionLabel).where(_answered_wrongly(), QuestionLabel.bot_faq_id == faq_id)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(QuestionLabel.labelled_at.desc(), QuestionLabel.id.desc()))
            return [LabelView.of(r) for r in rows]


def _answered_wrongly() -> ColumnElement[bool]:
    """`LabelView.answered_wrongly` in SQL (a NULL label, out of scope, differs from every entry)."""
    return and_(
        QuestionLabel.bot_outcome == Outcome.ANSWERED.value,
        QuestionLabel.bot_faq_id.is_not(None),
        or_(QuestionLabel.expected_faq_id.is_(None), QuestionLabel.expected_faq_id != QuestionLabel.bot_faq_id),
    )
