"""Slack: customers write to the app in a direct message or mention it in a channel (Events API);
button clicks come from the interactivity endpoint; replies go back with `chat.postMessage` in the
message's thread. New escalations (from any channel) can be announced in a leads' channel.

Slack wants an answer within 3 seconds and retries otherwise (three times, with `X-Slack-Retry-Num`),
so both endpoints verify the request's signature, store the customer's message (`AssistantPort.receive`)
and only then acknowledge: a message that could not be stored (database down) gets 503, and Slack
sends it again. The turn runs afterwards in a background task: the bot's reply is stored by the
assistant and sent through the outbox (`AssistantPort.answer`), like an agent's reply, with retries.
An event is answered once: its `event_id` is recorded in the desk database once its message is
stored (shared by replicas and restarts), and the router's message idempotency (the Slack message's
`ts` as the client message id) stores the message once and never answers it twice.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from channels.request_body import BodyTooLarge, read_body
from channels.slack.blocks import announcement_blocks, answered_blocks, fallback_text, message_blocks
from channels.slack.events import CHANNEL, Click, Posted, click_of_interaction, message_of_event
from channels.slack.settings import SlackSettings
from channels.slack.signing import SlackRequestVerifier
from desk.copy import say
from desk.outbox import Outgoing
from engine.blocking import run_blocking
from engine.delivery import DeliveryFailed
from engine.events import QUEUE, Subscription
from engine.port import AssistantPort, Refusal, Reply
from engine.turns import Inbound
from knowledge.identifiers import mask_personal_data

log = structlog.get_logger(__name__)

# Slack waits 3 seconds for the acknowledgement: storing the message must fit well within that.
ACK_SECONDS = 2.5
# How long an event id is remembered: Slack retries an event within minutes (at once, after 1 and 5).
EVENT_KEEP_SECONDS = 3600.0
# Every replica hears an escalation on the shared bus; the first to record it announces it.
ANNOUNCED_KEEP_SECONDS = 7 * 24 * 3600.0


class SlackAdapter:
    name = CHANNEL

    def __init__(
        self, settings: SlackSettings, *, clock: Callable[[], float] = time.time, client: WebClient | None = None
    ) -> None:
        if settings.signing_secret is None or settings.bot_token is None:
            raise ValueError("the Slack channel needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN")
        self._settings = settings
        self._verifier = SlackRequestVerifier(
            settings.signing_secret.get_secret_value(), settings.signature_window_seconds, clock
        )
        # The sync client in a worker thread (the async one needs aiohttp). No retries of its own:
        # the outbox retries with backoff and shows the state in the console.
        self._client = client or WebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=settings.api_base_url,
            timeout=math.ceil(settings.api_timeout),
            retry_handlers=[],
        )
        self._port: AssistantPort | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._exit_stack = AsyncExitStack()
        self._announcer: asyncio.Task[None] | None = None
        self._rate_limited_until = 0.0  # time.monotonic() before which Slack asked us to wait

    # -- lifecycle -------------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        router = APIRouter(prefix="/channels/slack", include_in_schema=False)
        router.add_api_route("/events", self.events, methods=["POST"])
        router.add_api_route("/interactions", self.interactions, methods=["POST"])
        app.include_router(router)

    async def start(self, port: AssistantPort) -> None:
        self._port = port
        if self._settings.escalation_channel:
            subscription = await self._exit_stack.enter_async_context(port.subscribe([QUEUE]))
            self._announcer = asyncio.create_task(self._announce_escalations(subscription))
        log.info("slack_started", announcements=self._settings.escalation_channel is not None)

    async def stop(self) -> None:
        if self._announcer is not None:
            self._announcer.cancel()
            await asyncio.gather(self._announcer, return_exceptions=True)
            self._announcer = None
        await self._exit_stack.aclose()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # -- HTTP endpoints --------------------------------------------------------------------------

    async def events(self, request: Request) -> Response:
        """Events API: URL verification, and event callbacks acknowledged once their message is stored
        (503 when it could not be: Slack retries), answered after."""
        body = await _read_body(request, self._settings.max_body_bytes)
        if isinstance(body, Response):
            return body
        if not self._verifier.is_valid_request(body, request.headers):
            return _unsigned(request)
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; nesting too deep
            return error_response(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(envelope, dict):
            return error_response(400, "invalid_request", "The request body must be a JSON object.")
        kind = envelope.get("type")
        if kind == "url_verification":
            challenge = envelope.get("challenge")
            if not isinstance(challenge, str):
                return error_response(400, "invalid_request", "A URL verification needs a challenge.")
            return JSONResponse({"challenge": challenge})
        if kind != "event_callback":
            return Response(status_code=200)
        posted = message_of_event(envelope)
        if posted is None:
            return Response(status_code=200)
        event_id = envelope.get("event_id")
        retry = request.headers.get("x-slack-retry-num")
        taken = await self._acknowledgeable(
            self._take_event(posted, event_id if isinstance(event_id, str) else None, retry)
        )
        if not taken:
            return _not_stored(request, posted.inbound)
        return Response(status_code=200)

    async def interactions(self, request: Request) -> Response:
        """Interactivity: a click on one of the assistant's buttons becomes the customer's next message."""
        body = await _read_body(request, self._settings.max_body_bytes)
        if isinstance(body, Response):
            return body
        if not self._verifier.is_valid_request(body, request.headers):
            return _unsigned(request)
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=20)
            payload = json.loads(form["payload"][0])
        except (ValueError, RecursionError, KeyError):
            return error_response(400, "invalid_request", "Expected a form with a JSON `payload` field.")
        if not isinstance(payload, dict):
            return error_response(400, "invalid_request", "The payload must be a JSON object.")
        click = click_of_interaction(payload)
        if click is not None and not await self._acknowledgeable(self._take_click(click)):
            return _not_stored(request, click.inbound)
        return Response(status_code=200)

    # -- storing before acknowledging --------------------------------------------------------------

    async def _acknowledgeable(self, storing: Coroutine[Any, Any, bool]) -> bool:
        """Whether the message is stored within Slack's acknowledgement deadline. The storing goes on
        if it takes longer (its task is shielded): stored late, it is answered, and Slack's retry of
        the request (which a 503 asks for) finds it stored."""

        async def stored() -> bool:
            try:
                return await storing
            except Exception:  # e.g. the database failing after the message was stored: Slack retries
                log.exception("slack_message_not_taken")
                return False

        task = asyncio.ensure_future(stored())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(task), ACK_SECONDS)
        except TimeoutError:
            return False

    async def _take_event(self, posted: Posted, event_id: str | None, retry: str | None) -> bool:
        """Store the event's message, then answer it in the background unless this event was taken
        before (a retry of an event that was stored: the first take answers it). False: not stored."""
        port = self._require_port()
        reply = await port.receive(posted.inbound)
        if reply.refusal == Refusal.NOT_STORED:
            return False
        if not await self._first_time(event_id):
            log.info("slack_retry_ignored", event_id=event_id, retry=retry)
        elif reply.turn is None:  # else it went to the agent inbox at once, the queue notice delivered
            self._spawn(self._answer(posted.inbound, posted.acknowledgement))
        return True

    async def _take_click(self, click: Click) -> bool:
        """Store the click as the customer's message, then answer it in the background. A button never
        offered is refused (nothing stored, nothing to retry). False: not stored."""
        reply = await self._require_port().receive(click.inbound)
        if reply.refusal == Refusal.NOT_STORED:
            return False
        if reply.refusal is None:
            self._spawn(self._clicked(click))
        else:
            log.info("slack_click_refused", conversation=click.inbound.conversation_id, reason=reply.refusal)
        return True

    async def _first_time(self, event_id: str | None) -> bool:
        """Whether no replica has taken this event before; recorded only once its message is stored,
        so a retry of an event refused with 503 is taken. The message's own idempotency (its `ts`)
        still holds when this record cannot be written."""
        if event_id is None:
            return True
        try:
            return await run_blocking(
                self._require_port().channel_state.remember_once, CHANNEL, f"event:{event_id}", EVENT_KEEP_SECONDS
            )
        except Exception as error:
            log.warning("slack_event_not_recorded", event_id=event_id, error=str(error))
            return True

    # -- answering -------------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, inbound: Inbound, acknowledgement: str | None = None) -> bool:
        """Hand the message to the assistant, which sends its stored replies; True when it was answered.
        `acknowledgement`: files without words, acknowledged with this `desk.copy` text, not asked of Rasa."""
        port = self._require_port()
        try:
            if acknowledgement is None:
                reply = await port.answer(inbound)
            else:
                key = acknowledgement
                reply = await port.acknowledge(inbound, lambda language: say(key, language))
        except Exception:  # a background task: log it, never let it vanish silently
            log.exception("slack_message_failed", conversation=inbound.conversation_id)
            return False
        if reply.refusal == Refusal.UNAVAILABLE:
            log.warning("slack_assistant_unavailable", conversation=inbound.conversation_id)
            await self._say_unavailable(inbound, reply)
        elif reply.refusal is not None:  # stored before the acknowledgement: it waits in the transcript
            log.warning("slack_message_unanswered", conversation=inbound.conversation_id, reason=reply.refusal)
        return reply.turn is not None

    async def _clicked(self, click: Click) -> None:
        if not await self._answer(click.inbound):
            return
        try:  # show the choice in place of the buttons (cosmetic: a failure is only logged)
            await self._call(
                "chat.update",
                channel=click.channel,
                ts=click.message_ts,
                text=click.text,
                blocks=answered_blocks(click.blocks, click.title),
            )
        except DeliveryFailed as error:
            log.warning("slack_update_failed", conversation=click.inbound.conversation_id, error=str(error))

    async def _say_unavailable(self, inbound: Inbound, reply: Reply) -> None:
        """Rasa is down: the message is stored (as failed); tell the customer in the thread (the
        apology is in the conversation's language)."""
        port = self._require_port()
        try:
            conversation = await port.conversation(inbound.conversation_id)
            if conversation is None:
                return
            data = {**conversation.channel_data, **inbound.channel_data}
            await self._call(
                "chat.postMessage", channel=data["channel"], thread_ts=data.get("thread_ts"), text=reply.notice
            )
        except Exception as error:
            log.warning("slack_notice_failed", conversation=inbound.conversation_id, error=str(error))

    # -- delivery --------------------------------------------------------------------------------

    async def deliver(self, message: Outgoing) -> None:
        """Post a stored message (a bot reply, an agent's reply, the CSAT question) in its thread."""
        channel = message.channel_data.get("channel")
        thread_ts = message.channel_data.get("thread_ts")
        if not isinstance(channel, str) or not channel:
            raise DeliveryFailed("the conversation has no Slack channel to reply to")
        await self._call(
            "chat.postMessage",
            channel=channel,
            thread_ts=thread_ts if isinstance(thread_ts, str) else None,
            text=fallback_text(message.text, message.buttons),
            blocks=message_blocks(message.conversation_id, message.text, message.buttons),
            unfurl_links=False,
        )

    async def _call(self, method: str, **arguments: Any) -> Mapping[str, Any]:
        """One Web API call; raises `DeliveryFailed` (the outbox retries) on any failure."""
        wait = self._rate_limited_until - time.monotonic()
        if wait > 0:
            raise DeliveryFailed(f"Slack rate limit: waiting {math.ceil(wait)} s before calling {method}")
        body = {key: value for key, value in arguments.items() if value is not None}
        try:
            response = await run_blocking(self._client.api_call, method, json=body)
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429:
                retry_after = _seconds(error.response.headers)
                self._rate_limited_until = time.monotonic() + retry_after
                raise DeliveryFailed(f"Slack rate limit on {method}: retry after {retry_after} s") from error
            reason = error.response.get("error") if isinstance(error.response.data, dict) else None
            raise DeliveryFailed(f"Slack refused {method}: {reason or f'HTTP {status}'}") from error
        except Exception as error:  # network errors, timeouts
            raise DeliveryFailed(f"Slack unreachable ({method}): {type(error).__name__}: {error}") from error
        data = response.data
        return data if isinstance(data, dict) else {}

    # -- escalation announcements ------------------------------------------------------------------

    async def _announce_escalations(self, subscription: Subscription) -> None:
        while True:
            event = await subscription.next(timeout=60)
            if event is None or event.kind != "escalated":
                continue
            conversation_id = event.data.get("conversation_id")
            try:
                if isinstance(conversation_id, str):
                    await self.announce(conversation_id)
            except DeliveryFailed as error:
                log.warning("slack_announcement_failed", conversation=conversation_id, error=str(error))
            except Exception:  # the loop outlives one failed announcement
                log.exception("slack_announcement_failed", conversation=conversation_id)

    async def announce(self, conversation_id: str) -> None:
        """Post the conversation's open escalation to the leads' channel."""
        port = self._require_port()
        channel = self._settings.escalation_channel
        if channel is None:
            return
        escalation = await port.latest_escalation(conversation_id)
        conversation = await port.conversation(conversation_id)
        if escalation is None or conversation is None:
            log.info("slack_announcement_skipped", conversation=conversation_id)
            return
        if not await run_blocking(
            port.channel_state.remember_once, CHANNEL, f"announced:{escalation.id}", ANNOUNCED_KEEP_SECONDS
        ):
            return  # announced already, by another replica or an earlier event
        transcript = await port.transcript(conversation_id)
        last = next((m.text for m in reversed(transcript) if m.sender == "customer"), "")
        base = self._settings.console_base_url or port.console_url
        text, blocks = announcement_blocks(
            escalation_id=escalation.id,
            priority=str(escalation.priority),
            reason=escalation.reason,
            channel=conversation.channel,
            customer_id=conversation.customer_id,
            language=conversation.language,
            last_message=mask_personal_data(last),
            link=f"{base.rstrip('/')}/console/escalations/{escalation.id}",
        )
        await self._call("chat.postMessage", channel=channel, text=text, blocks=blocks, unfurl_links=False)
        log.info("slack_escalation_announced", conversation=conversation_id, escalation=escalation.id)

    def _require_port(self) -> AssistantPort:
        if self._port is None:
            raise RuntimeError("the Slack adapter has not been started")
        return self._port


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """A refusal in the app's JSON error shape: `{"error": {"code", "message"}}`."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes | Response:
    """The raw body (the signature covers its exact bytes), or a 413 past `limit` bytes."""
    try:
        return await read_body(request, limit)
    except BodyTooLarge as error:
        return error_response(413, "too_large", str(error))


def _not_stored(request: Request, inbound: Inbound) -> Response:
    """503 for a message that could not be stored: Slack sends the event again (an interaction's
    user sees it failed and clicks again)."""
    log.warning("slack_message_not_stored", path=request.url.path, conversation=inbound.conversation_id)
    response = error_response(503, "not_stored", "The message could not be stored; send it again.")
    response.headers["Retry-After"] = "5"
    return response


def _unsigned(request: Request) -> Response:
    log.warning("slack_signature_refused", path=request.url.path)
    return error_response(401, "invalid_signature", "The request is not signed by Slack (or is too old).")


def _seconds(headers: Mapping[str, Any]) -> int:
    """Retry-After of a 429 (slack_sdk keeps header names as sent; a missing one means 1 s)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            if isinstance(raw, str) and raw.strip().isdigit():
                return max(1, int(raw.strip()))
    return 1
