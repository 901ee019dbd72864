"""What the clients of a cluster fault run sent and saw, kept for the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["api", "webchat"]


@dataclass
class Attempt:
    """One try at sending a message: when, what came back, whether it said when to retry."""

    at: float
    status: str  # "200", "503", "502", "ack", "error:<code>", "ConnectError", "socket closed" …
    accepted: bool  # 2xx or ack, or the answer that says the message is stored and answered later
    retry_after: bool
    server_error: bool  # a 5xx (or a socket error frame that is no refusal)


@dataclass
class SentMessage:
    customer: int
    channel: Channel
    language: str
    conversation_id: str
    client_message_id: str
    seq: int  # its number in its conversation, from 1
    text: str
    first_sent_at: float
    handoff: bool = False  # the customer asked for a human with it
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return any(a.accepted for a in self.attempts)


@dataclass
class Received:
    """A message frame a web-chat customer got (live or in a resumed session's history)."""

    conversation_id: str
    message_id: int
    sender: str
    text: str
    at: float


@dataclass
class AgentReply:
    conversation_id: str
    escalation_id: int
    text: str  # unique: it names the conversation and the reply's number
    posted_at: float
    statuses: list[str] = field(default_factory=list)
    stored: bool = False  # a 201, or the text found in the case file after a failed post


@dataclass
class Fault:
    name: str
    started_at: float
    recovered_at: float | None = None
    recovery: dict[str, float | None] = field(default_factory=dict)  # what came back, seconds after the fault
    note: str = ""
