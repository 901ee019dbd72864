"""The WeCom Customer Service channel (企业微信·微信客服).

WeCom does not post messages: `POST /channels/wecom` receives a signed, encrypted `kf_msg_or_event`
notice carrying a Token and the account (OpenKfId) that has news, answered "success" at once. A
notice sent again with the same msg_signature is answered "success" and ignored (channels/replays.py):
an old Token taken as fresh would make the next syncs fail. The account is recorded before "success"
(a restart catches up with every recorded account); if the database cannot record it, WeCom gets
503 and sends the notice again. The
adapter then reads the account's messages with `kf/sync_msg` from the stored cursor, page by page,
and saves the cursor after a page's messages are stored — never before, so nothing is lost across a
restart. A crash between storing and saving reads that page again, which is harmless: each message's
WeCom `msgid` is its client message id, and the router stores it once and answers it once. Syncs of
one account run one at a time, in all app replicas together: a sync holds the account's lease
(`wecom-sync:<open_kfid>`, engine/leases.py) and another replica's sync waits for it, then reads on
from the cursor the holder saved; a replica that dies mid-sync is taken over once its lease expires
(`APP_LEASE_SECONDS`). Every known account is caught up at start.

- Customer messages (origin 3) become turns of the router; the stored replies are pushed through the
  outbox, whose `deliver` sends them with `kf/send_msg` (buttons as a `msgmenu` of click items, or
  numbered options; a click's id or a typed number maps back to the payload). A message that could
  not be stored stops the sync before the cursor moves past it; one the assistant could not answer
  (Rasa down) is stored and answered by the app's retry loop (engine/retries.py), its answer pushed
  through the outbox. A customer's message reopens WeCom's door to them: the conversation's replies
  waiting out their retry backoff go out at once, in order (`AssistantPort.retry_waiting`).
- Messages a 接待人员 writes in the WeCom client (origin 5) are recorded as agent messages, already
  delivered, and announced to the console; they are never sent back.
- The desk's status changes (bus topic `status`) set the WeCom session state with
  `kf/service_state/trans`, as `WECOM_HUMAN_AGENTS` decides (see `wecom_messages.target_state`);
  WeCom's refusals are logged. WeCom's own session events (origin 4) are logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from channels.replays import ReplayGuard
from channels.request_body import BodyTooLarge, read_body
from channels.wecom.api import ServiceState, WeComApi, WeComError
from channels.wecom.callback import MAX_BODY_BYTES, CallbackRejected, CallbackVerifier
from channels.wecom.messages import (
    CHANNEL,
    DEFAULT_LANGUAGE,
    DIGIT,
    FROM_CUSTOMER,
    FROM_SERVICER,
    FROM_SYSTEM,
    PLATFORM_ID,
    SESSION_CHANGES,
    Address,
    chosen_payload,
    is_text,
    message_text,
    render,
    target_state,
)
from channels.wecom.settings import WeComSettings
from channels.wecom.state import WeComState
from desk.copy import say
from desk.customers import channel_identity
from desk.models import ConversationStatus, Delivery
from desk.outbox import Outgoing
from desk.turns import Outcome
from engine.blocking import run_blocking
from engine.delivery import DeliveryFailed
from engine.events import STATUS
from engine.port import AssistantPort, Refusal
from engine.turns import Inbound

log = structlog.get_logger(__name__)

PATH = "/channels/wecom"
# The lease a replica holds while it syncs an account (engine/leases.py), then the account's open_kfid.
SYNC_LEASE = "wecom-sync:"
# The callback's Token lets sync_msg skip its strict rate limit for 10 minutes.
TOKEN_SECONDS = 9 * 60
# Before the session leaves the API's hands ("wecom" mode), replies on their way get this long to go out.
DRAIN_SECONDS = 30.0


class NotStoredYet(RuntimeError):
    """A synced message could not be stored: the sync stops before the cursor moves past it."""


class WeComAdapter:
    name = CHANNEL

    def __init__(self, settings: WeComSettings) -> None:
        if not settings.enabled:
            raise ValueError(
                "the WeCom channel needs WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY"
            )
        self._settings = settings
        self._verifier = CallbackVerifier(settings)
        self._http: httpx.AsyncClient | None = None
        self._port: AssistantPort | None = None
        self._state: WeComState | None = None
        self._api: WeComApi | None = None
        self._replays: ReplayGuard | None = None
        # One sync task per account; `_wanted` asks it for one more round.
        self._syncs: dict[str, asyncio.Task[None]] = {}
        self._wanted: set[str] = set()
        self._failed_syncs: set[str] = set()
        self._tokens: dict[str, tuple[str, float]] = {}
        # Turns being answered, per conversation (their replies are not in the outbox yet).
        self._turns: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # -- the ChannelAdapter interface ------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        app.add_api_route(PATH, self.verify_url, methods=["GET"], include_in_schema=False)
        app.add_api_route(PATH, self.receive, methods=["POST"], include_in_schema=False)

    async def start(self, port: AssistantPort) -> None:
        self._port = port
        self._http = httpx.AsyncClient(base_url=self._settings.api_base_url, timeout=self._settings.api_timeout)
        self._state = WeComState(port.channel_state)
        self._api = WeComApi(self._settings, self._state, self._http)
        self._replays = ReplayGuard(port.channel_state, CHANNEL, self._settings.timestamp_window_seconds)
        subscribed = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._mirror_statuses(subscribed), name="wecom-status"),
            asyncio.create_task(self._keep_retrying(), name="wecom-retry"),
        ]
        await subscribed.wait()
        accounts = await run_blocking(self._state.accounts)
        for open_kfid in accounts:  # catch up with what arrived while the app was down
            self.request_sync(open_kfid)
        log.info("wecom_channel_started", path=PATH, accounts=accounts, human_agents=self._settings.human_agents)

    async def stop(self) -> None:
        syncing = [task for task in self._syncs.values() if not task.done()]
        if syncing:  # let turns in flight finish (a cancelled turn would stay "processing"), briefly
            await asyncio.wait(syncing, timeout=5)
        tasks = [*self._tasks, *self._syncs.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks, self._syncs = [], {}
        if self._http is not None:
            await self._http.aclose()

    async def deliver(self, message: Outgoing) -> None:
        """A bot reply, an agent's reply or the CSAT question, with kf/send_msg (raises to be retried)."""
        if self._api is None:
            raise DeliveryFailed("the WeCom channel has not started")
        address = Address.of(message.channel_data)
        if address is None:
            raise DeliveryFailed(f"conversation {message.conversation_id} has no WeCom address")
        for body in render(message.text, message.buttons):
            await self._api.send_msg({"touser": address.external_userid, "open_kfid": address.open_kfid, **body})

    # -- routes ----------------------------------------------------------------------------------

    async def verify_url(self, request: Request) -> Response:
        """WeCom's check when the callback URL is saved in the admin: decrypt and echo `echostr`."""
        query = request.query_params
        try:
            echo = self._verifier.echo(
                query.get("msg_signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
                query.get("echostr", ""),
            )
        except CallbackRejected as refused:
            log.warning("wecom_refused", reason=refused.reason, method="GET")
            return PlainTextResponse("forbidden" if refused.status == 403 else "bad request", refused.status)
        return PlainTextResponse(echo)

    async def receive(self, request: Request) -> Response:
        query = request.query_params
        try:
            body = await _read_body(request, MAX_BODY_BYTES)
            fields = self._verifier.open(
                query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""), body
            )
        except CallbackRejected as refused:
            log.warning("wecom_refused", reason=refused.reason, method="POST")
            return PlainTextResponse("forbidden" if refused.status == 403 else "bad request", refused.status)
        if self._port is None or self._replays is None:
            return PlainTextResponse("starting", status_code=503)
        signature = query["msg_signature"]
        try:
            first_time = await self._replays.first_time(signature)
        except Exception as error:  # the database is down: nothing was recorded, WeCom sends it again
            log.warning("wecom_callback_not_taken", error=str(error))
            return PlainTextResponse("unavailable", status_code=503)
        if not first_time:
            # "success", as to a retry WeCom makes itself: an error status would only have it retry.
            log.warning("wecom_replay_ignored", open_kfid=fields.get("OpenKfId"))
            return PlainTextResponse("success")
        open_kfid = fields.get("OpenKfId", "")
        if (
            fields.get("MsgType") == "event"
            and fields.get("Event") == "kf_msg_or_event"
            and PLATFORM_ID.fullmatch(open_kfid)
        ):
            if not await self._known(open_kfid, signature):
                return PlainTextResponse("unavailable", status_code=503)
            self.request_sync(open_kfid, fields.get("Token") or None)
        else:
            log.info("wecom_callback_ignored", msg_type=fields.get("MsgType"), event=fields.get("Event"))
        return PlainTextResponse("success")

    async def _known(self, open_kfid: str, signature: str) -> bool:
        """Record the account before WeCom is told "success": a restart catches up with it even if
        the sync cannot run now. False when the database could not record it: the signature is
        forgotten again, so WeCom's retry of the notice (with the same signature) is taken."""
        assert self._state is not None and self._replays is not None
        try:
            await run_blocking(self._state.add_account, open_kfid)
        except Exception as error:
            log.warning("wecom_callback_not_taken", open_kfid=open_kfid, error=str(error))
            with suppress(Exception):
                await self._replays.forget(signature)
            return False
        return True

    # -- reading messages ------------------------------------------------------------------------

    def request_sync(self, open_kfid: str, token: str | None = None) -> None:
        """Read the account's new messages soon; one sync per account at a time, and one more round
        when news arrives during a sync."""
        if token:
            self._tokens[open_kfid] = (token, time.monotonic())
        self._wanted.add(open_kfid)
        running = self._syncs.get(open_kfid)
        if running is None or running.done():
            self._syncs[open_kfid] = asyncio.create_task(self._sync_account(open_kfid), name=f"wecom-sync-{open_kfid}")

    async def _sync_account(self, open_kfid: str) -> None:
        while open_kfid in self._wanted:
            self._wanted.discard(open_kfid)
            try:
                # One replica syncs an account at a time (two would read the same page from one cursor):
                # the others wait for the lease, then read from where the holder saved the cursor.
                async with self._started().lease(f"{SYNC_LEASE}{open_kfid}"):
                    await self._sync_pages(open_kfid)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the cursor stayed where the stored messages end: retried later
                self._failed_syncs.add(open_kfid)
                log.warning("wecom_sync_failed", open_kfid=open_kfid, error=str(error), kind=type(error).__name__)
                return
            self._failed_syncs.discard(open_kfid)

    async def _sync_pages(self, open_kfid: str) -> None:
        assert self._api is not None and self._state is not None
        cursor = await run_blocking(self._state.cursor, open_kfid)
        while True:
            page = await self._api.sync_msg(open_kfid, cursor, self._fresh_token(open_kfid))
            for message in page.messages:
                await self._take(message)
            if page.next_cursor and page.next_cursor != cursor:
                await run_blocking(self._state.save_cursor, open_kfid, page.next_cursor)
                cursor = page.next_cursor
            log.info("wecom_synced", open_kfid=open_kfid, messages=len(page.messages), has_more=page.has_more)
            if not page.has_more:
                return

    def _fresh_token(self, open_kfid: str) -> str | None:
        token = self._tokens.get(open_kfid)
        return token[0] if token is not None and time.monotonic() - token[1] < TOKEN_SECONDS else None

    async def _take(self, message: Mapping[str, Any]) -> None:
        origin = message.get("origin")
        if message.get("msgtype") == "event" or origin == FROM_SYSTEM:
            event = message.get("event")
            self._event(event if isinstance(event, dict) else {})
        elif origin == FROM_CUSTOMER:
            await self._customer_message(message)
        elif origin == FROM_SERVICER:
            await self._servicer_message(message)
        else:
            log.info("wecom_message_ignored", origin=origin, msgtype=message.get("msgtype"))

    async def _customer_message(self, message: Mapping[str, Any]) -> None:
        port = self._started()
        address, msgid = Address.of(message), str(message.get("msgid") or "")
        if address is None or not msgid:
            log.warning("wecom_message_unaddressed", msgtype=message.get("msgtype"))
            return
        text, menu_id = message_text(message)
        if not is_text(message):
            # Stored as "[image]" and the like, which says nothing of the customer's language.
            inbound = self._inbound(address, msgid, text, None, "not_text")
            await self._answer(replace(inbound, language_from_text=False), readable=False)
            return
        payload = None
        if menu_id is not None or DIGIT.fullmatch(text):
            payload = chosen_payload(menu_id, text, await port.last_buttons(address.conversation_id))
        await self._answer(self._inbound(address, msgid, text, payload, "text"))

    def _inbound(self, address: Address, msgid: str, text: str, payload: str | None, kind: str) -> Inbound:
        return Inbound(
            conversation_id=address.conversation_id,
            text=text,
            payload=payload,
            default_language=DEFAULT_LANGUAGE,
            channel=CHANNEL,
            customer_id=channel_identity(CHANNEL, self._settings.corp_id, address.external_userid),
            message_id=msgid,
            metadata={"wecom_msgtype": kind},
            channel_data=address.channel_data(),
        )

    async def _answer(self, inbound: Inbound, *, readable: bool = True) -> None:
        """One turn; its stored replies go out through the outbox. A message the assistant cannot read
        (`readable` False) is acknowledged without asking Rasa. Raises `NotStoredYet` when the message
        could not be stored (the sync reads it again); one stored but not answered now (Rasa down) is
        the retry loop's, or another replica's that is answering it."""
        port = self._started()
        self._turns[inbound.conversation_id] = self._turns.get(inbound.conversation_id, 0) + 1
        try:
            if readable:
                reply = await port.answer(inbound, deliver=False)
                if reply.refusal == Refusal.NOT_OFFERED:  # a click on an older menu: the words the customer saw count
                    reply = await port.answer(replace(inbound, payload=None), deliver=False)
            else:
                reply = await port.acknowledge(
                    inbound, lambda language: say("attachment_received", language), deliver=False
                )
            if reply.refusal == Refusal.NOT_STORED:
                raise NotStoredYet(f"message {inbound.message_id} of {inbound.conversation_id} could not be stored")
            if reply.turn is None:
                log.info("wecom_message_waits", conversation=inbound.conversation_id, reason=reply.refusal)
                return
            if self._reachable(reply.turn.status):
                # The customer just wrote: WeCom takes messages to them again. Replies that were
                # refused (a 接待人员 had the session, it had ended) go first, in order.
                await port.retry_waiting(inbound.conversation_id)
            ids = [m.id for m in reply.messages]
            if self._settings.human_agents == "wecom" and reply.turn.outcome == Outcome.QUEUED:
                # A notice while WeCom's pool or a 接待人员 has the session: WeCom takes no API message now.
                log.info("wecom_notice_not_sent", conversation=inbound.conversation_id, messages=len(ids))
            elif ids:
                await port.push(ids)
        finally:
            self._turns[inbound.conversation_id] -= 1
            if not self._turns[inbound.conversation_id]:
                del self._turns[inbound.conversation_id]

    def _reachable(self, status: ConversationStatus) -> bool:
        """Whether kf/send_msg reaches the customer now: always with agents in the console (the session
        stays with the API); in "wecom" mode only while the bot has the conversation (WeCom's pool or
        a 接待人员 has it otherwise)."""
        return self._settings.human_agents == "console" or status not in (
            ConversationStatus.QUEUED,
            ConversationStatus.AGENT,
        )

    async def _servicer_message(self, message: Mapping[str, Any]) -> None:
        port = self._started()
        address, msgid = Address.of(message), str(message.get("msgid") or "")
        if address is None:
            return
        servicer = str(message.get("servicer_userid") or "?")
        text, _ = message_text(message)
        stored = await port.record_agent_reply(
            address.conversation_id, text, f"WeCom {servicer}", external_id=msgid or None
        )
        if stored is not None:
            log.info("wecom_servicer_reply", conversation=address.conversation_id, servicer=servicer)

    def _event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event_type")
        address = Address.of(event)
        conversation = address.conversation_id if address else None
        if kind == "session_status_change":
            change = SESSION_CHANGES.get(event.get("change_type"), "unknown")
            # The desk keeps its own status: a session ended or taken in the WeCom client is noted here,
            # and the console's agents see the 接待人员's messages in the transcript.
            log.info(
                "wecom_session_changed",
                conversation=conversation,
                change=change,
                old_servicer=event.get("old_servicer_userid"),
                new_servicer=event.get("new_servicer_userid"),
            )
        elif kind == "msg_send_fail":
            log.warning(
                "wecom_message_not_delivered",
                conversation=conversation,
                wecom_msgid=event.get("fail_msgid"),
                fail_type=event.get("fail_type"),
            )
        else:
            log.info("wecom_event", kind=kind, conversation=conversation)

    # -- background ------------------------------------------------------------------------------

    async def _keep_retrying(self) -> None:
        """Syncs that failed are tried again (from the saved cursor: nothing past it is lost)."""
        while True:
            await asyncio.sleep(self._settings.retry_seconds)
            try:
                for open_kfid in list(self._failed_syncs):
                    self.request_sync(open_kfid)
            except Exception:
                log.exception("wecom_retry_round_failed")

    async def _mirror_statuses(self, subscribed: asyncio.Event) -> None:
        port = self._started()
        async with port.subscribe([STATUS]) as subscription:
            subscribed.set()
            while True:
                event = await subscription.next(timeout=60)
                if event is None or event.data.get("channel") != CHANNEL:
                    continue
                try:
                    await self._apply_status(
                        str(event.data["conversation_id"]), ConversationStatus(event.data["status"])
                    )
                except Exception:
                    log.exception("wecom_status_mirror_failed", conversation=event.data.get("conversation_id"))

    async def _apply_status(self, conversation_id: str, status: ConversationStatus) -> None:
        """Set the WeCom session state the desk status asks for; WeCom's refusals are logged."""
        port = self._started()
        assert self._api is not None
        conversation = await port.conversation(conversation_id)
        address = Address.of(conversation.channel_data) if conversation else None
        if address is None:
            return
        target = target_state(status, self._settings.human_agents)
        if target not in (ServiceState.NEW, ServiceState.ASSISTANT):
            await self._drain(conversation_id)
        servicer = self._settings.servicer_userid if target == ServiceState.SERVICER else None
        context = {"conversation": conversation_id, "status": str(status), "target": int(target)}
        try:
            current = await self._api.service_state(address.open_kfid, address.external_userid)
            if current.state == target or current.state == ServiceState.ENDED:
                # Nothing to do; an ended session cannot be changed (the customer's next message opens one).
                log.info("wecom_service_state_kept", current=int(current.state), **context)
                return
            if target == ServiceState.SERVICER and servicer is None:
                log.warning("wecom_service_state_skipped", reason="WECOM_SERVICER_USERID is not set", **context)
                return
            await self._api.trans_service_state(address.open_kfid, address.external_userid, target, servicer)
        except WeComError as error:
            log.warning("wecom_service_state_refused", error=str(error), **context)
            return
        log.info("wecom_service_state_changed", previous=int(current.state), **context)

    async def _drain(self, conversation_id: str) -> None:
        """Wait (briefly) until the replies about to go out have had their first attempt: WeCom refuses
        them once the session is in its pool or with a 接待人员."""
        port = self._started()
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            if not self._turns.get(conversation_id):
                waiting = [m.delivery for m in (await port.transcript(conversation_id))[-20:] if m.delivery]
                # Pending ones behind a reply waiting out its backoff do not go out now (in order).
                if Delivery.PENDING not in waiting or Delivery.RETRYING in waiting[: waiting.index(Delivery.PENDING)]:
                    return
            await asyncio.sleep(0.2)

    def _started(self) -> AssistantPort:
        if self._port is None:
            raise RuntimeError("the WeCom channel has not started")
        return self._port


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        raise CallbackRejected(413, "body too large") from None
