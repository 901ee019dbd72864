"""The bot's reply policy for a question: answer (with 👍/👎 buttons), "did you mean" (a near tie),
rephrase, or, after misses in a row, the offer of a human; and the situations the FAQ must never
answer. `action_answer_faq` replies with it, and the knowledge-base editor previews with it, so
what a lead is shown is what customers get."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from desk.copy import say
from desk.handoff import HandoffReason
from desk.triggers import complaint_made, detect_trigger, human_asked
from desk.turns import Outcome
from knowledge.abstention import CLARIFY_OPTIONS, Decision, offered
from knowledge.entries import FaqEntry
from knowledge.language import Language
from knowledge.retriever import Hit, Retriever, SearchResult

# How many hits a question's search keeps: the options and one more (the routing evidence searches alike).
SEARCH_K = CLARIFY_OPTIONS + 1
# Answers in a row that did not resolve the question (misses, 👎) before a human is offered.
MISSES_BEFORE_OFFER = 2
# Situations the FAQ must never answer, even when the NLU missed them.
STOP_TRIGGERS = frozenset({HandoffReason.SAFETY, HandoffReason.LEGAL_OR_MEDIA, HandoffReason.COMPENSATION})
_CHOICE_PAYLOAD = re.compile(r'^/choose_faq\{"faq_id":"([^"]+)"\}$')


def choice_payload(faq_id: str) -> str:
    """A "did you mean" option's button payload: the intent choose_faq with the entry."""
    return f'/choose_faq{{"faq_id":"{faq_id}"}}'


def offered_entries(buttons: Iterable[Mapping[str, object]]) -> list[str]:
    """The entries a "did you mean" reply offered, in order, from its buttons."""
    return [m.group(1) for b in buttons if (m := _CHOICE_PAYLOAD.match(str(b.get("payload", ""))))]


Buttons = list[dict[str, str]]


@dataclass(frozen=True)
class Option:
    faq_id: str
    title: str


@dataclass(frozen=True)
class FaqReply:
    """What the bot does with a question. A handoff carries no text: the handoff action speaks."""

    outcome: Outcome
    text: str = ""
    buttons: Buttons = field(default_factory=list)
    faq_id: str | None = None
    confidence: float | None = None
    options: list[Option] = field(default_factory=list)
    handoff_reason: HandoffReason | None = None
    # Misses in a row after this reply (0 after an answer): the conversation carries it to the next turn.
    misses: int = 0


@dataclass(frozen=True)
class Answered:
    """A search and the reply the bot gives from it."""

    result: SearchResult
    reply: FaqReply


def reply_to_question(
    retriever: Retriever,
    question: str,
    language: Language,
    misses: int = 0,
    k: int = SEARCH_K,
    searched: str | None = None,
) -> Answered:
    """The bot's reply to a free-text question, `misses` being the unresolved answers before it
    (`k`: how many hits the search keeps for whoever shows them; `searched`: the words to search when
    not the question's own, a follow-up read after the question before it)."""
    result = retriever.search(searched or question, language, k=max(k, SEARCH_K))
    trigger = detect_trigger(question)
    if trigger in STOP_TRIGGERS or (trigger is HandoffReason.COMPLAINT and complaint_made(question)):
        return Answered(result, FaqReply(Outcome.HANDOFF, handoff_reason=trigger))
    if trigger is None and human_asked(question):  # DIET missed a request for a human: it still wins
        return Answered(result, FaqReply(Outcome.HANDOFF, handoff_reason=HandoffReason.CUSTOMER_REQUEST))
    if result.decision == Decision.ANSWER and result.top is not None:
        return Answered(result, answer(result.top.entry, language, result.confidence))
    if result.decision == Decision.CLARIFY and result.hits:
        options = [Option(h.entry.id, h.entry.title_in(language)) for h in clarify_options(result)]
        buttons = [{"title": o.title, "payload": choice_payload(o.faq_id)} for o in options]
        reply = FaqReply(
            Outcome.CLARIFIED,
            say("did_you_mean", language),
            buttons,
            faq_id=options[0].faq_id,
            confidence=result.confidence,
            options=options,
            misses=misses,
        )
        return Answered(result, reply)
    return Answered(result, missed(language, misses, first="rephrase", confidence=result.confidence))


def answer(entry: FaqEntry, language: Language, confidence: float | None = None) -> FaqReply:
    return FaqReply(Outcome.ANSWERED, entry.answer_in(language), vote_buttons(entry.id, language), entry.id, confidence)


def missed(
    language: Language, misses: int, *, first: str, confidence: float | None = None, outcome: Outcome = Outcome.FALLBACK
) -> FaqReply:
    """Another unresolved question (a miss, a 👎): `first` says so the first time; from the
    `MISSES_BEFORE_OFFER`th in a row, a human is offered."""
    count = misses + 1
    if count >= MISSES_BEFORE_OFFER:
        return FaqReply(
            outcome, say("offer_human", language), human_offer_buttons(language), confidence=confidence, misses=count
        )
    return FaqReply(outcome, say(first, language), confidence=confidence, misses=count)


def clarify_options(result: SearchResult) -> list[Hit]:
    """The entries a "did you mean" question offers for a near tie."""
    return result.hits[: offered([hit.score for hit in result.hits])]


def vote_buttons(faq_id: str, language: Language) -> Buttons:
    return [
        {"title": say("helpful", language), "payload": f'/vote{{"faq_id":"{faq_id}","vote":"up"}}'},
        {"title": say("not_helpful", language), "payload": f'/vote{{"faq_id":"{faq_id}","vote":"down"}}'},
    ]


def human_offer_buttons(language: Language) -> Buttons:
    return [
        {"title": say("yes_human", language), "payload": '/request_human{"handoff_reason":"unresolved"}'},
        {"title": say("no_rephrase", language), "payload": "/deny"},
    ]
