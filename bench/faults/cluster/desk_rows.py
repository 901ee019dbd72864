"""The desk database's side of a cluster fault run: the run's customer messages, their bot answers and
the agent replies, read once the load is over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredRow:
    id: int
    conversation_id: str
    client_message_id: str
    state: str


@dataclass(frozen=True)
class ReplyRow:
    id: int
    reply_to: int
    created_at: datetime


@dataclass(frozen=True)
class AgentRow:
    id: int
    conversation_id: str
    text: str
    delivery: str | None


@dataclass(frozen=True)
class DeskRows:
    stored: list[StoredRow]
    replies: list[ReplyRow]
    agent: list[AgentRow]


def read(database_url: str, run: str, conversations: Iterable[str]) -> DeskRows:
    from sqlalchemy import select

    from desk.database import session_factory
    from desk.models import Message, Sender

    with session_factory(database_url)() as session:
        stored = [
            StoredRow(m.id, m.conversation_id, m.client_message_id or "", str(m.state))
            for m in session.scalars(
                select(Message).where(Message.sender == Sender.CUSTOMER, Message.client_message_id.like(f"cf-{run}-%"))
            )
        ]
        ids = [s.id for s in stored]
        replies = [
            ReplyRow(m.id, m.reply_to or 0, m.created_at)
            for m in session.scalars(select(Message).where(Message.sender == Sender.BOT, Message.reply_to.in_(ids)))
        ]
        agent = [
            AgentRow(m.id, m.conversation_id, m.text, m.delivery)
            for m in session.scalars(
                select(Message).where(Message.sender == Sender.AGENT, Message.conversation_id.in_(list(conversations)))
            )
        ]
    return DeskRows(stored, replies, agent)


def all_settled(rows: DeskRows) -> bool:
    """Every stored message of the run answered or held for the agent."""
    answered = {r.reply_to for r in rows.replies}
    return all(s.id in answered or s.state == "held" for s in rows.stored)
