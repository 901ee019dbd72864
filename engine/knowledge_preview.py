"""What the bot would reply to a question, now and after publishing the drafts: the knowledge-base
editor's preview, with the very reply policy customers get (`desk.replies`)."""

from __future__ import annotations

from dataclasses import dataclass

from desk.replies import Answered, reply_to_question
from knowledge.language import Language, detect_language
from knowledge.retriever import Retriever


@dataclass(frozen=True)
class Preview:
    question: str
    language: Language
    now: Answered
    # None when there is nothing unpublished (publishing would change nothing).
    after_publish: Answered | None
    drafts: list[str]
    note: str | None = None


def answer(retriever: Retriever, question: str, language: Language | None, k: int = 5) -> Answered:
    """The reply to a first question (a miss is the rephrase prompt), with `k` hits."""
    return reply_to_question(retriever, question, language or detect_language(question), k=k)


def preview(
    live: Retriever,
    draft: Retriever | None,
    question: str,
    language: Language | None,
    drafts: list[str],
    note: str | None = None,
) -> Preview:
    """The reply now (live index) and, when `draft` is given, after publishing the drafts."""
    lang = language or detect_language(question)
    now = answer(live, question, lang)
    after = answer(draft, question, lang) if draft is not None else None
    return Preview(question, lang, now, after, drafts, note)
