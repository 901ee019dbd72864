"""Fault injection: what becomes of customers' messages when Rasa, the database or the app fails.

`python -m bench.faults [--messages N] [--quick] [--database postgres|sqlite]`

Starts the real stack (`bench.system.System`: Rasa and the app on free ports, the app retrying
failed turns every second or two), and for each fault opens N customers per channel, injects the
fault, has each customer send one message while it lasts, ends the fault and waits for the answers:

- rasa_down: Rasa stopped, then started again;
- database_down: the desk database unreachable: a private PostgreSQL server (bench.private_postgres)
  stopped and started, or with `--database sqlite` the database file locked by another process for
  longer than the app's busy timeout (as root, file permissions do not stop SQLite; an open
  connection does not notice a renamed file);
- app_killed: Rasa frozen (SIGSTOP), so every turn is in flight, then the app SIGKILLed, Rasa
  resumed and the app started again.

Channels: the conversation API, the web chat's WebSocket, WeChat (signed plaintext callbacks, as
WeChat's servers send them) and Slack (signed Events API direct messages), the app's platform APIs
pointed at the loopback fakes of bench.fakes. WeCom is not driven yet.
For each message it counts whether the channel acknowledged it (API: 2xx, or 503
`assistant_unavailable`, which means stored and answered later; web chat: an `ack` frame, or an
`assistant_unavailable` error; WeChat: HTTP 200 within WeChat's 5 s, "success" or a passive reply;
Slack: HTTP 200 within Slack's 3 s),
whether it is stored in the desk database, whether a bot answer is stored for it
(`Message.reply_to`), after the fault ended, and how many distinct answers (a turn's messages share
their `created_at`; for the platforms also the answer's copies delivered: WeChat's passive reply
plus the pushes to the fake's customer-service API, Slack's chat.postMessage in the thread). Lost:
acknowledged but not stored, or stored but not answered by the deadline; for a platform also a
message never acknowledged (the platform gives up after its retries). A message not acknowledged is
sent again after the fault, with the same id (WeChat: the same MsgId and signed URL; Slack: the same
event, with X-Slack-Retry-Num), standing for the client's or the platform's retry.
Target: 0 lost, 0 answered twice.

The table goes to stdout (Markdown) and bench/results/faults.json; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from bench.fakes.slack import FakeSlack, running_fake_slack
from bench.fakes.wechat import FakeWeChat
from bench.results import write

Channel = Literal["api", "webchat", "wechat", "slack"]
FaultName = Literal["rasa_down", "database_down", "app_killed"]
CHANNELS: tuple[Channel, ...] = ("api", "webchat", "wechat", "slack")
PLATFORMS: tuple[Channel, ...] = ("wechat", "slack")
FAULTS: tuple[FaultName, ...] = ("rasa_down", "database_down", "app_killed")
# Their platforms' fakes are in bench.fakes; the bench does not drive them yet.
NOT_RUN = {
    "wecom": "not driven by the bench yet (its fake: bench.fakes.wecom)",
}
QUESTIONS = (
    "How long is the warranty on the battery?",
    "How long does a refund to WeChat Pay take?",
    "退款一般几天到账？",
    "Which courier do you use?",
    "保修要提供什么凭证？",
)
# The app retries failed turns this often (engine/retries.py; 5 s doubling by default).
RETRY_ENV = {"APP_ANSWER_RETRY_SECONDS": "1", "APP_ANSWER_RETRY_LONGEST_SECONDS": "2"}
# A message left "processing" by a killed app is taken again after desk.conversations'
# STALE_PROCESSING (2 minutes): the app_killed fault waits longer than that.
DEADLINE_S: dict[FaultName, float] = {"rasa_down": 60.0, "database_down": 60.0, "app_killed": 200.0}
# The app's SQLite busy timeout is 30 s (desk/database.py): a shorter lock only slows writes down.
SQLITE_LOCK_S = 35.0
SEND_TIMEOUT_S = 45.0
# The WeChat account of the run (the fake's credentials) and WeChat's patience with a callback.
WECHAT_APP_ID = "wx5f6e7d8c9b0a1234"
WECHAT_APP_SECRET = "0123456789abcdef0123456789abcdef"
WECHAT_TOKEN = "LumioWeChatFaults2026"
WECHAT_TIMEOUT_S = 5.0
# The Slack app of the run, and Slack's patience with an event (it retries after 3 s).
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_BOT_TOKEN = "xoxb-faults-0000-secret-token"
SLACK_TIMEOUT_S = 3.0


# ---------------------------------------------------------------- scoring (pure, unit-tested)


def api_acknowledged(status: int, body: str) -> bool:
    """2xx, or the 503 that says the message is stored and will be answered (api/errors.py)."""
    if 200 <= status < 300:
        return True
    if status != 503:
        return False
    try:
        code = json.loads(body).get("error", {}).get("code")
    except (ValueError, AttributeError):
        return False
    return bool(code == "assistant_unavailable")


def webchat_acknowledged(frame: dict[str, Any]) -> bool:
    """`ack`, or the `assistant_unavailable` refusal (stored; the retry loop pushes the answer)."""
    if frame.get("type") == "ack":
        return True
    return frame.get("type") == "error" and frame.get("code") == "assistant_unavailable"


@dataclass(frozen=True)
class Fate:
    """What became of one customer message."""

    acknowledged: bool
    resent: bool
    acknowledged_on_resend: bool
    stored: bool
    # Distinct bot answers stored for it, and whether the first came after the fault ended.
    answers: int
    answered_after_recovery: bool
    # Seconds from the fault's end to the first answer (negative: answered during it).
    answer_delay_s: float | None = None
    # A platform (WeChat) retries a message it got no acknowledgement for, then gives up: one never
    # acknowledged is lost, whoever stored it.
    platform: bool = False
    # Platform channels: copies of its (first stored) answer delivered to the platform, passive
    # replies plus pushes to its send API.
    delivered: int | None = None

    @property
    def lost(self) -> bool:
        told = self.acknowledged or self.acknowledged_on_resend
        if self.platform and not told:
            return True
        return (told and not self.stored) or (self.stored and self.answers == 0)


def tally(fates: Sequence[Fate]) -> dict[str, int]:
    return {
        "sent": len(fates),
        "acknowledged": sum(f.acknowledged for f in fates),
        "resent": sum(f.resent for f in fates),
        "acknowledged_on_resend": sum(f.acknowledged_on_resend for f in fates),
        "stored": sum(f.stored for f in fates),
        "answered": sum(f.answers > 0 for f in fates),
        "answered_after_recovery": sum(f.answered_after_recovery for f in fates),
        "lost": sum(f.lost for f in fates),
        "answered_twice": sum(f.answers > 1 for f in fates),
    }


COLUMNS = (
    "sent",
    "acknowledged",
    "resent",
    "acknowledged_on_resend",
    "stored",
    "answered",
    "answered_after_recovery",
    "lost",
    "answered_twice",
)


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """One line per channel and fault; a row with a `not_run` reason shows it instead of figures."""
    header = ["channel", "fault", *(c.replace("_", " ") for c in COLUMNS), "slowest answer after recovery (s)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if row.get("not_run"):
            cells = [row["channel"], row["fault"], f"not run: {row['not_run']}", *([""] * len(COLUMNS))]
        else:
            slowest = row.get("slowest_answer_after_recovery_s")
            cells = [
                row["channel"],
                row["fault"],
                *(str(row[c]) for c in COLUMNS),
                "" if slowest is None else str(slowest),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def answer_batches(created: Sequence[datetime]) -> list[datetime]:
    """Distinct answers among a message's bot replies: one turn stores its messages at one instant."""
    return sorted(set(created))


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# ---------------------------------------------------------------- customers on the channels


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


def new_message_id() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


class ApiCustomer:
    def __init__(self, client: httpx.AsyncClient, conversation_id: str, key: str) -> None:
        self._client = client
        self.conversation_id = conversation_id
        self._headers = {"Authorization": f"Bearer {key}"}

    @classmethod
    async def open(cls, client: httpx.AsyncClient) -> ApiCustomer:
        response = await client.post("/api/v1/conversations", json={})
        response.raise_for_status()
        body = response.json()
        return cls(client, body["conversation_id"], body["access_key"])

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        """Whether the API acknowledged the message, and what it answered."""
        try:
            response = await self._client.post(
                f"/api/v1/conversations/{self.conversation_id}/messages",
                json={"text": text, "message_id": message_id},
                headers=self._headers,
                timeout=SEND_TIMEOUT_S,
            )
        except httpx.HTTPError as error:
            return False, type(error).__name__
        return api_acknowledged(response.status_code, response.text), f"HTTP {response.status_code}"

    async def reconnect(self, app_url: str) -> None:
        return None  # each request is its own connection

    async def close(self) -> None:
        return None


class WebChatCustomer:
    """A widget on `/chat/ws` (channels/webchat/protocol.py): hello, then its message frames."""

    def __init__(self, socket: Any, conversation_id: str) -> None:
        self._socket = socket
        self.conversation_id = conversation_id

    @staticmethod
    async def _session(app_url: str, conversation_id: str | None) -> tuple[Any, str]:
        from websockets.asyncio.client import connect

        socket = await connect(app_url.replace("http://", "ws://") + "/chat/ws", open_timeout=30)
        hello: dict[str, Any] = {"type": "hello", "language": "en"}
        if conversation_id:
            hello["conversation_id"] = conversation_id
        await socket.send(json.dumps(hello))
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if frame.get("type") == "session":
                return socket, str(frame["conversation_id"])

    @classmethod
    async def open(cls, app_url: str) -> WebChatCustomer:
        return cls(*await cls._session(app_url, None))

    async def reconnect(self, app_url: str) -> None:
        """As the widget does after a drop: resume the conversation. A conversation is stored with
        its first message: one whose first message was refused comes back under a new id."""
        await self.close()
        self._socket, self.conversation_id = await self._session(app_url, self.conversation_id)

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        frame: dict[str, Any] = {}
        try:
            await self._socket.send(json.dumps({"type": "message", "text": text, "client_message_id": message_id}))
            async with asyncio.timeout(SEND_TIMEOUT_S):
                while frame.get("client_message_id") != message_id:
                    frame = json.loads(await self._socket.recv())
        except Exception as error:  # closed (the app killed) or no answer in time: not acknowledged
            return False, type(error).__name__
        return webchat_acknowledged(frame), str(frame.get("code", frame["type"]))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close()


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature: SHA-1 of the token, timestamp and nonce, sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


class WeChatCustomer:
    """A follower of the Official Account: WeChat's servers POST each of its messages to
    `/channels/wechat` (plaintext mode, signed URL) and wait 5 s; a retry has the same MsgId and URL."""

    def __init__(self, app_url: str) -> None:
        self._app_url = app_url
        self.openid = f"oFaults_{uuid.uuid4().hex[:20]}"
        self.conversation_id = f"wechat:{self.openid}"
        self.passive_replies: list[str] = []
        self._queries: dict[str, dict[str, str]] = {}

    @staticmethod
    def new_message_id() -> str:
        return str(secrets.randbelow(10**17) + 10**17)  # WeChat's MsgId: a 64-bit number

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        query = self._queries.get(message_id)
        if query is None:  # the first delivery; a retry is the same request again
            stamp, nonce = str(int(time.time())), secrets.token_hex(5)
            signature = wechat_signature(WECHAT_TOKEN, stamp, nonce)
            query = {"signature": signature, "timestamp": stamp, "nonce": nonce, "openid": self.openid}
            self._queries[message_id] = query
        xml = (
            f"<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{query['timestamp']}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{message_id}</MsgId></xml>"
        )
        try:
            async with httpx.AsyncClient(timeout=WECHAT_TIMEOUT_S) as client:
                response = await client.post(f"{self._app_url}/channels/wechat", params=query, content=xml.encode())
        except httpx.HTTPError as error:  # no answer within WeChat's 5 s, or the app gone: WeChat retries
            return False, type(error).__name__
        if response.status_code != 200:
            return False, f"HTTP {response.status_code}"
        if response.text != "success":
            self.passive_replies.append(response.text)
            return True, "HTTP 200 passive reply"
        return True, "HTTP 200 success"

    async def reconnect(self, app_url: str) -> None:
        return None

    async def close(self) -> None:
        return None


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0= and HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


class SlackCustomer:
    """A user's direct message to the app: Slack POSTs the event to `/channels/slack/events` and
    waits 3 s; a retry has the same `event_id` and body, with `X-Slack-Retry-Num`."""

    def __init__(self, app_url: str) -> None:
        self._app_url = app_url
        self.channel = "D" + uuid.uuid4().hex[:10].upper()
        self.ts = f"{int(time.time())}.{secrets.randbelow(10**6):06d}"
        self.conversation_id = f"slack:T1:{self.channel}:{self.ts}"
        self._event_id = "Ev" + uuid.uuid4().hex[:12].upper()
        self._deliveries = 0

    def new_message_id(self) -> str:
        return f"slack:{self.ts}"  # the app's id of the message (channels/slack/events.py)

    async def send(self, text: str, message_id: str) -> tuple[bool, str]:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": self.channel,
            "user": "U1",
            "team": "T1",
            "text": text,
            "ts": self.ts,
            "event_ts": self.ts,
        }
        envelope = {
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": self._event_id,
            "event_time": int(float(self.ts)),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        body = json.dumps(envelope).encode()
        stamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": slack_signature(SLACK_SIGNING_SECRET, stamp, body),
        }
        if self._deliveries:
            headers["x-slack-retry-num"] = str(self._deliveries)
            headers["x-slack-retry-reason"] = "http_error"
        self._deliveries += 1
        try:
            async with httpx.AsyncClient(timeout=SLACK_TIMEOUT_S) as client:
                response = await client.post(f"{self._app_url}/channels/slack/events", content=body, headers=headers)
        except httpx.HTTPError as error:  # no answer within Slack's 3 s, or the app gone: Slack retries
            return False, type(error).__name__
        return response.status_code == 200, f"HTTP {response.status_code}"

    async def reconnect(self, app_url: str) -> None:
        return None

    async def close(self) -> None:
        return None


Customer = ApiCustomer | WebChatCustomer | WeChatCustomer | SlackCustomer
CHANNEL_OF: dict[type[Customer], Channel] = {
    ApiCustomer: "api",
    WebChatCustomer: "webchat",
    WeChatCustomer: "wechat",
    SlackCustomer: "slack",
}


async def first_send(customer: Customer, text: str) -> Sent:
    message_id = customer.new_message_id() if isinstance(customer, WeChatCustomer | SlackCustomer) else new_message_id()
    acknowledged, response = await customer.send(text, message_id)
    channel = CHANNEL_OF[type(customer)]
    sent = Sent(channel, customer.conversation_id, message_id, text, acknowledged, response)
    if isinstance(customer, WeChatCustomer):
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
    if isinstance(customer, WeChatCustomer):
        sent.passive_replies = list(customer.passive_replies)


# ---------------------------------------------------------------- the faults


def progress(message: str) -> None:
    print(f"[bench-faults] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def signal_tree(pid: int, signum: signal.Signals) -> None:
    """A process and its children (Rasa's launcher may run Rasa in a child)."""
    import psutil

    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)


class SqliteLock:
    """Another process's exclusive transaction on the app's SQLite file: the app's writes wait for
    its busy timeout and then fail, as with a database that does not answer."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def take(self) -> None:
        self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self._connection is not None:
            self._connection.execute("ROLLBACK")
            self._connection.close()
            self._connection = None


@dataclass
class Stack:
    """The running system and the handle of its database outage."""

    system: Any  # bench.system.System (imported late: it starts nothing at import, but keeps this light)
    postgres: Any | None  # bench.private_postgres.PrivatePostgres
    sqlite_lock: SqliteLock | None
    # The platform fakes the app is configured with; None: the app has no such channel.
    wechat: FakeWeChat | None = None
    slack: FakeSlack | None = None

    def outage_s(self, fault: FaultName, quick: bool) -> float:
        if fault == "database_down" and self.sqlite_lock is not None:
            return SQLITE_LOCK_S
        return 2.0 if quick else 4.0

    def inject(self, fault: FaultName) -> None:
        if fault == "rasa_down":
            self.system.rasa.stop()
        elif fault == "database_down":
            if self.postgres is not None:
                self.postgres.stop()
            elif self.sqlite_lock is not None:
                self.sqlite_lock.take()
        else:  # app_killed: freeze Rasa, so the turns are in flight when the app dies
            signal_tree(self.system.rasa.popen.pid, signal.SIGSTOP)

    def strike(self, fault: FaultName) -> None:
        """The moment of the fault itself, while the messages are in flight."""
        if fault == "app_killed":
            self.system.app.popen.kill()
            self.system.app.popen.wait()

    def recover(self, fault: FaultName) -> None:
        if fault == "rasa_down":
            self.system.rasa.start()
        elif fault == "database_down":
            if self.postgres is not None:
                self.postgres.start()
            elif self.sqlite_lock is not None:
                self.sqlite_lock.release()
        else:
            signal_tree(self.system.rasa.popen.pid, signal.SIGCONT)
            self.system.app.stop()  # closes the dead process's log handle
            self.system.app.start()
        self.system.wait_healthy()


async def open_customers(
    app_url: str, client: httpx.AsyncClient, n: int, *, wechat: bool = False, slack: bool = False
) -> list[Customer]:
    customers: list[Customer] = []
    for _ in range(n):
        customers.append(await ApiCustomer.open(client))
        customers.append(await WebChatCustomer.open(app_url))
        if wechat:
            customers.append(WeChatCustomer(app_url))
        if slack:
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
        customers = await open_customers(
            app_url, client, n, wechat=stack.wechat is not None, slack=stack.slack is not None
        )
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
    """The texts the platform's fake got for the message's customer (WeChat) or thread (Slack)."""
    if sent.channel == "wechat" and stack.wechat is not None:
        return stack.wechat.texts_to(sent.conversation_id.removeprefix("wechat:"))
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
    """Polls until every stored message has an answer (then a little longer, for a second one) or
    the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        fates = [inspect(database_url, s, recovered_at) for s in sent]
        if all(not f.stored or f.answers for f in fates) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(5.0)  # a duplicate answer would come from a retry round after the first
    return [inspect(database_url, s, recovered_at, pushed_to(stack, s) if stack else ()) for s in sent]


def run_fault(stack: Stack, fault: FaultName, n: int, quick: bool, resend_unacknowledged: bool) -> list[dict[str, Any]]:
    async def play() -> tuple[list[Sent], list[Fate]]:
        sent, recovered_at = await send_through_fault(
            stack, fault, n, quick, resend_unacknowledged=resend_unacknowledged
        )
        progress(f"{fault}: waiting up to {DEADLINE_S[fault]:.0f} s for the answers")
        fates = await await_answers(stack.system.database_url, sent, recovered_at, DEADLINE_S[fault], stack)
        return sent, fates

    sent, fates = asyncio.run(play())
    rows = []
    for channel in CHANNELS:
        mine = [(s, f) for s, f in zip(sent, fates, strict=True) if s.channel == channel]
        row: dict[str, Any] = {"channel": channel, "fault": fault, **tally([f for _, f in mine])}
        row["responses"] = dict(sorted(_count(s.response for s, _ in mine).items()))
        delays = [f.answer_delay_s for _, f in mine if f.answer_delay_s is not None]
        row["slowest_answer_after_recovery_s"] = round(max(delays), 1) if delays else None
        if channel in PLATFORMS:
            row["answer_delivered_to_platform"] = sum(bool(f.delivered) for _, f in mine)
        row["resend_responses"] = dict(sorted(_count(s.resend_response for s, _ in mine if s.resent).items()))
        row["messages"] = [{**asdict(s), **asdict(f), "lost": f.lost} for s, f in mine]
        progress(f"{fault} {channel}: " + ", ".join(f"{c} {row[c]}" for c in COLUMNS))
        rows.append(row)
    return rows


def _count(values: Iterator[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


@contextlib.contextmanager
def running_stack(database: str, workdir: Path | None) -> Iterator[Stack]:
    from bench import private_postgres
    from bench.system import System, rasa_model

    model = rasa_model()
    postgres = None
    if database == "postgres":
        reason = private_postgres.missing()
        if reason:
            raise SystemExit(f"--database postgres: {reason} (try --database sqlite)")
        postgres = private_postgres.PrivatePostgres()
    with tempfile.TemporaryDirectory(prefix="bench-faults-", dir=workdir) as directory:
        wechat = FakeWeChat(WECHAT_APP_ID, WECHAT_APP_SECRET).start()
        slack_fake = contextlib.ExitStack()
        slack = slack_fake.enter_context(running_fake_slack(SLACK_BOT_TOKEN))
        try:
            url = ""
            if postgres is not None:
                postgres.init()
                postgres.start()
                url = postgres.url
            env = {
                **RETRY_ENV,
                "WECHAT_APP_ID": WECHAT_APP_ID,
                "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
                "WECHAT_TOKEN": WECHAT_TOKEN,
                "WECHAT_API_BASE_URL": wechat.base_url,
                "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
                "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
                "SLACK_API_BASE_URL": slack.base_url,
            }
            system = System(workdir=Path(directory), model=model, database_url=url, extra_env=env)
            progress(f"starting Rasa ({model.name}) and the app on {database}; logs in {directory}")
            system.start()
            lock = SqliteLock(Path(directory) / "desk.db") if postgres is None else None
            try:
                yield Stack(system, postgres, lock, wechat, slack)
            finally:
                system.stop()
        finally:
            wechat.stop()
            slack_fake.close()
            if postgres is not None:
                postgres.remove()


def not_run_rows() -> list[dict[str, Any]]:
    return [{"channel": c, "fault": "all", "not_run": reason} for c, reason in NOT_RUN.items()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=5, help="messages per channel and fault (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 messages per channel and fault, short outages")
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, of {', '.join(FAULTS)}")
    parser.add_argument(
        "--no-resend", action="store_true", help="clients do not send unacknowledged messages again after a fault"
    )
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--workdir", type=Path, help="where the temporary databases and logs go")
    args = parser.parse_args(argv)
    requested = [f for f in args.faults.split(",") if f]
    if unknown := [f for f in requested if f not in FAULTS]:
        parser.error(f"unknown faults: {unknown}")
    faults = [f for f in FAULTS if f in requested]
    n = 2 if args.quick else args.messages
    if n < 1:
        parser.error("--messages must be positive")
    rows: list[dict[str, Any]] = []
    with running_stack(args.database, args.workdir) as stack:
        for fault in faults:
            rows += run_fault(stack, fault, n, args.quick, not args.no_resend)
    rows += not_run_rows()
    table = markdown(rows)
    settings = {
        "messages": n,
        "faults": faults,
        "database": args.database,
        "resend_unacknowledged": not args.no_resend,
        "retry_env": RETRY_ENV,
        "outage_s": {f: stack.outage_s(f, args.quick) for f in faults},
        "answer_deadline_s": {f: DEADLINE_S[f] for f in faults},
    }
    with contextlib.redirect_stdout(sys.stderr):  # results.write prints the record: stdout is the table's
        write("faults", {"settings": settings, "table": table, "rows": rows})
    print(table)
    failed = sum(r.get("lost", 0) + r.get("answered_twice", 0) for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
