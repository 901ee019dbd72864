"""Resuming Rasa once after an agent closed an escalation.

A close (resolve, hand back) leaves the conversation an intent to resume Rasa with (the CSAT
question, "back to the assistant"). Three places may resume it: the close itself, the background
retry, and the customer's next turn. Whoever claims the intent in the database tells Rasa; the
others skip, so the customer is asked for a rating once. A resume that fails (Rasa down) releases
its claim, so a later turn or retry tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from desk.conversations import ConversationStore
from engine.blocking import run_blocking
from engine.rasa_gateway import JSON, RasaGateway, time_left

# How long a customer's turn waits for a resume another request has in flight: longer than Rasa's
# two calls usually take, shorter than a client's patience.
TURN_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Resumed:
    intent: str
    replies: list[JSON]


async def resume_once(
    store: ConversationStore,
    rasa: RasaGateway,
    conversation_id: str,
    record: Callable[[Resumed], Awaitable[None]] | None = None,
) -> Resumed | None:
    """Resume Rasa with the pending intent if this request wins the claim (None: nothing pending, or
    another request has it). `record` stores what Rasa said before the intent counts as done; if
    it or Rasa fails, the claim is released and the error raised."""
    intent = await run_blocking(store.claim_resumption, conversation_id)
    if intent is None:
        return None
    try:
        resumed = Resumed(intent, await rasa.resume_with(conversation_id, intent))
        if record is not None:
            await record(resumed)
    except BaseException:
        # Cancelled or failed: give the claim back rather than leave it to expire.
        await run_blocking(store.release_resumption, conversation_id)
        raise
    await run_blocking(store.resumed, conversation_id, intent)
    return resumed


async def resume_before_turn(
    store: ConversationStore, rasa: RasaGateway, conversation_id: str, wait: float = TURN_WAIT_SECONDS
) -> list[JSON]:
    """Before a customer's message goes to Rasa: resume it if still pending (its replies come first
    in the turn's answer). If another request is resuming it right now, wait for that to finish: a
    paused Rasa would take the customer's message without answering it. The wait ends with the turn's
    deadline for Rasa at the latest."""
    deadline = time.monotonic() + max(0.0, min(wait, time_left()))
    while True:
        resumed = await resume_once(store, rasa, conversation_id)
        if resumed is not None:
            return resumed.replies
        current = await run_blocking(store.get, conversation_id)
        if current is None or current.rasa_pending_intent is None or time.monotonic() >= deadline:
            return []
        await asyncio.sleep(POLL_SECONDS)
