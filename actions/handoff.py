"""`action_handoff`: open an escalation, tell the customer where they stand, pause the bot."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import channel_of, entity, language_of, last_question, latest_intent, may_escalate, send
from desk.copy import say
from desk.handoff import PRIORITY, PRIORITY_RANK, HandoffReason
from desk.services import DeskServices, shared_services
from desk.triggers import detect_trigger
from desk.turns import Outcome, TurnRecord
from knowledge.live import shared_retriever
from knowledge.retriever import Retriever

INTENT_REASONS = {
    "report_safety_incident": HandoffReason.SAFETY,
    "complain": HandoffReason.COMPLAINT,
    "demand_compensation": HandoffReason.COMPENSATION,
    "request_human": HandoffReason.CUSTOMER_REQUEST,
}
CANDIDATES_KEPT = 3


def handoff_reason(tracker: Tracker) -> HandoffReason:
    """The intent's reason, raised by what the text says (a complaint that mentions a lawyer is legal)."""
    intent = latest_intent(tracker)
    reason = INTENT_REASONS.get(intent, HandoffReason.CUSTOMER_REQUEST)
    if intent == "request_human" and entity(tracker, "handoff_reason") == HandoffReason.UNRESOLVED:
        reason = HandoffReason.UNRESOLVED
    from_text = detect_trigger(tracker.latest_message.get("text") or "")
    if from_text is not None and _more_urgent(from_text, reason):
        return from_text
    return reason


def _more_urgent(candidate: HandoffReason, current: HandoffReason) -> bool:
    if PRIORITY_RANK[PRIORITY[candidate]] != PRIORITY_RANK[PRIORITY[current]]:
        return PRIORITY_RANK[PRIORITY[candidate]] < PRIORITY_RANK[PRIORITY[current]]
    return candidate == HandoffReason.LEGAL_OR_MEDIA and current == HandoffReason.COMPLAINT


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: HandoffReason,
    services: DeskServices,
    retriever: Retriever,
) -> list[EventType]:
    language = language_of(tracker)
    if not may_escalate(tracker):
        # The conversation or its client has opened as many escalations as it may lately: no new one
        # (engine/escalation_budget.py). The customer hears why, and the bot goes on answering.
        lines = [say("safety_first", language)] if reason == HandoffReason.SAFETY else []
        lines.append(say("handoff_limited", language))
        send(dispatcher, "\n".join(lines), [], TurnRecord(Outcome.FALLBACK, reason=str(reason)))
        return [SlotSet("faq_misses", 0.0)]
    candidates: list[dict[str, Any]] = []
    question = last_question(tracker)
    if question:
        result = retriever.search(question, language, k=CANDIDATES_KEPT)
        candidates = [{"faq_id": h.entry.id, "score": round(h.score, 4), "question": question} for h in result.hits]
    handoff = services.escalations.open(
        tracker.sender_id,
        reason,
        channel=channel_of(tracker),
        language=language,
        trigger_text=tracker.latest_message.get("text") or "",
        candidates=candidates,
    )
    lines = []
    if reason == HandoffReason.SAFETY:
        lines.append(say("safety_first", language))
    if not handoff.created:
        lines.append(say("handoff_already", language))
    elif handoff.place.in_service_hours:
        lines.append(
            say("handoff_queue", language, position=handoff.place.position, wait=handoff.place.expected_wait_minutes)
        )
    else:
        hours = services.escalations.hours
        lines.append(say("handoff_closed", language, opens=f"{hours.opens:%H:%M}", closes=f"{hours.closes:%H:%M}"))
    record = TurnRecord(
        Outcome.HANDOFF,
        priority=str(handoff.escalation.priority),
        reason=str(handoff.escalation.reason),
        escalation_id=handoff.escalation.id,
        queue_position=handoff.place.position,
        escalated=handoff.created,
    )
    send(dispatcher, "\n".join(lines), [], record)
    return [SlotSet("faq_misses", 0.0), ConversationPaused()]


class ActionHandoff(Action):
    def __init__(self, services: DeskServices | None = None, retriever: Retriever | None = None) -> None:
        self._services = services
        self._retriever = retriever

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        services = self._services or shared_services()
        retriever = self._retriever or shared_retriever()
        return hand_off(dispatcher, tracker, handoff_reason(tracker), services, retriever)
