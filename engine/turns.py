"""A customer message's way through: store it, then Rasa if the bot owns the conversation, else the
agent inbox; store the reply and the turn record before answering. A message the bot cannot read
(a picture) is stored and acknowledged without Rasa (`acknowledge`). Channels reach this through
their port (engine/port.py), the conversation API directly.

The turn's language is decided here, once (`turn_language`): a channel may hint, the actions and the
retriever read the decision from the message metadata that goes to Rasa.

A message whose turn failed (Rasa down or too slow) waits in the desk's backlog
(desk/answer_backlog.py): the retry loop (engine/retries.py) answers it with `answer_claimed`, the
same turn as a live one, and the customer's next message answers the waiting ones before itself.

A turn holds its message's claim (desk.conversations.STALE_PROCESSING) until its reply is stored or
it failed; its Rasa requests end by `TURN_DEADLINE`, so a live turn never outlasts the claim.

One conversation's turns reach Rasa in the order their messages were stored, however many requests
and replicas take them at once (`_in_order`): a turn holds the conversation's lock
(engine/conversation_locks.py, shared through Redis by the replicas) from its check of the earlier
messages until its reply is stored, and while an earlier message is being answered elsewhere it lets
the lock go and waits for it, within its deadline. A turn whose wait runs out fails as a Rasa
timeout does (`ConversationBusy`): the message waits for the retry loop, the client gets 503 with
Retry-After."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from desk.answer_backlog import AnswerBacklog, Earlier, RetrySchedule
from desk.conversations import HUMAN_OWNED, STALE_PROCESSING, ConversationStore, ConversationView, StoredMessage
from desk.conversations import Inbound as StoredInbound
from desk.copy import say
from desk.escalations import EscalationDesk
from desk.handoff import MAY_ESCALATE, QueuePlace
from desk.message_text import as_words
from desk.models import ConversationStatus, MessageState
from desk.turns import EVIDENCE, MESSAGE_ID, BotMessage, Outcome, TurnRecord, read_replies
from engine.blocking import run_blocking
from engine.conversation_locks import ConversationLocks, LocalLocks, LockTimeout
from engine.events import QUEUE, EventBus, announce_status, staff_topic
from engine.metrics import Metrics
from engine.rasa_gateway import JSON, RasaGateway, RasaUnavailable, TrackedTurn, time_left, turn_deadline
from engine.resumption import resume_before_turn
from engine.routing_evidence import routing_evidence
from knowledge.follow_ups import leans_on_previous
from knowledge.language import Language, language_signal, parse_language
from knowledge.retriever import Retriever
from knowledge.text import customer_words

if TYPE_CHECKING:
    from engine.escalation_budget import EscalationBudget

log = structlog.get_logger(__name__)

T = TypeVar("T")

# What Rasa speaks while its `language` slot is unset: every response's unconditioned variation is
# English (tests/engine/test_turns_language.py checks domain.yml), and the actions read the language
# from the message metadata. So a conversation that starts in English needs no slot call: one Rasa
# HTTP API round trip less (~80 ms of Rasa's time here, mostly Rasa validating the posted events).
RASA_DEFAULT_LANGUAGE: Language = "en"

# How long one turn may wait for Rasa, all its requests together (each is also bounded by
# APP_RASA_TIMEOUT, 15 s by default): a message's turn makes up to five (the tracker read of a
# retry, the language slot, the resume after an agent's close in two, the message itself, whose
# action calls Rasa makes inside it), a live turn first answers the messages still waiting before
# its own, and a resume another request has in flight may be waited for (resumption.TURN_WAIT_SECONDS).
# Past it the turn fails as a Rasa timeout does: the message waits for the retry loop, which reads
# what Rasa did from its tracker before sending it again. The claim outlasts it by CLAIM_MARGIN, for
# the turn's database writes (storing the reply ends the claim).
CLAIM_MARGIN = timedelta(seconds=15)
TURN_DEADLINE = STALE_PROCESSING - CLAIM_MARGIN  # 45 s: three requests at the default Rasa timeout


# A turn whose conversation has an earlier message in flight elsewhere asks again after this long,
# twice as long each time up to the longest (a Rasa turn takes tens of milliseconds).
FIRST_ORDER_PAUSE = 0.01
LONGEST_ORDER_PAUSE = 0.2


# The turns whose question an elliptical next message may lean on ("那电池呢？" after a warranty answer).
FOLLOWED_UP = frozenset({Outcome.ANSWERED, Outcome.CLARIFIED})


class UnknownPayload(ValueError):
    """A button payload the assistant never offered in this conversation."""


class MessageInProgress(RuntimeError):
    """The same client message id is being answered by another request right now."""


class ConversationBusy(RasaUnavailable):
    """The turn's time ran out while an earlier message of its conversation was still being answered
    (or its lock held) elsewhere: handled as a Rasa timeout, the message waits for the retry loop."""


class _EarlierTaken(RuntimeError):
    """An earlier waiting message was claimed by another request after this turn looked: wait for it."""


class NotStored(RuntimeError):
    """The message could not be stored (the database is unreachable): nothing was kept, so nothing
    may be acknowledged; the platform or client must send it again."""


class ServiceUnavailable(RuntimeError):
    """Rasa could not be reached. The message is stored (marked failed): the retry loop answers it
    and pushes the answer through the conversation's channel, or a client's retry with the same
    message id gets it. The text is the apology, in the conversation's `language`."""

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
    # The message had reached Rasa before (a send that timed out): the replies came from its tracker.
    recovered: bool = False


@dataclass(frozen=True)
class _Claimed:
    """A stored customer message this turn answers (no other request has it)."""

    conversation: ConversationView
    message_id: int
    language: Language
    # What goes to Rasa (the words or the button's payload, the metadata) and who asks (for the budget).
    inbound: Inbound
    # It may have reached Rasa before (a retry): Rasa's tracker is read before it is sent again.
    resent: bool = False


class TurnService:
    def __init__(
        self,
        store: ConversationStore,
        backlog: AnswerBacklog,
        escalations: EscalationDesk,
        rasa: RasaGateway,
        metrics: Metrics,
        bus: EventBus,
        budget: EscalationBudget | None = None,
        schedule: RetrySchedule | None = None,
        deadline: timedelta = TURN_DEADLINE,
        retriever: Retriever | None = None,
        locks: ConversationLocks | None = None,
    ) -> None:
        self._store = store
        self._backlog = backlog
        self._escalations = escalations
        self._rasa = rasa
        self._metrics = metrics
        self._bus = bus
        # None: no bound on new escalations (tests, benchmarks); the app always gives one.
        self._budget = budget
        # When a message whose turn failed is due again (the retry loop, engine/retries.py, tries it).
        self._schedule = schedule or RetrySchedule()
        # Whose search is the routing evidence sent with a customer's words (None: Rasa routes on DIET alone).
        self._retriever = retriever
        # The most a turn waits for Rasa (`TURN_DEADLINE`; shorter in tests).
        self._deadline = deadline.total_seconds()
        # One turn of a conversation at a time (this process's, or the replicas' through Redis).
        self._locks = locks if locks is not None else LocalLocks()

    async def handle(self, inbound: Inbound) -> TurnResult:
        with turn_deadline(self._deadline):  # the message's claim starts now: the earlier ones' turns count
            return await self._handle(inbound)

    async def _handle(self, inbound: Inbound) -> TurnResult:
        started = time.perf_counter()
        if inbound.payload is not None:
            offered = await run_blocking(self._store.offered_payloads, inbound.conversation_id)
            if inbound.payload not in offered:
                raise UnknownPayload("this button was not offered in the conversation")
        taken = await self._take(inbound)
        if isinstance(taken, TurnResult):
            return taken
        # The earlier messages this turn answers before its own (kept across waits for the lock).
        earlier: list[TurnResult] = []
        try:
            return await self._in_order(taken, lambda waiting: self._answer_taken(taken, waiting, earlier, started))
        except ConversationBusy as error:
            unavailable = await self._unavailable(taken, error)
            if not earlier:
                raise unavailable from error
            return _joined(earlier)

    async def _answer_taken(
        self, taken: _Claimed, waiting: list[StoredMessage], earlier: list[TurnResult], started: float
    ) -> TurnResult:
        """The turn of a claimed message, under its conversation's lock: the messages still waiting
        before it first, then its own."""
        try:
            await self._answer_earlier(waiting, earlier)
        except RasaUnavailable as error:
            raise await self._unavailable(taken, error) from error
        if earlier:
            # What the earlier turns left: Rasa's language slot, perhaps a handoff.
            taken = replace(taken, conversation=await self._current(taken.conversation.id))
        try:
            if taken.conversation.status in HUMAN_OWNED:  # an earlier message was handed to a human
                result = await self._to_agents(
                    taken.conversation, taken.message_id, taken.language, taken.inbound.channel
                )
            else:
                result = await self._answer(taken, started)
        except RasaUnavailable as error:
            unavailable = await self._unavailable(taken, error)
            if not earlier:
                raise unavailable from error
            # The earlier messages are answered: the customer gets those now, this one from the retry loop.
            return _joined(earlier)
        return _joined([*earlier, result])

    async def _in_order(self, claimed: _Claimed, work: Callable[[list[StoredMessage]], Awaitable[T]]) -> T:
        """Run `work` with the conversation's lock held and no earlier message of the conversation in
        flight elsewhere; it gets the earlier messages still waiting, to answer first. While one is in
        flight the lock is let go (its turn needs it) and taken again a little later, until the turn's
        time is up: `ConversationBusy`."""
        conversation_id, message_id = claimed.conversation.id, claimed.message_id
        pause = FIRST_ORDER_PAUSE
        while True:
            try:
                async with self._locks.hold(conversation_id, wait=time_left()):
                    before = await run_blocking(self._backlog.earlier, conversation_id, message_id)
                    if not before.in_flight:
                        try:
                            return await work(before.waiting)
                        except _EarlierTaken:
                            pass
            except LockTimeout as error:
                raise ConversationBusy(str(error)) from error
            left = time_left()
            if left <= 0:
                raise ConversationBusy("an earlier message of this conversation is still being answered")
            log.info("turn_waits_for_earlier", conversation=conversation_id, message=message_id)
            await asyncio.sleep(min(pause, left))  # the last look is at the deadline
            pause = min(pause * 2, LONGEST_ORDER_PAUSE)

    @asynccontextmanager
    async def exclusive(self, conversation_id: str, first_message_id: int) -> AsyncIterator[None]:
        """The retry loop's hold on a conversation whose waiting messages start at `first_message_id`:
        its lock, taken only if free and no earlier message is in flight; else `ConversationBusy` at
        once (whoever has it answers the waiting messages before its own)."""
        try:
            async with self._locks.hold(conversation_id, wait=0.0):
                before: Earlier = await run_blocking(self._backlog.earlier, conversation_id, first_message_id)
                if before.in_flight:
                    raise ConversationBusy("an earlier message of this conversation is being answered")
                yield
        except LockTimeout as error:
            raise ConversationBusy(str(error)) from error

    async def answer_claimed(self, message: StoredMessage) -> TurnResult:
        """Answer a stored customer message whose turn failed, which the caller has claimed
        (`ConversationStore.claim`): the retry loop's turn, and the live turn's for the messages that
        still wait before the customer's new one. It may have reached Rasa already: Rasa's tracker is
        read first. A human owns the conversation by now: the message goes to the agent inbox.
        Raises `RasaUnavailable`; the caller decides when to try again. The caller holds the
        conversation's lock (`exclusive`, or the live turn's `_in_order`)."""
        with turn_deadline(self._deadline):  # inside a live turn, that turn's deadline ends sooner
            return await self._answer_claimed(message)

    async def _answer_claimed(self, message: StoredMessage) -> TurnResult:
        started = time.perf_counter()
        conversation = await self._current(message.conversation_id)
        language = parse_language(message.language or conversation.language)
        if conversation.status in HUMAN_OWNED:
            return await self._to_agents(conversation, message.id, language, conversation.channel)
        inbound = Inbound(
            conversation.id,
            message.text,
            payload=message.payload,
            channel=conversation.channel,
            customer_id=conversation.customer_id,
            # What the client said of the conversation when it started it (a message's own is not kept).
            metadata=dict(conversation.client_metadata),
        )
        resent = message.state != MessageState.RECEIVED  # one only received never reached Rasa
        return await self._answer(_Claimed(conversation, message.id, language, inbound, resent=resent), started)

    async def _answer(self, claimed: _Claimed, started: float) -> TurnResult:
        """The turn of a claimed message: Rasa's replies (from its tracker when the message reached it
        before), stored with the turn record; an escalation the turn opened is announced."""
        conversation, message_id, language, inbound = (
            claimed.conversation,
            claimed.message_id,
            claimed.language,
            claimed.inbound,
        )
        tracked = await self._rasa.turn_in_tracker(conversation.id, message_id) if claimed.resent else None
        recovered = tracked.replies if tracked is not None and _finished(tracked) else None
        if recovered is not None:
            log.info("turn_recovered", conversation=conversation.id, message=message_id)
        replies = recovered if recovered is not None else await self._send(claimed)
        bot_messages, turn = read_replies(replies)
        latency_ms = (time.perf_counter() - started) * 1000
        recorded = await run_blocking(
            lambda: self._store.record_reply(
                conversation.id, message_id, bot_messages, turn, language=language, latency_ms=latency_ms
            )
        )
        self._metrics.turns.labels(turn.outcome, inbound.channel, language).inc()
        if not claimed.resent:  # a retry's time says nothing of how fast the assistant answers
            self._metrics.turn_latency.observe(latency_ms / 1000)
        status = conversation.status
        if turn.escalated:
            # action_handoff opened an escalation: the conversation waits in the queue now.
            if self._budget is not None:
                await self._budget.spend(inbound)
            status = ConversationStatus.QUEUED
            announce_status(self._bus, conversation.id, conversation.channel, status)
            self._bus.publish(QUEUE, "escalated", conversation_id=conversation.id)
        return TurnResult(
            conversation.id,
            recorded,
            status,
            turn.outcome,
            turn.faq_id,
            turn.confidence,
            turn.priority,
            recovered=recovered is not None,
        )

    async def _send(self, claimed: _Claimed) -> list[JSON]:
        """Send the message to Rasa, with the stored message's id in its metadata (`MESSAGE_ID`)."""
        conversation, language, inbound = claimed.conversation, claimed.language, claimed.inbound
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
            MESSAGE_ID: claimed.message_id,
        }
        message = rasa_message(inbound)
        if inbound.payload is None and self._retriever is not None:
            topic = await self._followed_topic(claimed, message) if leans_on_previous(message, language) else None
            evidence = await run_blocking(routing_evidence, self._retriever, message, language, topic)
            if evidence is not None:
                metadata[EVIDENCE] = evidence
        while True:
            replies = await self._rasa.send(conversation.id, message, metadata)
            if replies:
                return earlier + replies
            # Rasa's REST channel answers 200 and nothing when the turn failed inside Rasa.
            tracked = await self._rasa.turn_in_tracker(conversation.id, claimed.message_id)
            if tracked is None:
                # Its lock store unreachable: the message is not in its tracker, the turn never ran.
                # It waits for the retry loop rather than being stored as answered.
                raise RasaUnavailable("Rasa answered nothing and has not recorded the message: the turn failed in Rasa")
            if _finished(tracked):
                return earlier + tracked.replies
            log.warning("turn_answered_nothing", conversation=conversation.id, message=claimed.message_id)

    async def _followed_topic(self, claimed: _Claimed, message: str) -> str | None:
        """The question a follow-up leans on: the customer's previous one, when its turn went to the
        knowledge base (an answer or a "did you mean"), read as Rasa read it."""
        previous = await run_blocking(self._store.previous_question, claimed.conversation.id, claimed.message_id)
        return customer_words(previous.text) if previous and previous.outcome in FOLLOWED_UP else None

    async def _answer_earlier(self, waiting: list[StoredMessage], answered: list[TurnResult]) -> None:
        """The conversation's messages still waiting for an answer (their turn failed) are answered
        before this one, oldest first: Rasa reads the customer's words in the order written. One that
        another request claimed since they were read is waited for (`_EarlierTaken`)."""
        for message in waiting:
            if not await run_blocking(self._store.claim, message.id):
                raise _EarlierTaken(message.id)
            try:
                answered.append(await self.answer_claimed(message))
            except RasaUnavailable as error:
                await run_blocking(self._backlog.failed, message.id, str(error), self._schedule)
                raise
            self._metrics.retries.labels("caught_up").inc()

    async def _unavailable(self, claimed: _Claimed, error: RasaUnavailable) -> ServiceUnavailable:
        """Rasa failed this turn: the message waits for the retry loop (or the client's retry)."""
        await run_blocking(self._backlog.failed, claimed.message_id, str(error), self._schedule)
        if isinstance(error, ConversationBusy):
            log.warning("turn_waited_out", conversation=claimed.conversation.id, error=str(error))
        else:
            self._metrics.rasa_errors.inc()
            log.warning("rasa_unavailable", conversation=claimed.conversation.id, error=str(error))
        return ServiceUnavailable(claimed.language, retry_after=math.ceil(self._schedule.first.total_seconds()))

    async def _current(self, conversation_id: str) -> ConversationView:
        conversation = await run_blocking(self._store.get, conversation_id)
        assert conversation is not None  # conversations are never deleted while their messages wait
        return conversation

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

    async def receive(self, inbound: Inbound) -> TurnResult | None:
        """Store the message without answering it, for a platform that must be acknowledged within
        seconds (Slack): `handle` (or `acknowledge`) with the same message id answers it afterwards.
        A human-owned conversation takes it to the agent inbox at once (no Rasa to wait for): that is
        its turn. Raises `NotStored`, and `UnknownPayload` for a button never offered (not stored)."""
        if inbound.payload is not None:
            offered = await run_blocking(self._store.offered_payloads, inbound.conversation_id)
            if inbound.payload not in offered:
                raise UnknownPayload("this button was not offered in the conversation")
        stored = await self._stored(inbound, claim=False)
        if stored.duplicate or stored.message.state != MessageState.HELD:
            return None
        language = parse_language(stored.conversation.language)
        return await self._to_agents(stored.conversation, stored.message.id, language, inbound.channel)

    async def _stored(self, inbound: Inbound, *, claim: bool) -> StoredInbound:
        """The message stored (or found, when the channel sent it before); `NotStored` when the
        database could not keep it."""
        try:
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
                    claim=claim,
                )
            )
        except Exception as error:  # whatever failed, the commit did not happen: nothing is kept
            log.warning(
                "customer_message_not_stored",
                conversation=inbound.conversation_id,
                channel=inbound.channel,
                error=f"{type(error).__name__}: {error}"[:300],
            )
            raise NotStored("the message could not be stored; send it again") from error
        log.info(
            "customer_message",
            conversation=inbound.conversation_id,
            channel=inbound.channel,
            language=stored.conversation.language,
            # What the customer wrote stays in the transcript (the console, behind sign-in): masking
            # cannot find every name, address or order number, so the log tells only its shape.
            message=stored.message.id,
            chars=len(inbound.text),
            button=inbound.payload is not None,
            duplicate=stored.duplicate,
        )
        if stored.reopened:
            announce_status(self._bus, inbound.conversation_id, stored.conversation.channel, stored.conversation.status)
        return stored

    async def _take(self, inbound: Inbound) -> TurnResult | _Claimed:
        """Store the message. A retry of a message answered already gets that answer again, and a
        human-owned conversation takes it to the agent inbox: both are the turn's result. Otherwise
        the message is the caller's to answer: its conversation, id and the turn's language."""
        stored = await self._stored(inbound, claim=True)
        language = parse_language(stored.conversation.language)
        if stored.duplicate and stored.message.state in (MessageState.ANSWERED, MessageState.HELD):
            return await self._replay(stored.message.id, inbound.conversation_id)

        conversation = stored.conversation
        if conversation.status in HUMAN_OWNED:
            return await self._to_agents(conversation, stored.message.id, language, inbound.channel)

        claimed = not stored.duplicate and stored.message.state == MessageState.PROCESSING
        if not claimed and not await run_blocking(self._store.claim, stored.message.id):
            raise MessageInProgress("this message is already being answered; retry shortly")
        # A client's retry of a message whose turn failed: it may have reached Rasa all the same (a
        # message only received so far, `receive`, has not).
        resent = stored.duplicate and stored.message.state != MessageState.RECEIVED
        return _Claimed(conversation, stored.message.id, language, inbound, resent=resent)

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


# How many times a message is run through Rasa while its turn answers nothing. Every turn of the bot
# says something (at least a turn record), so a turn without a bot event lost an action on the way:
# Rasa goes on without the events of an action it could not call (an action server that died
# mid-call), and the same message sent again runs the turn again. A turn that answers nothing every
# time is taken as it is rather than sent forever.
TURN_RUNS = 3


def _finished(tracked: TrackedTurn) -> bool:
    """Whether a turn in Rasa's tracker is over: it answered, or it has run as often as it may."""
    return bool(tracked.replies) or tracked.runs >= TURN_RUNS


def _joined(results: list[TurnResult]) -> TurnResult:
    """Turns answered at once (messages that waited, then the customer's new one) as one: their
    messages in order, the last one's record."""
    return replace(results[-1], messages=[message for result in results for message in result.messages])


def rasa_message(inbound: Inbound) -> str:
    """What Rasa is sent: the payload of a button the assistant offered (checked in `handle`), else the
    customer's words as every reader takes them (`customer_words`: simplified Chinese, one mark for a
    run of them), never read as a command whichever channel built the message (`as_words`)."""
    return inbound.payload if inbound.payload is not None else as_words(customer_words(inbound.text))


def turn_language(inbound: Inbound) -> Language | None:
    """The language this message is in: the customer's explicit choice, else what its text says.
    None keeps the conversation's language (a button press, a bare order number, a picture)."""
    if inbound.language is not None:
        return inbound.language
    return language_signal(inbound.text) if inbound.language_from_text else None
