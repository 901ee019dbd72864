"""A customer message's way through: store it, then Rasa if the bot owns the conversation, else the
agent inbox; store the reply and the turn record before answering. A message the bot cannot read
(a picture) is stored and acknowledged without Rasa (`acknowledge`). Channels reach this through
their port (engine/port.py), the conversation API directly.

The turn's language is decided here, once (`turn_language`): a channel may hint, the actions and the
retriever read the decision from the message metadata that goes to Rasa."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from desk.conversations import HUMAN_OWNED, ConversationStore, ConversationView, StoredMessage
from desk.copy import say
from desk.escalations import EscalationDesk
from desk.handoff import MAY_ESCALATE, QueuePlace
from desk.message_text import as_words
from desk.models import ConversationStatus, MessageState
from desk.turns import BotMessage, Outcome, TurnRecord, read_replies
from engine.blocking import run_blocking
from engine.events import QUEUE, EventBus, announce_status, staff_topic
from engine.metrics import Metrics
from engine.rasa_gateway import RasaGateway, RasaUnavailable
from engine.resumption import resume_before_turn
from knowledge.language import Language, language_signal, parse_language

if TYPE_CHECKING:
    from engine.escalation_budget import EscalationBudget

log = structlog.get_logger(__name__)

# What Rasa speaks while its `language` slot is unset: every response's unconditioned variation is
# English (tests/engine/test_turns_language.py checks domain.yml), and the actions read the language
# from the message metadata. So a conversation that starts in English needs no slot call: one Rasa
# HTTP API round trip less (~80 ms of Rasa's time here, mostly Rasa validating the posted events).
RASA_DEFAULT_LANGUAGE: Language = "en"


class UnknownPayload(ValueError):
    """A button payload the assistant never offered in this conversation."""


class MessageInProgress(RuntimeError):
    """The same client message id is being answered by another request right now."""


class ServiceUnavailable(RuntimeError):
    """Rasa could not be reached. The message is stored (marked failed; a retry answers it); the
    text is the apology, in the conversation's `language`."""

    def __init__(self, language: Language, retry_after: int) -> None:
        super().__init__(say("assistant_unavailable", language))
        self.language = language
        self.retry_after = retry_after


@dataclass(frozen=True)
class Inbound:
    """One customer message, as every channel hands it over."""

    conversation_id: str
    text: str
    payload: str | None = None
    # A language the customer chose (the API's `language`): wins over what the text says.
    language: Language | None = None
    # The channel's language for a new conversation whose first message carries none.
    default_language: Language | None = None
    # False when the text is a placeholder ("[image] …") that says nothing of the customer's language.
    language_from_text: bool = True
    # What came with the words that the bot cannot read, one placeholder each ("[image] photo.jpg …"):
    # kept in the transcript for the agents, never sent to Rasa nor read for the language.
    attachments: tuple[str, ...] = ()
    channel: str = "api"
    customer_id: str | None = None
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # How the channel reaches this customer again (kept on the conversation for later replies).
    channel_data: dict[str, Any] = field(default_factory=dict)
    # The client's network address where the app sees it (web chat, conversation API), for limits
    # per client; None where a platform relays the message (its customer id stands in).
    client: str | None = None

    @property
    def transcript_text(self) -> str:
        """What the transcript keeps: the words, then the attachments' placeholders, a line each."""
        return "\n".join(part for part in (self.text, *self.attachments) if part)


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    messages: list[StoredMessage]
    status: ConversationStatus
    outcome: Outcome
    faq_id: str | None = None
    confidence: float | None = None
    priority: str | None = None


@dataclass(frozen=True)
class _Claimed:
    """A stored customer message this turn answers (no other request has it)."""

    conversation: ConversationView
    message_id: int
    language: Language


class TurnService:
    def __init__(
        self,
        store: ConversationStore,
        escalations: EscalationDesk,
        rasa: RasaGateway,
        metrics: Metrics,
        bus: EventBus,
        budget: EscalationBudget | None = None,
    ) -> None:
        self._store = store
        self._escalations = escalations
        self._rasa = rasa
        self._metrics = metrics
        self._bus = bus
        # None: no bound on new escalations (tests, benchmarks); the app always gives one.
        self._budget = budget

    async def handle(self, inbound: Inbound) -> TurnResult:
        started = time.perf_counter()
        if inbound.payload is not None:
            offered = await run_blocking(self._store.offered_payloads, inbound.conversation_id)
            if inbound.payload not in offered:
                raise UnknownPayload("this button was not offered in the conversation")
        taken = await self._take(inbound)
        if isinstance(taken, TurnResult):
            return taken
        conversation, message_id, language = taken.conversation, taken.message_id, taken.language
        try:
            if conversation.rasa_language != language:
                if conversation.rasa_language is not None or language != RASA_DEFAULT_LANGUAGE:
                    await self._rasa.set_slot(
                        conversation.id, "language", language, new_conversation=conversation.rasa_language is None
                    )
                await run_blocking(self._store.set_rasa_language, conversation.id, language)
            # An agent closed the conversation and Rasa has not been resumed yet: resume it first (once).
            earlier = (
                await resume_before_turn(self._store, self._rasa, conversation.id)
                if conversation.rasa_pending_intent
                else []
            )
            may_escalate = self._budget is None or await self._budget.allows(inbound)
            metadata = {
                **inbound.metadata,
                "language": language,
                "channel": inbound.channel,
                MAY_ESCALATE: may_escalate,
            }
            replies = earlier + await self._rasa.send(conversation.id, rasa_message(inbound), metadata)
        except RasaUnavailable as error:
            await run_blocking(self._store.mark, message_id, MessageState.FAILED)
            self._metrics.rasa_errors.inc()
            log.warning("rasa_unavailable", conversation=conversation.id, error=str(error))
            raise ServiceUnavailable(language, retry_after=5) from error

        bot_messages, turn = read_replies(replies)
        latency_ms = (time.perf_counter() - started) * 1000
        recorded = await run_blocking(
            lambda: self._store.record_reply(
                conversation.id, message_id, bot_messages, turn, language=language, latency_ms=latency_ms
            )
        )
        self._metrics.turns.labels(turn.outcome, inbound.channel, language).inc()
        self._metrics.turn_latency.observe(latency_ms / 1000)
        status = conversation.status
        if turn.escalated:
            # action_handoff opened an escalation: the conversation waits in the queue now.
            if self._budget is not None:
                await self._budget.spend(inbound)
            status = ConversationStatus.QUEUED
            announce_status(self._bus, conversation.id, conversation.channel, status)
            self._bus.publish(QUEUE, "escalated", conversation_id=conversation.id)
        return TurnResult(conversation.id, recorded, status, turn.outcome, turn.faq_id, turn.confidence, turn.priority)

    async def acknowledge(self, inbound: Inbound, text_for_language: Callable[[Language], str]) -> TurnResult:
        """A message the bot cannot read (a picture, a voice message it could not hear): stored for the
        agents and acknowledged with `text_for_language(language)` in the conversation's language,
        without asking Rasa. A human-owned conversation takes it to the agent inbox like any message."""
        taken = await self._take(inbound)
        if isinstance(taken, TurnResult):
            return taken
        conversation, message_id, language = taken.conversation, taken.message_id, taken.language
        recorded = await run_blocking(
            lambda: self._store.record_reply(
                conversation.id,
                message_id,
                [BotMessage(text_for_language(language))],
                TurnRecord(Outcome.SMALLTALK),
                language=language,
                latency_ms=None,
            )
        )
        self._metrics.turns.labels(Outcome.SMALLTALK, inbound.channel, language).inc()
        return TurnResult(conversation.id, recorded, conversation.status, Outcome.SMALLTALK)

    async def _take(self, inbound: Inbound) -> TurnResult | _Claimed:
        """Store the message. A retry of a message answered already gets that answer again, and a
        human-owned conversation takes it to the agent inbox: both are the turn's result. Otherwise
        the message is the caller's to answer: its conversation, id and the turn's language."""
        stored = await run_blocking(
            lambda: self._store.record_inbound(
                inbound.conversation_id,
                text=inbound.transcript_text,
                payload=inbound.payload,
                language=turn_language(inbound),
                default_language=inbound.default_language,
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
            # What the customer wrote stays in the transcript (the console, behind sign-in): masking
            # cannot find every name, address or order number, so the log tells only its shape.
            message=stored.message.id,
            chars=len(inbound.text),
            button=inbound.payload is not None,
            duplicate=stored.duplicate,
        )
        if stored.reopened:
            announce_status(self._bus, inbound.conversation_id, stored.conversation.channel, stored.conversation.status)
        if stored.duplicate and stored.message.state in (MessageState.ANSWERED, MessageState.HELD):
            return await self._replay(stored.message.id, inbound.conversation_id)

        conversation = stored.conversation
        if conversation.status in HUMAN_OWNED:
            return await self._to_agents(conversation, stored.message.id, language, inbound.channel)

        claimed = not stored.duplicate and stored.message.state == MessageState.PROCESSING
        if not claimed and not await run_blocking(self._store.claim, stored.message.id):
            raise MessageInProgress("this message is already being answered; retry shortly")
        return _Claimed(conversation, stored.message.id, language)

    async def _to_agents(
        self, conversation: ConversationView, message_id: int, language: Language, channel: str
    ) -> TurnResult:
        """A human owns the conversation: the message goes to the agent inbox, live. A customer still
        waiting in the queue is told their place and the expected wait (or the service hours)."""
        notice: list[BotMessage] = []
        if conversation.status == ConversationStatus.QUEUED:
            place = await run_blocking(self._escalations.place_of, conversation.id)
            if place is not None:
                notice = [BotMessage(self._queue_notice(place, language))]
        recorded = await run_blocking(
            lambda: self._store.record_reply(
                conversation.id, message_id, notice, TurnRecord(Outcome.QUEUED), language=language, latency_ms=None
            )
        )
        self._metrics.turns.labels(Outcome.QUEUED, channel, language).inc()
        self._bus.publish(staff_topic(conversation.id), "customer_message", message_id=message_id)
        self._bus.publish(QUEUE, "customer_message", conversation_id=conversation.id)
        return TurnResult(conversation.id, recorded, conversation.status, Outcome.QUEUED)

    def _queue_notice(self, place: QueuePlace, language: Language) -> str:
        if place.in_service_hours:
            return say("still_queued", language, position=place.position, wait=place.expected_wait_minutes)
        hours = self._escalations.hours
        return say("still_queued_closed", language, opens=f"{hours.opens:%H:%M}", closes=f"{hours.closes:%H:%M}")

    async def _replay(self, inbound_id: int, conversation_id: str) -> TurnResult:
        """The answer already given to a retried message, without asking Rasa again."""
        replies = await run_blocking(self._store.replies_to, inbound_id)
        conversation = await run_blocking(self._store.get, conversation_id)
        assert conversation is not None
        first = replies[0] if replies else None
        outcome = Outcome(first.outcome) if first and first.outcome else Outcome.QUEUED
        return TurnResult(
            conversation_id,
            replies,
            conversation.status,
            outcome,
            first.faq_id if first else None,
            first.confidence if first else None,
        )


def rasa_message(inbound: Inbound) -> str:
    """What Rasa is sent: the payload of a button the assistant offered (checked in `handle`), else the
    customer's words, never read as a command whichever channel built the message (`as_words`)."""
    return inbound.payload if inbound.payload is not None else as_words(inbound.text)


def turn_language(inbound: Inbound) -> Language | None:
    """The language this message is in: the customer's explicit choice, else what its text says.
    None keeps the conversation's language (a button press, a bare order number, a picture)."""
    if inbound.language is not None:
        return inbound.language
    return language_signal(inbound.text) if inbound.language_from_text else None
