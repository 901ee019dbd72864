"""The reply policy the FAQ action and the knowledge-base preview share."""

from __future__ import annotations

import pytest

from desk.handoff import HandoffReason
from desk.replies import MISSES_BEFORE_OFFER, answer, missed, reply_to_question
from desk.turns import Outcome
from knowledge.index import build_retriever
from knowledge.retriever import HybridRetriever
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES


@pytest.fixture(scope="module")
def retriever() -> HybridRetriever:
    return build_retriever(ENTRIES, HashingEmbedder())


def test_a_confident_hit_is_answered_with_vote_buttons(retriever: HybridRetriever) -> None:
    found = reply_to_question(retriever, "How long is the battery warranty?", "en", misses=1)
    reply = found.reply
    assert reply.outcome == Outcome.ANSWERED and reply.faq_id == "battery" and reply.text == "battery: 1 year"
    assert reply.confidence == found.result.confidence and reply.misses == 0
    assert [b["payload"] for b in reply.buttons] == [
        '/vote{"faq_id":"battery","vote":"up"}',
        '/vote{"faq_id":"battery","vote":"down"}',
    ]


def test_misses_ask_to_rephrase_then_offer_a_human(retriever: HybridRetriever) -> None:
    first = reply_to_question(retriever, "qwzx vbnm", "en").reply
    assert first.outcome == Outcome.FALLBACK and "rephrase" in first.text and first.buttons == []
    assert first.misses == 1
    second = reply_to_question(retriever, "qwzx vbnm", "en", misses=first.misses).reply
    assert second.outcome == Outcome.FALLBACK and second.misses == MISSES_BEFORE_OFFER
    assert [b["payload"] for b in second.buttons] == ['/request_human{"handoff_reason":"unresolved"}', "/deny"]


def test_a_safety_incident_is_never_answered_from_the_faq(retriever: HybridRetriever) -> None:
    reply = reply_to_question(retriever, "the battery is smoking and caught fire", "en").reply
    assert reply.outcome == Outcome.HANDOFF and reply.handoff_reason == HandoffReason.SAFETY and reply.text == ""


def test_a_complaint_made_is_never_answered_from_the_faq_but_a_question_about_complaints_is(
    retriever: HybridRetriever,
) -> None:
    made = reply_to_question(retriever, "I want to file a formal complaint about the battery", "en").reply
    assert made.outcome == Outcome.HANDOFF and made.handoff_reason == HandoffReason.COMPLAINT
    asked = reply_to_question(retriever, "how do I file a complaint about the battery?", "en").reply
    assert asked.outcome != Outcome.HANDOFF


def test_a_request_for_a_human_diet_missed_is_still_handed_over(retriever: HybridRetriever) -> None:
    reply = reply_to_question(retriever, "nothing happened for weeks, I want to speak to a human", "en").reply
    assert reply.outcome == Outcome.HANDOFF and reply.handoff_reason == HandoffReason.CUSTOMER_REQUEST


def test_a_chosen_entry_is_answered_in_the_turns_language(retriever: HybridRetriever) -> None:
    entry = retriever.entry("battery")
    assert entry is not None
    reply = answer(entry, "zh")
    assert reply.text == entry.answer_in("zh") and reply.buttons[0]["title"] == "👍 有帮助"


def test_a_thumbs_down_counts_as_a_miss() -> None:
    assert missed("en", 0, first="vote_down_sorry").buttons == []
    offer = missed("zh", MISSES_BEFORE_OFFER - 1, first="vote_down_sorry")
    assert offer.text.startswith("抱歉，我还是没能解答") and len(offer.buttons) == 2
