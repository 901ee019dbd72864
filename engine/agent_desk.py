"""The agent's side of a conversation, as the console and the JSON API both use it: the desk's
casework, then what must follow each change (live updates, delivery, telling Rasa)."""

from __future__ import annotations

import asyncio
import time

import structlog

from desk.casework import Casework, Change, Note
from desk.conversations import ConversationStore, StoredMessage
from desk.outbox import DeliveryState, Outbox
from desk.turns import read_replies
from desk.users import Staff
from engine.blocking import run_blocking
from engine.delivery import DeliveryWorker
from engine.events import QUEUE, EventBus, announce_status, staff_topic
from engine.rasa_gateway import RasaGateway, RasaUnavailable, turn_deadline
from engine.resumption import Resumed, resume_once
from engine.turns import TURN_DEADLINE

log = structlog.get_logger(__name__)

# How long a close waits for the conversation's replies on their way before the rating question is
# left to the background (`resume_pending`): the agent's last reply is usually out in moments.
SETTLE_SECONDS = 2.0
SETTLE_POLL_SECONDS = 0.05


class AgentDesk:
    def __init__(
        self,
        casework: Casework,
        conversations: ConversationStore,
        outbox: Outbox,
        rasa: RasaGateway,
        bus: EventBus,
        delivery: DeliveryWorker,
    ) -> None:
        self.casework = casework
        self._conversations = conversations
        self._outbox = outbox
        self._rasa = rasa
        self._bus = bus
        self._delivery = delivery

    async def claim(self, escalation_id: int, staff: Staff) -> Change:
        change = await run_blocking(self.casework.claim, escalation_id, staff)
        self._announce(change, "claimed")
        return change

    async def reply(self, escalation_id: int, staff: Staff, text: str) -> StoredMessage:
        message = await run_blocking(self.casework.reply, escalation_id, staff, text)
        self._bus.publish(staff_topic(message.conversation_id), "reply", message_id=message.id)
        self._bus.publish(QUEUE, "replied", escalation_id=escalation_id)
        self._delivery.wake()
        return message

    async def note(self, escalation_id: int, staff: Staff, text: str) -> Note:
        note = await run_blocking(self.casework.note, escalation_id, staff, text)
        self._bus.publish(staff_topic(note.conversation_id), "note", note_id=note.id)
        return note

    async def transfer(self, escalation_id: int, staff: Staff, to_user_id: int | None) -> Change:
        change = await run_blocking(self.casework.transfer, escalation_id, staff, to_user_id)
        self._announce(change, "transferred")
        return change

    async def resolve(self, escalation_id: int, staff: Staff, code: str, note: str = "") -> Change:
        change = await run_blocking(self.casework.resolve, escalation_id, staff, code, note)
        self._announce(change, "resolved")
        await self.resume(change.conversation_id)
        return change

    async def hand_back(self, escalation_id: int, staff: Staff) -> Change:
        change = await run_blocking(self.casework.hand_back, escalation_id, staff)
        self._announce(change, "handed_back")
        await self.resume(change.conversation_id)
        return change

    async def retry_delivery(self, message_id: int) -> DeliveryState | None:
        state = await run_blocking(self._outbox.retry_now, message_id)
        if state is not None:
            self._bus.publish(
                staff_topic(state.conversation_id), "delivery", message_id=message_id, state=state.delivery
            )
            self._delivery.wake()
        return state

    async def resume(self, conversation_id: str, *, settle_seconds: float = SETTLE_SECONDS) -> bool:
        """Hand the conversation back to Rasa with the intent the close left pending (CSAT question
        or "back to the assistant"); its messages go to the customer like an agent's reply.

        Only the request that claims the intent resumes (engine.resumption): a retry or the
        customer's turn racing this one skips. If Rasa is down the intent stays pending:
        `resume_pending` (and the customer's next message) try again, so the customer is never
        left with a paused bot. While earlier replies are still on their way (an agent's reply the
        platform refused for now), the rating question waits for them to be delivered or given up:
        asked before, it would stand in Rasa's dialogue ahead of replies the customer has not seen.
        A close waits `settle_seconds` for them (the agent's last reply is usually still going out);
        after that `resume_pending` asks once they are settled."""
        conversation = await run_blocking(self._conversations.get, conversation_id)
        if conversation is None or conversation.rasa_pending_intent is None:
            return False
        if not await self._settled(conversation_id, settle_seconds):
            log.info("rasa_resume_deferred", conversation=conversation_id, reason="replies on their way")
            return False
        language = conversation.language

        async def record(resumed: Resumed) -> None:
            messages, turn = read_replies(resumed.replies)
            await run_blocking(
                lambda: self._conversations.record_pushed(conversation_id, messages, turn, language=language)
            )

        try:
            with turn_deadline(TURN_DEADLINE.total_seconds()):  # within the resume claim's lease
                resumed = await resume_once(self._conversations, self._rasa, conversation_id, record)
        except RasaUnavailable as error:
            log.warning("rasa_resume_failed", conversation=conversation_id, error=str(error))
            return False
        if resumed is None:
            return False
        self._bus.publish(staff_topic(conversation_id), "resumed", intent=resumed.intent)
        self._delivery.wake()
        return True

    async def resume_pending(self) -> None:
        for conversation in await run_blocking(self._conversations.pending_resumptions):
            await self.resume(conversation.id, settle_seconds=0)

    async def _settled(self, conversation_id: str, seconds: float) -> bool:
        """Whether none of the conversation's messages is on its way any more (delivered or given
        up), waiting up to `seconds` for it."""
        deadline = time.monotonic() + seconds
        while await run_blocking(self._outbox.in_flight, conversation_id):
            if time.monotonic() >= deadline:
                return False
            self._delivery.wake()
            await asyncio.sleep(SETTLE_POLL_SECONDS)
        return True

    def _announce(self, change: Change, kind: str) -> None:
        self._bus.publish(QUEUE, kind, escalation_id=change.escalation_id)
        self._bus.publish(staff_topic(change.conversation_id), kind, escalation_id=change.escalation_id)
        announce_status(self._bus, change.conversation_id, change.channel, change.conversation_status)
