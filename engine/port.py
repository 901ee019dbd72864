"""What a channel adapter may ask of the running assistant: the narrow port each adapter holds
(`ChannelAdapter.start(port)`, channels/base.py) instead of the app's whole runtime, and `Assistant`,
its implementation over the turn service, the delivery worker, the event bus and the desk's stores.

An adapter hands over the messages its platform delivers (`answer`, or `acknowledge` for what the
bot cannot read; `receive` only stores one, for a platform acknowledged before the turn) and gets a
`Reply` back: the turn, or why there is none yet. A message that could not be stored is refused
(`Refusal.NOT_STORED`): the adapter must not acknowledge it, so the platform sends it again. It
reads what it needs to speak its platform's way (a conversation, its transcript, the buttons last
offered, the escalation to announce), records what people write outside the console, keeps its own
small state (`channel_state`) and listens to and announces live events. The language of every turn
is decided by the turn service; adapters only hint (`Inbound.default_language`,
`Inbound.language_from_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import structlog

from desk.conversations import ConversationStore, ConversationView, StoredMessage
from desk.copy import say
from desk.escalations import EscalationDesk, EscalationView
from engine.blocking import run_blocking
from engine.delivery import DeliveryWorker
from engine.events import EventBus, Subscription, staff_topic
from engine.leases import Leases
from engine.turns import (
    Inbound,
    MessageInProgress,
    NotStored,
    ServiceUnavailable,
    TurnResult,
    TurnService,
    UnknownPayload,
    turn_language,
)
from knowledge.language import Language

log = structlog.get_logger(__name__)


class ChannelState(Protocol):
    """A channel's small durable state (a cached access token, a sync cursor), shared by every app
    replica. The calls block (a database): run them with `engine.blocking.run_blocking`."""

    def get(self, channel: str, key: str) -> dict[str, Any] | None: ...

    def put(self, channel: str, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, channel: str, key: str) -> None: ...

    def remember_once(self, channel: str, key: str, keep_seconds: float) -> bool:
        """Record `key` (a signed callback's signature) for `keep_seconds`; False when any replica
        recorded it within that time: the request is a replay."""
        ...

    def forget_once(self, channel: str, key: str) -> None:
        """Drop what `remember_once` recorded, so that the platform's retry of a request refused for
        a reason of ours (nothing could be stored) is taken."""
        ...


class Refusal(StrEnum):
    """Why a message got no turn (yet)."""

    # A button payload the assistant never offered in the conversation (nothing was stored).
    NOT_OFFERED = "unknown_payload"
    # The same message (client message id) is being answered by another request right now.
    IN_PROGRESS = "message_in_progress"
    # Rasa could not be reached: the message is stored (marked failed); the retry loop answers it and
    # pushes the answer through the outbox (engine/retries.py), so the adapter need not send it again.
    UNAVAILABLE = "assistant_unavailable"
    # The message could not be stored (the database is unreachable): nothing was kept. Never
    # acknowledge it to the platform or client: it must be sent again (`notice` asks the customer).
    NOT_STORED = "message_not_stored"


@dataclass(frozen=True)
class Reply:
    """What came of a message handed to the assistant: the turn, or the refusal and its words (for
    `UNAVAILABLE` the apology to the customer, in the conversation's language)."""

    turn: TurnResult | None = None
    refusal: Refusal | None = None
    notice: str = ""
    retry_after: int | None = None

    @property
    def messages(self) -> list[StoredMessage]:
        return list(self.turn.messages) if self.turn is not None else []


class AssistantPort(Protocol):
    """Everything a channel adapter needs of the assistant, and nothing else."""

    @property
    def console_url(self) -> str:
        """The support console's address, for links to it (an adapter's own setting may override it)."""
        ...

    @property
    def channel_state(self) -> ChannelState: ...

    def lease(self, name: str) -> AbstractAsyncContextManager[None]:
        """Hold the named lease inside the block: work one app replica does at a time (engine/leases.py).
        Waits while another replica holds it; raises `LeaseLost` inside the block if it is taken over."""
        ...

    async def answer(self, inbound: Inbound, *, deliver: bool = True) -> Reply:
        """One turn. `deliver`: its stored replies go to the customer through the outbox (with its
        retries); False when the adapter gives them itself (in the HTTP response, on its socket)."""
        ...

    async def acknowledge(
        self, inbound: Inbound, text_for_language: Callable[[Language], str], *, deliver: bool = True
    ) -> Reply:
        """A message the bot cannot read (a picture, a voice message it could not hear): stored and
        acknowledged with `text_for_language(language)` without asking Rasa; a human-owned
        conversation takes it to the agent inbox like any message."""
        ...

    async def receive(self, inbound: Inbound) -> Reply:
        """Store the message without answering it yet, for a platform that must be acknowledged first
        (Slack's 3 seconds): `answer` or `acknowledge` with the same message later answers it. An
        empty `Reply` once stored (a human-owned conversation's turn, delivered, when it went to the
        agent inbox at once); `NOT_STORED` or `NOT_OFFERED` when nothing was stored."""
        ...

    async def retry_waiting(self, conversation_id: str) -> None:
        """The customer wrote again, so the platform takes messages to them again: the conversation's
        replies waiting out their retry backoff are sent now (still in order)."""
        ...

    async def push(self, message_ids: Sequence[int]) -> None:
        """Send stored messages through the outbox (a reply that missed the platform's reply window)."""
        ...

    async def conversation(self, conversation_id: str) -> ConversationView | None: ...

    async def transcript(self, conversation_id: str) -> list[StoredMessage]: ...

    async def last_buttons(self, conversation_id: str) -> list[dict[str, str]]:
        """The buttons of the assistant's latest message that had any (for platforms without buttons)."""
        ...

    async def latest_escalation(self, conversation_id: str) -> EscalationView | None: ...

    async def record_agent_reply(
        self, conversation_id: str, text: str, author: str, *, external_id: str | None = None
    ) -> StoredMessage | None:
        """A reply a person wrote outside the console (already delivered by the platform), shown to
        the console live. None when nothing was stored (unknown conversation, `external_id` seen)."""
        ...

    def subscribe(self, topics: Iterable[str]) -> AbstractAsyncContextManager[Subscription]: ...

    def publish(self, topic: str, kind: str, **data: Any) -> None: ...


class Assistant:
    """The `AssistantPort` of one app instance."""

    def __init__(
        self,
        turns: TurnService,
        delivery: DeliveryWorker,
        bus: EventBus,
        conversations: ConversationStore,
        escalations: EscalationDesk,
        channel_state: ChannelState,
        console_url: str,
        leases: Leases,
    ) -> None:
        self._turns = turns
        self._delivery = delivery
        self._bus = bus
        self._conversations = conversations
        self._escalations = escalations
        self._channel_state = channel_state
        self._console_url = console_url
        self._leases = leases

    @property
    def console_url(self) -> str:
        return self._console_url

    @property
    def channel_state(self) -> ChannelState:
        return self._channel_state

    def lease(self, name: str) -> AbstractAsyncContextManager[None]:
        return self._leases.holding(name)

    async def answer(self, inbound: Inbound, *, deliver: bool = True) -> Reply:
        try:
            turn = await self._turns.handle(inbound)
        except UnknownPayload as error:
            log.info("button_not_offered", conversation=inbound.conversation_id, channel=inbound.channel)
            return Reply(refusal=Refusal.NOT_OFFERED, notice=str(error))
        except MessageInProgress as error:
            log.info("message_in_progress", conversation=inbound.conversation_id, channel=inbound.channel)
            return Reply(refusal=Refusal.IN_PROGRESS, notice=str(error), retry_after=1)
        except ServiceUnavailable as error:
            return Reply(refusal=Refusal.UNAVAILABLE, notice=str(error), retry_after=error.retry_after)
        except NotStored:
            return not_stored(inbound)
        return await self._delivered(Reply(turn), deliver)

    async def acknowledge(
        self, inbound: Inbound, text_for_language: Callable[[Language], str], *, deliver: bool = True
    ) -> Reply:
        try:
            turn = await self._turns.acknowledge(inbound, text_for_language)
        except MessageInProgress as error:
            return Reply(refusal=Refusal.IN_PROGRESS, notice=str(error), retry_after=1)
        except NotStored:
            return not_stored(inbound)
        return await self._delivered(Reply(turn), deliver)

    async def receive(self, inbound: Inbound) -> Reply:
        try:
            turn = await self._turns.receive(inbound)
        except UnknownPayload as error:
            return Reply(refusal=Refusal.NOT_OFFERED, notice=str(error))
        except NotStored:
            return not_stored(inbound)
        return await self._delivered(Reply(turn), deliver=True) if turn is not None else Reply()

    async def retry_waiting(self, conversation_id: str) -> None:
        await self._delivery.retry_waiting(conversation_id)

    async def _delivered(self, reply: Reply, deliver: bool) -> Reply:
        if deliver and reply.messages:
            await self.push([message.id for message in reply.messages])
        return reply

    async def push(self, message_ids: Sequence[int]) -> None:
        await self._delivery.push(list(message_ids))

    async def conversation(self, conversation_id: str) -> ConversationView | None:
        return await run_blocking(self._conversations.get, conversation_id)

    async def transcript(self, conversation_id: str) -> list[StoredMessage]:
        return await run_blocking(self._conversations.transcript, conversation_id)

    async def last_buttons(self, conversation_id: str) -> list[dict[str, str]]:
        return await run_blocking(self._conversations.last_buttons, conversation_id)

    async def latest_escalation(self, conversation_id: str) -> EscalationView | None:
        return await run_blocking(self._escalations.open_for, conversation_id)

    async def record_agent_reply(
        self, conversation_id: str, text: str, author: str, *, external_id: str | None = None
    ) -> StoredMessage | None:
        stored = await run_blocking(
            lambda: self._conversations.record_external_agent_reply(
                conversation_id, text, author, external_id=external_id
            )
        )
        if stored is not None:
            self._bus.publish(staff_topic(conversation_id), "reply", message_id=stored.id)
        return stored

    def subscribe(self, topics: Iterable[str]) -> AbstractAsyncContextManager[Subscription]:
        return self._bus.subscribe(topics)

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        self._bus.publish(topic, kind, **data)


def not_stored(inbound: Inbound) -> Reply:
    """The refusal of a message nothing was kept of; its notice asks the customer to send it again,
    in the language the message shows (the conversation's is out of reach with the database)."""
    language = inbound.language or turn_language(inbound) or inbound.default_language or "en"
    return Reply(refusal=Refusal.NOT_STORED, notice=say("message_not_stored", language), retry_after=5)
