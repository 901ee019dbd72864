"""`action_log_feedback`: 👍/👎 votes on answers, CSAT ratings and the optional comment after them.

Each is stored with the customer message that gave it (and a vote with the question whose answer it
rates), so a vote or rating that reaches the action twice counts once (desk/feedback.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import (
    channel_of,
    entity,
    language_of,
    latest_intent,
    latest_message_id,
    message_id_of,
    send,
)
from desk.copy import NO_COMMENT, say
from desk.feedback import Vote
from desk.replies import missed, vote_buttons
from desk.services import DeskServices, shared_services
from desk.turns import Outcome, TurnRecord

FEEDBACK = TurnRecord(Outcome.FEEDBACK)


class ActionLogFeedback(Action):
    def __init__(self, services: DeskServices | None = None) -> None:
        self._services = services

    def name(self) -> str:
        return "action_log_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        book = (self._services or shared_services()).feedback
        language = language_of(tracker)
        channel = channel_of(tracker)
        intent = latest_intent(tracker)
        comment = tracker.get_slot("feedback_comment")
        message_id = latest_message_id(tracker)

        if intent == "rate_service":
            score = _csat(entity(tracker, "csat"))
            if score is None:
                send(dispatcher, "", [], FEEDBACK)
                return []
            book.record(
                tracker.sender_id, kind="csat", score=score, channel=channel, language=language, message_id=message_id
            )
            send(dispatcher, say("csat_thanks", language), [], FEEDBACK)
            return []

        if comment is not None and intent != "vote":
            text = str(comment).strip()
            if text and text.lower().strip(" .!。！") not in NO_COMMENT:
                book.record(
                    tracker.sender_id,
                    kind="comment",
                    comment=text[:2000],
                    channel=channel,
                    language=language,
                    message_id=message_id,
                )
            send(dispatcher, "", [], FEEDBACK)
            return [SlotSet("feedback_comment", None)]

        faq_id = entity(tracker, "faq_id") or tracker.get_slot("last_faq_id")
        record = TurnRecord(Outcome.FEEDBACK, faq_id=faq_id)
        value = entity(tracker, "vote")
        if value not in ("up", "down"):
            # A typed "vote" whose direction we could not read: ask rather than guess.
            buttons = vote_buttons(faq_id, language) if faq_id else []
            send(dispatcher, say("vote_unclear", language), buttons, record)
            return []
        vote: Vote = value
        book.record(
            tracker.sender_id,
            kind="vote",
            vote=vote,
            faq_id=faq_id,
            channel=channel,
            language=language,
            message_id=message_id,
            question_id=rated_question(tracker.events, faq_id),
        )
        if vote == "up":
            send(dispatcher, say("vote_up_thanks", language), [], record)
            return [SlotSet("faq_misses", 0.0)]
        # A 👎 is an answer that did not resolve the question: two in a row offer a human.
        reply = missed(language, int(tracker.get_slot("faq_misses") or 0), first="vote_down_sorry")
        send(dispatcher, reply.text, reply.buttons, record)
        return [SlotSet("faq_misses", float(reply.misses))]


def _csat(value: object) -> int | None:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


def rated_question(events: list[dict[str, Any]], faq_id: str | None) -> int | None:
    """The customer message whose answer a vote rates: the one before the latest bot message that
    offered a vote on `faq_id`. A second press of the same button finds the same question."""
    if faq_id is None:
        return None
    offered = {button["payload"] for button in vote_buttons(faq_id, "en")}
    answer_seen = False
    for event in reversed(events):
        if not answer_seen and event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            answer_seen = any(isinstance(b, dict) and b.get("payload") in offered for b in buttons)
        elif answer_seen and event.get("event") == "user":
            return message_id_of(event.get("metadata"))
    return None
