"""What every channel's customer does, and what is kept of each message sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from bench.faults.plan import Channel


@dataclass
class Sent:
    channel: Channel
    conversation_id: str
    client_message_id: str
    text: str
    acknowledged: bool
    response: str  # the status or frame that decided it, for the record
    # After the fault, a client sends an unacknowledged message again, with the same id.
    resent: bool = False
    resend_acknowledged: bool = False
    resend_response: str = ""
    # WeChat: the passive replies its callbacks got (the answer in the HTTP response).
    passive_replies: list[str] = field(default_factory=list)


class Customer(Protocol):
    channel: ClassVar[Channel]
    # The desk's id of the customer's conversation (it may change on a reconnect: the web chat).
    conversation_id: str
    # Answers the channel gave in its responses (WeChat's passive replies), for the delivered count.
    passive_replies: list[str]

    def new_message_id(self) -> str:
        """The id of a new message, as the channel's client or platform numbers them."""
        ...

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        """Send (or send again) the message: whether the channel acknowledged it, and how."""
        ...

    async def reconnect(self, app_url: str) -> None: ...

    async def close(self) -> None: ...


def fault_message_id() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


async def first_send(customer: Customer, text: str) -> Sent:
    message_id = customer.new_message_id()
    acknowledged, response = await customer.send(text, message_id)
    sent = Sent(customer.channel, customer.conversation_id, message_id, text, acknowledged, response)
    sent.passive_replies = list(customer.passive_replies)
    return sent


async def resend(customer: Customer, sent: Sent, app_url: str) -> None:
    """The client's retry of a message the channel did not acknowledge, once the fault is over."""
    try:
        await customer.reconnect(app_url)
    except Exception as error:
        sent.resent, sent.resend_response = True, f"reconnect: {type(error).__name__}"
        return
    sent.conversation_id = customer.conversation_id
    sent.resent = True
    sent.resend_acknowledged, sent.resend_response = await customer.send(sent.text, sent.client_message_id)
    sent.passive_replies = list(customer.passive_replies)
