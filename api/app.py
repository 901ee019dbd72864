"""The app factory: one process hosts the conversation API, Rasa's action endpoint and the retriever.

Several such processes (replicas behind a load balancer, sharing the database) share their live
events, socket.io's sessions and knowledge-base publications through Redis when `APP_REDIS_URL` is
set (`event_bus`); unset, everything stays in this process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

import httpx
import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.cache_policy import NoStoreByDefault
from api.client_address import install_client_address
from api.console import admin_pages, analytics_pages, knowledge_pages, label_pages, request_pages
from api.console import pages as console_pages
from api.console.templating import install_console
from api.deps import Runtime
from api.errors import install_error_handlers
from api.public_limits import PublicLimits
from api.request_limits import RequestLimits
from api.routes import (
    action_endpoint,
    admin,
    analytics,
    conversations,
    customers,
    escalations,
    events,
    health,
    knowledge,
    orders,
    question_labels,
    requests,
)
from api.settings import AppSettings, get_settings
from channels.base import ChannelAdapter
from channels.registry import configured_channels
from desk.database import upgrade_schema
from desk.eligibility.clause_meaning import clause_reader
from desk.eligibility.date_libraries import warm_up as warm_up_date_readers
from desk.models import Role
from desk.services import DeskServices
from desk.settings import DeskSettings
from desk.settings import get_settings as get_desk_settings
from engine.agent_desk import AgentDesk
from engine.conversation_locks import conversation_locks
from engine.delivery import DeliveryWorker, LiveChannel
from engine.events import EventBus
from engine.knowledge_publisher import KnowledgePublisher
from engine.leases import Leases
from engine.metrics import Metrics
from engine.port import Assistant
from engine.rasa_gateway import HttpRasaGateway, RasaGateway
from engine.redis_events import RedisEventBus, replica_id
from engine.request_desk import RequestDesk
from engine.retries import AnswerRetries
from engine.turns import TurnService
from knowledge.live import LiveRetriever, shared_retriever
from knowledge.text import warm_up_customer_words

log = structlog.get_logger(__name__)


# How long shutdown waits for the background loops (retries, delivery, resumes) to end.
SHUTDOWN_LOOPS_SECONDS = 10.0


def ensure_admin(services: DeskServices, settings: AppSettings) -> None:
    """The first admin, from the settings, when none exists (production refuses to start without one)."""
    if settings.admin_password is None:
        return
    if any(u.role == Role.ADMIN and u.active for u in services.users.list()):
        return
    user, created = services.users.ensure(
        settings.admin_username, settings.admin_password.get_secret_value(), Role.ADMIN, "Administrator"
    )
    if created:
        services.audit.record("system", "user.create", f"user:{user.username}", role=Role.ADMIN)
        log.info("admin_created", username=user.username)


async def keep_delivering(
    delivery: DeliveryWorker, agent_desk: AgentDesk, retries: AnswerRetries, poll_seconds: float
) -> None:
    """Deliver due messages, resume conversations Rasa missed and answer the messages whose turn
    failed (engine/retries.py), until the app stops."""

    async def resume_loop() -> None:
        while True:
            try:
                await agent_desk.resume_pending()
            except Exception:  # never let one failed round stop the loop
                log.exception("resume_round_failed")
            await asyncio.sleep(max(poll_seconds, 5.0))

    helpers = [asyncio.create_task(resume_loop()), asyncio.create_task(retries.run())]
    try:
        await delivery.run(poll_seconds)
    finally:
        for helper in helpers:
            helper.cancel()
            with suppress(asyncio.CancelledError):
                await helper


def event_bus(settings: AppSettings) -> EventBus:
    """This process's bus, or the one the replicas share through Redis (`APP_REDIS_URL`)."""
    if settings.redis_url is None:
        return EventBus()
    return RedisEventBus(settings.redis_url, prefix=settings.redis_prefix)


def create_app(
    settings: AppSettings | None = None,
    *,
    desk_settings: DeskSettings | None = None,
    retriever: LiveRetriever | None = None,
    rasa: RasaGateway | None = None,
    channels: Sequence[ChannelAdapter] | None = None,
) -> FastAPI:
    """`channels`: the channel adapters to serve (default: those configured in the environment)."""
    settings = settings or get_settings()
    desk_settings = desk_settings or get_desk_settings()
    services = DeskServices.for_settings(desk_settings)
    live = retriever or shared_retriever()
    # Work one replica does at a time (a WeCom account's sync, a knowledge-base publication).
    leases = Leases(services.leases, replica_id(), timedelta(seconds=settings.lease_seconds))
    publisher = KnowledgePublisher(services.knowledge, live, leases)
    production = settings.environment == "production"
    adapters = list(
        configured_channels(production=production, redis_url=settings.redis_url, redis_prefix=settings.redis_prefix)
        if channels is None
        else channels
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade_schema, desk_settings.database_url)
        # Seed the knowledge base when empty; rebuild the index if it lacks what was published.
        await run_in_threadpool(publisher.prepare)
        if settings.warm_up_retriever:
            await run_in_threadpool(live.warm_up)
            # The case reader's learned part and its Chinese date reader too: made here, not in a
            # customer's first case turn.
            await run_in_threadpool(clause_reader)
            await run_in_threadpool(warm_up_date_readers)
            await run_in_threadpool(warm_up_customer_words)
        client = httpx.AsyncClient(base_url=settings.rasa_url, timeout=settings.rasa_timeout)
        await run_in_threadpool(ensure_admin, services, settings)
        gateway = rasa or HttpRasaGateway(client, settings.rasa_token.get_secret_value())
        metrics = Metrics()
        bus = event_bus(settings)
        await bus.start()
        # This process's publications announced, the other replicas' loaded.
        following = asyncio.create_task(publisher.follow(bus))
        # The conversation API's own channel; each configured adapter serves its platform's channel.
        delivery = DeliveryWorker(
            services.outbox, {"api": LiveChannel(bus), **{adapter.name: adapter for adapter in adapters}}, bus
        )
        agent_desk = AgentDesk(services.casework, services.conversations, services.outbox, gateway, bus, delivery)
        limits = PublicLimits.for_settings(settings)
        # One turn of a conversation at a time: in this process, or in every replica (APP_REDIS_URL).
        locks = conversation_locks(settings.redis_url, settings.redis_prefix)
        turns = TurnService(
            services.conversations,
            services.backlog,
            services.escalations,
            gateway,
            metrics,
            bus,
            budget=limits.escalations,
            schedule=settings.answer_retries,
            retriever=live if settings.routing_evidence else None,
            locks=locks,
        )
        retries = AnswerRetries(
            services.backlog, services.conversations, turns, delivery, bus, metrics, settings.answer_retries
        )
        app.state.runtime = Runtime(
            settings=settings,
            services=services,
            retriever=live,
            rasa=gateway,
            metrics=metrics,
            turns=turns,
            executor=action_endpoint.action_executor(services, live),
            database_url=desk_settings.database_url,
            bus=bus,
            delivery=delivery,
            agent_desk=agent_desk,
            limits=limits,
            request_desk=RequestDesk(services.requests, bus, delivery),
        )
        background = asyncio.create_task(keep_delivering(delivery, agent_desk, retries, settings.delivery_poll_seconds))
        # What the channels get of all this: the narrow port (engine/port.py), never the runtime.
        assistant = Assistant(
            turns,
            delivery,
            bus,
            services.conversations,
            services.escalations,
            services.channel_state,
            console_url=f"http://{settings.host}:{settings.port}",
            leases=leases,
        )
        for adapter in adapters:
            await adapter.start(assistant)
        log.info(
            "app_started",
            rasa=settings.rasa_url,
            environment=settings.environment,
            channels=[adapter.name for adapter in adapters],
        )
        try:
            yield
        finally:
            for adapter in adapters:
                await adapter.stop()
            background.cancel()
            # Bounded: a loop that does not end on cancellation must not hold the shutdown forever.
            done, _ = await asyncio.wait({background}, timeout=SHUTDOWN_LOOPS_SECONDS)
            if not done:
                log.warning("background_loops_not_stopped", seconds=SHUTDOWN_LOOPS_SECONDS)
            elif not background.cancelled() and background.exception() is not None:
                log.warning("background_loops_failed", error=repr(background.exception()))
            await client.aclose()
            await limits.close()
            await locks.close()
            await publisher.wait()
            following.cancel()
            with suppress(asyncio.CancelledError):
                await following
            await bus.close()

    app = FastAPI(
        title="Lumio after-sales assistant",
        version="0.1.0",
        description="Conversation API of the after-sales assistant (Rasa + hybrid FAQ retrieval + human handoff).",
        lifespan=lifespan,
    )
    app.state.knowledge_publisher = publisher
    install_error_handlers(app)
    install_console(app)
    # Who the client is (X-Forwarded-For from trusted proxies only), for everything inside it.
    install_client_address(app, settings.trusted_proxies)
    app.add_middleware(NoStoreByDefault)
    # Outermost: a request too large is refused before any other middleware or route sees it.
    app.add_middleware(RequestLimits)
    for module in (
        conversations,
        customers,
        orders,
        escalations,
        requests,
        events,
        admin,
        action_endpoint,
        health,
        console_pages,
        request_pages,
        admin_pages,
        knowledge,
        knowledge_pages,
        analytics,
        analytics_pages,
        label_pages,
        question_labels,
    ):
        app.include_router(module.router)
    for adapter in adapters:
        adapter.install(app)
    return app
