"""The WeChat Official Account (公众号) channel.

`GET /channels/wechat` answers WeChat's URL verification; `POST /channels/wechat` receives messages
and events. Every callback is verified (signature, timestamp window, `msg_signature` and AES in
compatible/safe mode) before anything is stored. A message becomes one turn of the router; the turn
runs as a task and, when it finishes within the passive-reply budget (WeChat waits 5 s), its reply
goes back in the HTTP response. Otherwise WeChat gets "success" at once and the stored reply is
pushed through the outbox, which sends it with the customer-service API (`deliver`).

WeChat retries a delivery it got no answer to, three times. Each message (MsgId; for events sender +
time + event) is answered once: the router stores a client message id once, and a retry that
arrives while the first is being answered joins it here, so only one of them replies. A message
that could not be stored (database down) is never acknowledged: its request gets no answer until
WeChat has stopped waiting (then 503), so WeChat sends it again; its signature is forgotten, so
the retry is taken. Nobody is told "saved" of a message that was not.

A signed URL (signature over timestamp and nonce) is taken once (channels/replays.py): a request
sent again with it gets "success" and nothing of its body is used. Plaintext mode, where the
signature does not cover the body, is refused in production unless explicitly allowed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Literal

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.crypto import WeChatCrypto

from channels.replays import ReplayGuard
from channels.request_body import BodyTooLarge, read_body
from channels.wechat.api import WeChatApi
from channels.wechat.protocol import (
    Refused,
    WeChatMessage,
    open_envelope,
    parse,
    text_reply,
    verify_callback,
)
from channels.wechat.render import WELCOME, chosen_option, with_options
from channels.wechat.settings import WeChatSettings
from desk.conversations import StoredMessage
from desk.copy import say
from desk.customers import channel_identity
from desk.message_text import cleaned
from desk.outbox import Outgoing
from engine.port import AssistantPort, Refusal, Reply
from engine.turns import Inbound
from knowledge.language import Language

log = structlog.get_logger(__name__)

PATH = "/channels/wechat"
CHANNEL = "wechat"
# WeChat retries three times, 5 s apart: remember a finished message this long after it finished.
REMEMBER_SECONDS = 60.0
# A new conversation's language when its first message tells none: the Official Account's audience
# writes Chinese. (The turn service decides every turn's language; this is only its hint.)
DEFAULT_LANGUAGE: Language = "zh"


def conversation_id_of(openid: str) -> str:
    return f"wechat:{openid}"


@dataclass(frozen=True)
class Answer:
    """What one message gets back: texts for a passive reply, and the stored bot messages among them
    (pushed through the outbox when the passive reply is no longer possible)."""

    texts: list[str] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    # False: nothing of the message was kept; WeChat must send it again (`texts` ask the customer to,
    # for when the request has already been answered "success").
    stored: bool = True


NOTHING = Answer()


@dataclass
class Work:
    """One message being answered, shared by WeChat's retries of it."""

    message: WeChatMessage
    task: asyncio.Task[Answer] | None = None
    # Who gives the answer: the HTTP response of one request, or the outbox after the budget.
    owner: Literal["reply", "push"] | None = None
    push_when_done: bool = False


class WeChatAdapter:
    name = CHANNEL

    def __init__(self, settings: WeChatSettings, *, production: bool = False) -> None:
        if not settings.enabled or settings.app_id is None or settings.app_secret is None or settings.token is None:
            raise ValueError("the WeChat channel needs WECHAT_APP_ID, WECHAT_APP_SECRET and WECHAT_TOKEN")
        if production and not settings.encrypted and not settings.allow_plaintext_in_production:
            raise ValueError(
                "WeChat plaintext mode is refused in production: set WECHAT_ENCODING_AES_KEY (safe mode), "
                "or WECHAT_ALLOW_PLAINTEXT_IN_PRODUCTION=true to accept forged messages on captured URLs"
            )
        self._settings = settings
        self._app_id = settings.app_id
        self._app_secret = settings.app_secret
        self._token = settings.token.get_secret_value()
        self._crypto: WeChatCrypto | None = None
        if settings.encoding_aes_key is not None:
            self._crypto = WeChatCrypto(self._token, settings.encoding_aes_key.get_secret_value(), settings.app_id)
        self._port: AssistantPort | None = None
        self._http: httpx.AsyncClient | None = None
        self._api: WeChatApi | None = None
        self._replays: ReplayGuard | None = None
        self._work: dict[str, Work] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Signatures of requests refused because their message could not be stored, whose record the
        # database could not drop either: WeChat's retry of the request carries the same signature.
        self._unkept: set[str] = set()

    # -- the ChannelAdapter interface ------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        app.add_api_route(PATH, self.verify_url, methods=["GET"], include_in_schema=False)
        app.add_api_route(PATH, self.receive, methods=["POST"], include_in_schema=False)

    async def start(self, port: AssistantPort) -> None:
        self._port = port
        self._http = httpx.AsyncClient(base_url=self._settings.api_base_url, timeout=self._settings.api_timeout)
        self._api = WeChatApi(self._http, self._app_id, self._app_secret, port.channel_state)
        self._replays = ReplayGuard(port.channel_state, CHANNEL, self._settings.timestamp_tolerance_seconds)
        log.info("wechat_channel_started", app_id=self._app_id, encrypted=self._settings.encrypted, path=PATH)

    async def stop(self) -> None:
        running = [w.task for w in self._work.values() if w.task is not None and not w.task.done()]
        if running:  # let turns in flight finish (and hand their replies to the outbox), briefly
            await asyncio.wait(running, timeout=5)
        for task in [*running, *self._tasks]:
            task.cancel()
        for task in [*running, *self._tasks]:
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self._http is not None:
            await self._http.aclose()

    async def deliver(self, message: Outgoing) -> None:
        """An agent's reply, the CSAT question or a bot reply that missed the passive-reply budget,
        as a customer-service text message. Raises (and the outbox retries) on any failure."""
        if self._api is None:
            raise RuntimeError("the WeChat channel has not started")
        openid = message.channel_data.get("openid")
        if not isinstance(openid, str) or not openid:
            raise ValueError(f"conversation {message.conversation_id} has no WeChat openid to reply to")
        await self._api.send_text(openid, with_options(message.text, message.buttons, message.language))

    # -- routes ----------------------------------------------------------------------------------

    async def verify_url(self, request: Request) -> Response:
        """WeChat's server check when the URL is saved in the admin: echo `echostr` if the signature holds."""
        try:
            verify_callback(self._token, request.query_params, self._settings.timestamp_tolerance_seconds)
        except Refused as refused:
            log.warning("wechat_refused", reason=refused.reason, method="GET")
            return PlainTextResponse("forbidden", status_code=refused.status)
        # Its signature is of the same kind as a message's: spent here, it cannot carry a forged message.
        if self._replays is not None and not await self._replays.first_time(request.query_params["signature"]):
            log.warning("wechat_refused", reason="signature used before", method="GET")
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(request.query_params.get("echostr", ""))

    async def receive(self, request: Request) -> Response:
        arrival = time.monotonic()
        deadline = arrival + self._settings.reply_budget_seconds
        try:
            timestamp, nonce = verify_callback(
                self._token, request.query_params, self._settings.timestamp_tolerance_seconds
            )
            body = await self._read_body(request)
            envelope = open_envelope(body, request.query_params, self._crypto, timestamp, nonce)
            message = parse(envelope.xml)
        except Refused as refused:
            log.warning("wechat_refused", reason=refused.reason, method="POST")
            return PlainTextResponse("forbidden" if refused.status == 403 else "bad request", refused.status)
        if self._port is None or self._replays is None:
            return PlainTextResponse("starting", status_code=503)
        signature = request.query_params["signature"]
        try:
            first_time = signature in self._unkept or await self._replays.first_time(signature)
        except Exception as error:  # the database is down: nothing recorded, nothing stored
            log.warning("wechat_message_not_stored", msg_id=message.msg_id, error=str(error))
            return await self._not_acknowledged(arrival)
        if not first_time:
            # "success" rather than 403: were WeChat to retry with the same signature, an error would
            # show the customer "该公众号暂时无法提供服务"; the first request has the message anyway.
            log.warning("wechat_replay_ignored", msg_id=message.msg_id, wechat_event=message.event)
            return PlainTextResponse("success")
        self._unkept.discard(signature)
        answer = await self._answer_within(message, deadline)
        if answer is not None and not answer.stored:
            await self._forget(signature)
            return await self._not_acknowledged(arrival)
        if answer is None or not answer.texts:
            return PlainTextResponse("success")
        xml = text_reply(message, "\n\n".join(answer.texts), self._crypto, envelope.encrypted)
        return Response(xml, media_type="application/xml")

    async def _not_acknowledged(self, arrival: float) -> Response:
        """The message could not be stored: no answer until WeChat has stopped waiting for one, so
        that it sends the message again (an answer of any kind would end its retries)."""
        await asyncio.sleep(max(0.0, arrival + self._settings.unstored_wait_seconds - time.monotonic()))
        return PlainTextResponse("unavailable", status_code=503)

    async def _forget(self, signature: str) -> None:
        """WeChat's retry of a request whose message was not kept must be taken, not refused as a replay."""
        assert self._replays is not None
        try:
            await self._replays.forget(signature)
        except Exception as error:  # the database is still down: this process remembers instead
            log.warning("wechat_signature_kept", error=str(error))
            self._unkept.add(signature)

    async def _read_body(self, request: Request) -> bytes:
        try:
            return await read_body(request, self._settings.max_body_bytes)
        except BodyTooLarge:
            raise Refused(413, "body too large") from None

    # -- one message, once -----------------------------------------------------------------------

    async def _answer_within(self, message: WeChatMessage, deadline: float) -> Answer | None:
        """The answer if this request is the one to give it within the budget, else None ("success")."""
        key = message.dedupe_key
        work = self._work.get(key)
        if work is None:
            work = Work(message)
            work.task = asyncio.create_task(self._run(work), name=f"wechat-turn-{key}")
            self._work[key] = work
        else:
            log.info("wechat_retry_joined", msg_id=message.msg_id, wechat_event=message.event)
        task = work.task
        assert task is not None
        remaining = deadline - time.monotonic()
        try:
            if not task.done() and remaining > 0:
                await asyncio.wait({task}, timeout=remaining)
        except asyncio.CancelledError:  # the request went away: the outbox gives the answer
            self._leave_to_outbox(work)
            raise
        if task.done() and not task.result().stored:
            return task.result()  # every request joined to it goes unacknowledged: WeChat retries
        if task.done() and work.owner is None:
            work.owner = "reply"
            return task.result()
        # Too late for this request, or another request (or the outbox) already gives the answer.
        self._leave_to_outbox(work)
        return None

    def _leave_to_outbox(self, work: Work) -> None:
        work.push_when_done = True
        if work.task is not None and work.task.done() and not work.task.cancelled() and work.owner is None:
            work.owner = "push"
            pushing = asyncio.create_task(self._push(work.message, work.task.result()))
            self._tasks.add(pushing)
            pushing.add_done_callback(self._tasks.discard)

    async def _run(self, work: Work) -> Answer:
        message = work.message
        try:
            answer = await self._answer(message)
        except Exception:  # e.g. the database failing on the way: never claim the message was saved
            log.exception("wechat_turn_failed", msg_id=message.msg_id, kind=message.kind)
            answer = Answer([say("message_not_stored", DEFAULT_LANGUAGE)], stored=False)
        if work.push_when_done and work.owner is None:
            # The request has answered "success" already: the customer hears of it directly (a
            # message not kept is told to send it again).
            work.owner = "push"
            await self._push(message, answer)
        if answer.stored:
            self._forget_later(message.dedupe_key, work)
        elif self._work.get(message.dedupe_key) is work:
            del self._work[message.dedupe_key]  # WeChat's retry runs the turn afresh
        return answer

    def _forget_later(self, key: str, work: Work) -> None:
        def forget() -> None:
            if self._work.get(key) is work:
                del self._work[key]

        asyncio.get_running_loop().call_later(REMEMBER_SECONDS, forget)

    async def _push(self, message: WeChatMessage, answer: Answer) -> None:
        """The budget has passed: stored messages go through the outbox (with its retries); a text
        that is not stored (the apology when Rasa is down) is sent once, directly."""
        port, api = self._port, self._api
        if port is None or api is None:
            return
        if answer.message_ids:
            try:
                await port.push(answer.message_ids)
            except Exception:  # e.g. the database restarting: the reply stays stored, shown in the transcript
                log.exception("wechat_push_failed", messages=answer.message_ids)
            return
        for text in answer.texts:
            try:
                await api.send_text(message.openid, text)
            except Exception as error:
                log.warning("wechat_late_notice_failed", error=str(error))

    # -- what each kind of message gets ----------------------------------------------------------

    async def _answer(self, message: WeChatMessage) -> Answer:
        if message.kind == "text" and message.content:
            return await self._turn(message, message.content, str(message.msg_id or ""))
        if message.kind == "voice":
            if message.recognition:
                return await self._turn(message, message.recognition, str(message.msg_id or ""), {"wechat": "voice"})
            return await self._note(message, "[voice]", "voice_unclear")
        if message.kind == "image":
            return await self._note(message, f"[image] {message.pic_url or ''}".strip(), "picture_received")
        if message.kind == "event":
            if message.event in ("subscribe", "subscribe_scan"):
                return Answer([WELCOME])
            if message.event == "click" and message.event_key:
                question = self._settings.menu.get(message.event_key, message.event_key)
                message_id = f"click:{message.create_time}"
                return await self._turn(message, question, message_id, {"wechat": "menu"})
        return NOTHING  # unsubscribe, views, locations, videos, links …: "success"

    def _inbound(self, message: WeChatMessage, text: str, message_id: str, metadata: dict[str, str]) -> Inbound:
        return Inbound(
            conversation_id_of(message.openid),
            cleaned(text) or "…",
            default_language=DEFAULT_LANGUAGE,
            channel=CHANNEL,
            customer_id=channel_identity(CHANNEL, self._app_id, message.openid),
            message_id=message_id or None,
            metadata=metadata,
            channel_data={"openid": message.openid, "account": message.account},
        )

    async def _turn(
        self, message: WeChatMessage, text: str, message_id: str, metadata: dict[str, str] | None = None
    ) -> Answer:
        port = self._port
        assert port is not None
        inbound = self._inbound(message, text, message_id, metadata or {})
        number = chosen_option(inbound.text)
        if number is not None:
            buttons = await port.last_buttons(inbound.conversation_id)
            if number <= len(buttons) and buttons[number - 1].get("payload"):
                # The option's title stands for the customer's words; a button says nothing of their language.
                title = buttons[number - 1].get("title") or inbound.text
                chosen = replace(inbound, text=title, payload=buttons[number - 1]["payload"], language_from_text=False)
                reply = await port.answer(chosen, deliver=False)
                if reply.refusal != Refusal.NOT_OFFERED:
                    return self._answer_of(reply)
                # The options changed in between: take the number as the customer's words.
                inbound = replace(inbound, text=str(number))
        return self._answer_of(await port.answer(inbound, deliver=False))

    async def _note(self, message: WeChatMessage, text: str, acknowledgement: str) -> Answer:
        """A message the bot cannot read (a picture, an unrecognised voice message): stored for the
        agents, acknowledged in the customer's language (a human-owned conversation routes it to the
        agent inbox like any message). The placeholder ("[image] <url>") says nothing of the language."""
        port = self._port
        assert port is not None
        inbound = replace(
            self._inbound(message, text, str(message.msg_id or ""), {"wechat": message.kind}), language_from_text=False
        )
        reply = await port.acknowledge(inbound, lambda language: say(acknowledgement, language), deliver=False)
        return self._answer_of(reply)

    @staticmethod
    def _answer_of(reply: Reply) -> Answer:
        if reply.refusal == Refusal.UNAVAILABLE:
            # Rasa is down: the message stays stored (marked failed); the apology is in its language.
            return Answer([reply.notice])
        if reply.refusal == Refusal.NOT_STORED:
            return Answer([reply.notice], stored=False)
        if reply.refusal is not None:
            return NOTHING  # another request (another replica) is answering it
        return answer_of(reply.messages)


def answer_of(messages: Sequence[StoredMessage]) -> Answer:
    """The passive reply of stored bot messages. Messages already handed to the outbox (a retry of a
    message whose reply was pushed) are not repeated: the outbox delivers them."""
    if any(m.delivery is not None for m in messages):
        return NOTHING
    buttons = [tuple((b.get("title", ""), b.get("payload", "")) for b in m.buttons) for m in messages]
    return Answer(
        [with_options(m.text, options, m.language) for m, options in zip(messages, buttons, strict=True)],
        [m.id for m in messages],
    )
