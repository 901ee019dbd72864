"""The retry loop: customer messages whose turn failed (Rasa down, or too slow to answer) are
answered once Rasa is back, and the answers pushed to the customer through the conversation's
channel by the outbox, as an agent's reply is. A message a platform was told we received (WeChat,
Slack and the web chat's socket are never asked to send it again) is not left without an answer.

Each round gives up the messages waiting longer than the schedule's bound (shown "unanswered" in
the console's transcript), then takes each conversation whose oldest waiting message is due and
answers its waiting messages in order, each claimed first (a conditional update: one replica, or
the customer's new turn, answers it), holding the conversation's lock (`TurnService.exclusive`): a
conversation whose lock is taken, or with an earlier message in flight, is left to whoever has it. Every message is answered, not only the latest: a customer
who wrote twice during an outage may have said two different things (an order number, then the
question), and Rasa's dialogue state needs both in the order written. The first attempt that fails
waits for its next turn in the schedule, and the conversation's later messages wait behind it.
"""

from __future__ import annotations

import asyncio

import structlog

from desk.answer_backlog import AnswerBacklog, RetrySchedule
from desk.conversations import ConversationStore, StoredMessage
from desk.turns import Outcome
from engine.blocking import run_blocking
from engine.delivery import DeliveryWorker
from engine.events import EventBus, staff_topic
from engine.metrics import Metrics
from engine.rasa_gateway import RasaUnavailable
from engine.turns import ConversationBusy, TurnResult, TurnService

log = structlog.get_logger(__name__)


class AnswerRetries:
    def __init__(
        self,
        backlog: AnswerBacklog,
        conversations: ConversationStore,
        turns: TurnService,
        delivery: DeliveryWorker,
        bus: EventBus,
        metrics: Metrics,
        schedule: RetrySchedule,
    ) -> None:
        self._backlog = backlog
        self._conversations = conversations
        self._turns = turns
        self._delivery = delivery
        self._bus = bus
        self._metrics = metrics
        self._schedule = schedule

    async def run(self) -> None:
        """Rounds until cancelled, as often as the shortest wait of the schedule."""
        while True:
            try:
                await self.retry_due()
            except Exception:  # the loop must outlive one bad round (e.g. the database restarting)
                log.exception("retry_round_failed")
            await asyncio.sleep(self._schedule.first.total_seconds())

    async def retry_due(self) -> int:
        """One round; how many messages it answered."""
        for given_up in await run_blocking(self._backlog.give_up, self._schedule):
            self._metrics.retries.labels("gave_up").inc()
            log.warning("message_unanswered", conversation=given_up.conversation_id, message=given_up.message_id)
            self._bus.publish(staff_topic(given_up.conversation_id), "unanswered", message_id=given_up.message_id)
        answered = 0
        for waiting in await run_blocking(self._backlog.due):
            answered += await self._answer_in_order(waiting)
        self._metrics.waiting.set(await run_blocking(self._backlog.waiting))
        return answered

    async def _answer_in_order(self, waiting: list[StoredMessage]) -> int:
        answered = 0
        try:
            async with self._turns.exclusive(waiting[0].conversation_id, waiting[0].id):
                for message in waiting:
                    if not await self._answer_one(message):
                        return answered
                    answered += 1
        except ConversationBusy:
            pass  # another request or replica answers the conversation now (and its waiting messages first)
        return answered

    async def _answer_one(self, message: StoredMessage) -> bool:
        """Answer one claimed message; False when it could not be (claimed elsewhere, or Rasa failed):
        the conversation's later messages wait behind it."""
        if not await run_blocking(self._conversations.claim, message.id):
            return False  # another replica, or the customer's new turn, answers them now
        try:
            result = await self._turns.answer_claimed(message)
        except RasaUnavailable as error:
            attempts = await run_blocking(self._backlog.failed, message.id, str(error), self._schedule)
            self._metrics.retries.labels("failed").inc()
            log.info("retry_failed", conversation=message.conversation_id, message=message.id, attempts=attempts)
            return False
        self._metrics.retries.labels(_result(result)).inc()
        log.info("retry_answered", conversation=message.conversation_id, message=message.id, result=_result(result))
        await self._delivery.push([reply.id for reply in result.messages])
        return True


def _result(result: TurnResult) -> str:
    if result.outcome == Outcome.QUEUED:
        return "to_agents"
    return "recovered" if result.recovered else "answered"
