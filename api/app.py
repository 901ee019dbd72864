"""The app factory: one process hosts the conversation API, Rasa's action endpoint and the retriever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from rasa_sdk.executor import ActionExecutor
from starlette.concurrency import run_in_threadpool

from actions.faq import ActionAnswerFaq
from actions.feedback import ActionLogFeedback
from actions.handoff import ActionHandoff
from api.deps import Runtime
from api.errors import install_error_handlers
from api.metrics import Metrics
from api.rasa_gateway import HttpRasaGateway, RasaGateway
from api.router import MessageRouter
from api.routes import actions, conversations, health
from api.settings import AppSettings, get_settings
from desk.database import upgrade_schema
from desk.services import DeskServices
from desk.settings import DeskSettings
from desk.settings import get_settings as get_desk_settings
from knowledge.live import LiveRetriever, shared_retriever

log = structlog.get_logger(__name__)


def action_executor(services: DeskServices, retriever: LiveRetriever) -> ActionExecutor:
    """The actions of the `actions` package, given this app's collaborators."""
    executor = ActionExecutor()
    for action in (
        ActionAnswerFaq(retriever=retriever, services=services),
        ActionHandoff(services=services, retriever=retriever),
        ActionLogFeedback(services=services),
    ):
        executor.register_action(action)
    return executor


def create_app(
    settings: AppSettings | None = None,
    *,
    desk_settings: DeskSettings | None = None,
    retriever: LiveRetriever | None = None,
    rasa: RasaGateway | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    desk_settings = desk_settings or get_desk_settings()
    services = DeskServices.for_settings(desk_settings)
    live = retriever or shared_retriever()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade_schema, desk_settings.database_url)
        if settings.warm_up_retriever:
            await run_in_threadpool(live.warm_up)
        client = httpx.AsyncClient(base_url=settings.rasa_url, timeout=settings.rasa_timeout)
        gateway = rasa or HttpRasaGateway(client, settings.rasa_token.get_secret_value())
        metrics = Metrics()
        app.state.runtime = Runtime(
            settings=settings,
            services=services,
            retriever=live,
            rasa=gateway,
            metrics=metrics,
            router=MessageRouter(services.conversations, gateway, metrics),
            executor=action_executor(services, live),
            database_url=desk_settings.database_url,
        )
        log.info("app_started", rasa=settings.rasa_url, environment=settings.environment)
        try:
            yield
        finally:
            await client.aclose()

    app = FastAPI(
        title="Lumio after-sales assistant",
        version="0.1.0",
        description="Conversation API of the after-sales assistant (Rasa + hybrid FAQ retrieval + human handoff).",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(conversations.router)
    app.include_router(actions.router)
    app.include_router(health.router)
    return app
