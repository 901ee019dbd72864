"""One fault played: customers open, each sends one message while the fault lasts (and once more
after it when the channel did not acknowledge it), then each message's fate is read from the desk
database and from what the platforms' fakes received."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from bench.faults.customers.api import ApiCustomer
from bench.faults.customers.base import Customer, Sent, first_send, resend
from bench.faults.customers.slack import SlackCustomer
from bench.faults.customers.webchat import WebChatCustomer
from bench.faults.customers.wechat import WeChatCustomer
from bench.faults.customers.wecom import WeComCustomer
from bench.faults.customers.wecom import texts_to as wecom_texts_to
from bench.faults.plan import PLATFORMS, QUESTIONS, FaultName, progress
from bench.faults.scoring import Fate, answer_batches, as_utc
from bench.faults.stack import Stack


async def open_customers(stack: Stack, client: httpx.AsyncClient, n: int) -> list[Customer]:
    """N customers on each channel the app has (the platforms: those whose fake the stack runs)."""
    app_url = stack.system.app_url
    customers: list[Customer] = []
    for _ in range(n):
        customers.append(await ApiCustomer.open(client))
        customers.append(await WebChatCustomer.open(app_url))
        if stack.wechat is not None:
            customers.append(WeChatCustomer(app_url))
        if stack.wecom is not None:
            customers.append(WeComCustomer(app_url, stack.wecom))
        if stack.slack is not None:
            customers.append(SlackCustomer(app_url))
    return customers


async def send_through_fault(
    stack: Stack, fault: FaultName, n: int, quick: bool, *, resend_unacknowledged: bool = True
) -> tuple[list[Sent], datetime]:
    """Customers opened before the fault; each sends one message during it and, when the channel did
    not acknowledge it, once more after it, as a client retries. Returns what each channel said and
    when the fault ended (the system healthy again)."""
    app_url = stack.system.app_url
    async with httpx.AsyncClient(base_url=app_url, timeout=60) as client:
        customers = await open_customers(stack, client, n)
        progress(f"{fault}: {len(customers)} customers open; injecting")
        await asyncio.to_thread(stack.inject, fault)
        texts = [QUESTIONS[i % len(QUESTIONS)] for i in range(len(customers))]
        sending = [asyncio.create_task(first_send(c, t)) for c, t in zip(customers, texts, strict=True)]
        await asyncio.sleep(stack.outage_s(fault, quick))
        await asyncio.to_thread(stack.strike, fault)
        if fault == "database_down":
            # Every request has had its answer (or its timeout) before the database comes back.
            sent = await asyncio.gather(*sending)
            await asyncio.to_thread(stack.recover, fault)
        else:
            await asyncio.to_thread(stack.recover, fault)
            sent = await asyncio.gather(*sending)
        recovered_at = datetime.now(UTC)
        progress(f"{fault}: recovered; acknowledged {sum(s.acknowledged for s in sent)}/{len(sent)}")
        if resend_unacknowledged:
            again = [(c, s) for c, s in zip(customers, sent, strict=True) if not s.acknowledged]
            await asyncio.gather(*(resend(c, s, app_url) for c, s in again))
            if again:
                acknowledged = sum(s.resend_acknowledged for _, s in again)
                progress(f"{fault}: resent {len(again)}, acknowledged {acknowledged}")
        for customer in customers:
            await customer.close()
    return sent, recovered_at


def inspect(database_url: str, sent: Sent, recovered_at: datetime, pushed: Sequence[str] = ()) -> Fate:
    """The message's fate in the desk database; for a platform also the copies of its answer
    delivered (WeChat's passive replies, and `pushed`: the texts the platform's fake got for it)."""
    from sqlalchemy import select

    from desk.database import session_factory
    from desk.models import Message, Sender

    with session_factory(database_url)() as session:
        stored = session.scalar(
            select(Message).where(
                Message.conversation_id == sent.conversation_id, Message.client_message_id == sent.client_message_id
            )
        )
        platform = sent.channel in PLATFORMS
        if stored is None:
            return Fate(sent.acknowledged, sent.resent, sent.resend_acknowledged, False, 0, False, platform=platform)
        replies = session.execute(
            select(Message.created_at, Message.text)
            .where(Message.reply_to == stored.id, Message.sender == Sender.BOT)
            .order_by(Message.id)
        ).all()
    batches = [as_utc(moment) for moment in answer_batches([r.created_at for r in replies])]
    after = bool(batches) and batches[0] >= recovered_at
    delay = (batches[0] - recovered_at).total_seconds() if batches else None
    answers = len(batches)
    delivered = None
    if platform:
        first = replies[0].text if replies else None
        delivered = (
            0
            if first is None
            else sum(first in reply for reply in sent.passive_replies) + sum(first in text for text in pushed)
        )
        answers = max(answers, delivered)
    return Fate(
        sent.acknowledged, sent.resent, sent.resend_acknowledged, True, answers, after, delay, platform, delivered
    )


def pushed_to(stack: Stack, sent: Sent) -> list[str]:
    """The texts the platform's fake got for the message's customer (WeChat, WeCom: each customer
    sends one message) or thread (Slack)."""
    if sent.channel == "wechat" and stack.wechat is not None:
        return stack.wechat.texts_to(sent.conversation_id.removeprefix("wechat:"))
    if sent.channel == "wecom" and stack.wecom is not None:
        _, _, external_userid = sent.conversation_id.split(":")
        return wecom_texts_to(stack.wecom, external_userid)
    if sent.channel == "slack" and stack.slack is not None:
        _, _, channel, thread = sent.conversation_id.split(":")
        return [
            str(call.arguments.get("text", ""))
            for call in stack.slack.calls_to("chat.postMessage")
            if call.arguments.get("channel") == channel and call.arguments.get("thread_ts") == thread
        ]
    return []


async def await_answers(
    database_url: str,
    sent: Sequence[Sent],
    recovered_at: datetime,
    deadline_s: float,
    stack: Stack | None = None,
) -> list[Fate]:
    """Polls until every message stored or acknowledged has an answer (then a little longer, for a
    second one) or the deadline passes. WeCom acknowledges the notice before the app reads the
    message: one acknowledged may not be stored yet."""
    deadline = time.monotonic() + deadline_s
    while True:
        fates = [inspect(database_url, s, recovered_at) for s in sent]
        if all(f.answers or not (f.stored or f.acknowledged or f.acknowledged_on_resend) for f in fates):
            break
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(5.0)  # a duplicate answer would come from a retry round after the first
    return [inspect(database_url, s, recovered_at, pushed_to(stack, s) if stack else ()) for s in sent]
