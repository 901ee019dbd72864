"""What the bot would reply to a question: the decision `action_answer_faq` takes, as data.

The knowledge-base editor shows it for the live index and for the drafts before they are published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from actions.faq import CLARIFY_OPTIONS, STOP_TRIGGERS, clarify_options
from actions.phrases import say
from desk.triggers import detect_trigger
from knowledge.abstention import Decision
from knowledge.language import Language, detect_language
from knowledge.retriever import Retriever, SearchResult

Outcome = Literal["answered", "clarified", "fallback", "handoff"]


@dataclass(frozen=True)
class Option:
    faq_id: str
    title: str


@dataclass(frozen=True)
class BotReply:
    outcome: Outcome
    text: str
    faq_id: str | None = None
    options: list[Option] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class Answer:
    """A search and the reply the bot gives from it."""

    result: SearchResult
    reply: BotReply


@dataclass(frozen=True)
class Preview:
    question: str
    language: Language
    now: Answer
    # None when there is nothing unpublished (publishing would change nothing).
    after_publish: Answer | None
    drafts: list[str]
    note: str | None = None


def bot_reply(question: str, result: SearchResult) -> BotReply:
    """The reply `action_answer_faq` gives for this search (a first miss: the rephrase prompt)."""
    language = result.language
    trigger = detect_trigger(question)
    if trigger in STOP_TRIGGERS:
        return BotReply("handoff", "", reason=str(trigger))
    if result.decision == Decision.ANSWER and result.top is not None:
        return BotReply("answered", result.top.entry.answer_in(language), faq_id=result.top.entry.id)
    if result.decision == Decision.CLARIFY and result.hits:
        options = [Option(h.entry.id, h.entry.title_in(language)) for h in clarify_options(result)]
        return BotReply("clarified", say("did_you_mean", language), faq_id=options[0].faq_id, options=options)
    return BotReply("fallback", say("rephrase", language))


def answer(retriever: Retriever, question: str, language: Language | None, k: int = 5) -> Answer:
    result = retriever.search(question, language or detect_language(question), k=max(k, CLARIFY_OPTIONS + 1))
    return Answer(result, bot_reply(question, result))


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
