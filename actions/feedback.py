"""`action_log_feedback`: 👍/👎 votes on answers, CSAT ratings and the optional comment after them."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import channel_of, entity, language_of, latest_intent, send
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

        if intent == "rate_service":
            score = _csat(entity(tracker, "csat"))
            if score is None:
                send(dispatcher, "", [], FEEDBACK)
                return []
            book.record(tracker.sender_id, kind="csat", score=score, channel=channel, language=language)
            send(dispatcher, say("csat_thanks", language), [], FEEDBACK)
            return []

        if comment is not None and intent != "vote":
            text = str(comment).strip()
            if text and text.lower().strip(" .!。！") not in NO_COMMENT:
                book.record(tracker.sender_id, kind="comment", comment=text[:2000], channel=channel, language=language)
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
        book.record(tracker.sender_id, kind="vote", vote=vote, faq_id=faq_id, channel=channel, language=language)
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
