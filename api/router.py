"""A customer message's way through: store it, then Rasa if the bot owns the conversation, else the
agent inbox; store the reply and the turn record before answering."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool

from actions.phrases import say
from api.events import QUEUE, EventBus, announce_status, staff_topic
from api.log_config import masked
from api.metrics import Metrics
from api.rasa_gateway import RasaGateway, RasaUnavailable
from desk.conversations import HUMAN_OWNED, BotMessage, ConversationStore, ConversationView, StoredMessage, TurnRecord
from desk.escalations import EscalationDesk
from desk.handoff import QueuePlace
from desk.models import ConversationStatus
from knowledge.language import Language, language_signal, parse_language

log = structlog.get_logger(__name__)

# When Rasa sends several turn records (e.g. feedback then handoff), the strongest one describes the turn.
OUTCOME_STRENGTH = [
    "resolved",
    "handed_back",
    "smalltalk",
    "feedback",
    "declined",
    "fallback",
    "clarified",
    "answered",
    "handoff",
]


# What Rasa speaks while its `language` slot is unset: every response's unconditioned variation is
# English (tests/api/test_router_language.py checks domain.yml), and the actions read the language
# from the message metadata. So a conversation that starts in English needs no slot call: one Rasa
# HTTP API round trip less (~80 ms of Rasa's time here, mostly Rasa validating the posted events).
RASA_DEFAULT_LANGUAGE: Language = "en"


class UnknownPayload(ValueError):
    """A button payload the assistant never offered in this conversation."""


class MessageInProgress(RuntimeError):
    """The same client message id is being answered by another request right now."""


class ServiceUnavailable(RuntimeError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Inbound:
    conversation_id: str
    text: str
    payload: str | None = None
    language: Language | None = None
    channel: str = "api"
    customer_id: str | None = None
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # How the channel reaches this customer again (kept on the conversation for later replies).
    channel_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    messages: list[StoredMessage]
    status: ConversationStatus
    outcome: str
    faq_id: str | None = None
    confidence: float | None = None
    priority: str | None = None


class MessageRouter:
    def __init__(
        self,
        store: ConversationStore,
        escalations: EscalationDesk,
        rasa: RasaGateway,
        metrics: Metrics,
        bus: EventBus,
    ) -> None:
        self._store = store
        self._escalations = escalations
        self._rasa = rasa
        self._metrics = metrics
        self._bus = bus

    async def handle(self, inbound: Inbound) -> TurnResult:
        started = time.perf_counter()
        detected: Language | None = inbound.language or language_signal(inbound.text)
        if inbound.payload is not None:
            offered = await run_in_threadpool(self._store.offered_payloads, inbound.conversation_id)
            if inbound.payload not in offered:
                raise UnknownPayload("this button was not offered in the conversation")
        stored = await run_in_threadpool(
            lambda: self._store.record_inbound(
                inbound.conversation_id,
                text=inbound.text,
                payload=inbound.payload,
                language=detected,
                channel=inbound.channel,
                customer_id=inbound.customer_id,
                client_message_id=inbound.message_id,
                channel_data=inbound.channel_data or None,
                claim=True,
            )
        )
        language = parse_language(stored.conversation.language)
        log.info(
            "customer_message",
            conversation=inbound.conversation_id,
            channel=inbound.channel,
            language=language,
            text=masked(inbound.text),
            duplicate=stored.duplicate,
        )
        if stored.reopened:
            announce_status(self._bus, inbound.conversation_id, stored.conversation.channel, stored.conversation.status)
        if stored.duplicate and stored.message.state in ("answered", "held"):
            return await self._replay(stored.message.id, inbound.conversation_id)

        conversation = stored.conversation
        if conversation.status in HUMAN_OWNED:
            return await self._to_agents(conversation, stored.message.id, language, inbound.channel)

        claimed = not stored.duplicate and stored.message.state == "processing"
        if not claimed and not await run_in_threadpool(self._store.claim, stored.message.id):
            raise MessageInProgress("this message is already being answered; retry shortly")
        try:
            if conversation.rasa_language != language:
                if conversation.rasa_language is not None or language != RASA_DEFAULT_LANGUAGE:
                    await self._rasa.set_slot(
                        conversation.id, "language", language, new_conversation=conversation.rasa_language is None
                    )
                await run_in_threadpool(self._store.set_rasa_language, conversation.id, language)
            if conversation.rasa_pending_intent:
                # An agent closed the conversation while Rasa was down: resume it first.
                earlier = await self._rasa.resume_with(conversation.id, conversation.rasa_pending_intent)
                await run_in_threadpool(self._store.resumed, conversation.id, conversation.rasa_pending_intent)
            else:
                earlier = []
            metadata = {**inbound.metadata, "language": language, "channel": inbound.channel}
            replies = earlier + await self._rasa.send(conversation.id, inbound.payload or inbound.text, metadata)
        except RasaUnavailable as error:
            await run_in_threadpool(self._store.mark, stored.message.id, "failed")
            self._metrics.rasa_errors.inc()
            log.warning("rasa_unavailable", conversation=conversation.id, error=str(error))
            raise ServiceUnavailable(
                "The assistant is temporarily unavailable. Your message was saved; please retry.", retry_after=5
            ) from error

        bot_messages, turn, priority = parse_replies(replies)
        latency_ms = (time.perf_counter() - started) * 1000
        recorded = await run_in_threadpool(
            lambda: self._store.record_reply(
                conversation.id, stored.message.id, bot_messages, turn, language=language, latency_ms=latency_ms
            )
        )
        self._metrics.turns.labels(turn.outcome, inbound.channel, language).inc()
        self._metrics.turn_latency.observe(latency_ms / 1000)
        if recorded.status != conversation.status:
            announce_status(self._bus, conversation.id, conversation.channel, recorded.status)
        if recorded.status == ConversationStatus.QUEUED and conversation.status != ConversationStatus.QUEUED:
            self._bus.publish(QUEUE, "escalated", conversation_id=conversation.id)
        return TurnResult(
            conversation.id, recorded.messages, recorded.status, turn.outcome, turn.faq_id, turn.confidence, priority
        )

    async def _to_agents(
        self, conversation: ConversationView, message_id: int, language: Language, channel: str
    ) -> TurnResult:
        """A human owns the conversation: the message goes to the agent inbox, live. A customer still
        waiting in the queue is told their place and the expected wait (or the service hours)."""
        notice: list[BotMessage] = []
        if conversation.status == ConversationStatus.QUEUED:
            place = await run_in_threadpool(self._escalations.place_of, conversation.id)
            if place is not None:
                notice = [BotMessage(self._queue_notice(place, language))]
        recorded = await run_in_threadpool(
            lambda: self._store.record_reply(
                conversation.id, message_id, notice, TurnRecord("queued"), language=language, latency_ms=None
            )
        )
        self._metrics.turns.labels("queued", channel, language).inc()
        self._bus.publish(staff_topic(conversation.id), "customer_message", message_id=message_id)
        self._bus.publish(QUEUE, "customer_message", conversation_id=conversation.id)
        return TurnResult(conversation.id, recorded.messages, conversation.status, "queued")

    def _queue_notice(self, place: QueuePlace, language: Language) -> str:
        if place.in_service_hours:
            return say("still_queued", language, position=place.position, wait=place.expected_wait_minutes)
        hours = self._escalations.hours
        return say("still_queued_closed", language, opens=f"{hours.opens:%H:%M}", closes=f"{hours.closes:%H:%M}")

    async def _replay(self, inbound_id: int, conversation_id: str) -> TurnResult:
        """The answer already given to a retried message, without asking Rasa again."""
        replies = await run_in_threadpool(self._store.replies_to, inbound_id)
        conversation = await run_in_threadpool(self._store.get, conversation_id)
        assert conversation is not None
        first = replies[0] if replies else None
        outcome = first.outcome if first and first.outcome else "queued"
        return TurnResult(
            conversation_id,
            replies,
            conversation.status,
            outcome,
            first.faq_id if first else None,
            first.confidence if first else None,
        )


def parse_replies(replies: list[dict[str, Any]]) -> tuple[list[BotMessage], TurnRecord, str | None]:
    """Split Rasa's REST replies into what the customer sees and the turn record (custom payloads)."""
    messages: list[BotMessage] = []
    records: list[dict[str, Any]] = []
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("turn"), dict):
            records.append(custom["turn"])
        text = reply.get("text")
        if isinstance(text, str) and text:
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in reply.get("buttons") or []
                if isinstance(b, dict)
            ]
            messages.append(BotMessage(text, buttons))
    if not records:
        return messages, TurnRecord("fallback"), None
    strongest = max(
        records,
        key=lambda r: (
            OUTCOME_STRENGTH.index(r.get("outcome", "smalltalk")) if r.get("outcome") in OUTCOME_STRENGTH else -1
        ),
    )
    confidence = strongest.get("confidence")
    turn = TurnRecord(
        outcome=str(strongest.get("outcome", "fallback")),
        faq_id=strongest.get("faq_id"),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
    )
    priority = strongest.get("priority")
    return messages, turn, str(priority) if priority else None
