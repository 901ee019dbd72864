"""What the knowledge base and the message's identifiers say about a customer's words, sent to Rasa
with the message (metadata `EVIDENCE`), where the routing step after DIET (`rasa_routing`) weighs the
intent DIET predicted against it (docs/routing.md).

The search is the one the FAQ action makes for the same words (`desk.replies.SEARCH_K` hits), so the
action finds it among the retriever's recent searches (knowledge/live.py) instead of searching again.
"""

from __future__ import annotations

from typing import Any

from desk.replies import SEARCH_K
from desk.triggers import detect_trigger
from desk.turns import FOLLOW_UP
from knowledge.abstention import Decision
from knowledge.follow_ups import Ranked, read_after, reads_better
from knowledge.identifiers import ORDER_NUMBER, REPAIR_NUMBER, find_identifiers
from knowledge.index import IndexUnavailable
from knowledge.language import Language
from knowledge.retriever import Retriever, SearchResult


def routing_evidence(
    retriever: Retriever, text: str, language: Language, previous: str | None = None
) -> dict[str, Any] | None:
    """The retriever's decision on `text` (answer / clarify / abstain), its confidence and entry,
    whether the text names an order or repair number (a lookup then stays a lookup) and which safety
    or complaint trigger it sets off (then DIET's path handles it). A follow-up is read after the
    question it leans on (`previous`, which the turn service finds) when that says more (`FOLLOW_UP`).
    None when no index is loaded: Rasa routes on DIET alone."""
    try:
        result = retriever.search(text, language, k=SEARCH_K)
        searched = text
        if previous and result.decision != Decision.ANSWER:
            joined = read_after(previous, text)
            contextual = retriever.search(joined, language, k=SEARCH_K)
            if reads_better(_ranked(contextual), _ranked(result)):
                result, searched = contextual, joined
    except IndexUnavailable:
        return None
    evidence = evidence_for(
        text, result.decision, result.confidence, result.top.entry.id if result.top is not None else None
    )
    return evidence | ({FOLLOW_UP: searched} if searched != text else {})


def evidence_for(text: str, decision: Decision, confidence: float, entry: str | None) -> dict[str, Any]:
    """The evidence for a retriever's decision on `text`, with what the words themselves say: an order
    or repair number named, a trigger set off (bench.routed_calibration replays the routing with it)."""
    labels = {identifier.label for identifier in find_identifiers(text)}
    trigger = detect_trigger(text)
    return {
        "decision": decision.value,
        "confidence": round(confidence, 4),
        "entry": entry,
        "names_order": bool(labels & {ORDER_NUMBER, REPAIR_NUMBER}),
        "trigger": trigger.value if trigger is not None else None,
    }


def _ranked(result: SearchResult) -> Ranked:
    return Ranked(result.decision, [hit.entry.id for hit in result.hits], [hit.score for hit in result.hits])
