"""How many new escalations a conversation and a client may open: the agents' queue is shared by
every customer, so nobody may fill it by asking for a human again and again, or from many
conversations at once.

A conversation waiting in the queue already opens no second one (its messages go to the agents,
desk/escalations.py). Beyond that, before each turn the turn service asks `allows` and tells
`action_handoff` through the message metadata (`desk.handoff.MAY_ESCALATE`); a turn that did open
one is counted (`spend`). Refused, the customer is told so and the bot goes on answering."""

from __future__ import annotations

from engine.rate_limiter import Limits, RateLimiter
from engine.turns import Inbound


def client_key(inbound: Inbound) -> str | None:
    """Who is asking: the client's address where the app sees it (web chat, conversation API), else
    the customer the platform vouches for (WeChat's openid, Slack's user); None when neither is known
    (an integration that names no customer: its own conversations still count)."""
    return inbound.client or inbound.customer_id


class EscalationBudget:
    def __init__(self, limiter: RateLimiter, per_conversation: Limits, per_client: Limits) -> None:
        self._limiter = limiter
        self._per_conversation = per_conversation
        self._per_client = per_client

    async def allows(self, inbound: Inbound) -> bool:
        if await self._limiter.peek(self._per_conversation, "escalations", inbound.conversation_id):
            return False
        client = client_key(inbound)
        return client is None or not await self._limiter.peek(self._per_client, "client-escalations", client)

    async def spend(self, inbound: Inbound) -> None:
        """Count an escalation this turn opened."""
        await self._limiter.hit(self._per_conversation, "escalations", inbound.conversation_id)
        client = client_key(inbound)
        if client is not None:
            await self._limiter.hit(self._per_client, "client-escalations", client)
