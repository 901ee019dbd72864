"""Fault injection, the quick case of `python -m bench.faults`: messages sent on the conversation API
and the web chat while Rasa is stopped are each answered exactly once after it is back."""

from __future__ import annotations

import asyncio

import pytest

from bench.faults.play import await_answers, send_through_fault
from bench.faults.stack import Stack
from bench.system import System

pytestmark = pytest.mark.e2e

# The session's system retries failed turns on the app's default schedule (5 s, doubling): Rasa's
# restart plus a few retry rounds.
DEADLINE_S = 120.0


def test_messages_sent_while_rasa_is_down_are_answered_once_when_it_is_back(system: System) -> None:
    # Stopping and starting the session's Rasa is allowed (test_conversations.py restarts it too).
    stack = Stack(system, postgres=None, sqlite_lock=None)

    async def play() -> None:
        sent, recovered_at = await send_through_fault(stack, "rasa_down", 2, quick=True)
        assert [s.acknowledged for s in sent] == [True] * 4, sent
        fates = await await_answers(system.database_url, sent, recovered_at, DEADLINE_S)
        assert all(f.stored for f in fates), fates
        assert [f.answers for f in fates] == [1] * 4, fates
        assert all(f.answered_after_recovery for f in fates), fates

    asyncio.run(play())
