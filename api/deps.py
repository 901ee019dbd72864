"""What routes and console pages depend on, as `Annotated` aliases: the instances the app factory
puts on `app.state`, and the conversation API's path parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from rasa_sdk.executor import ActionExecutor
from starlette.concurrency import run_in_threadpool

from api.settings import AppSettings
from desk.message_text import CONVERSATION_ID
from desk.services import DeskServices
from engine.agent_desk import AgentDesk
from engine.delivery import DeliveryWorker
from engine.events import EventBus
from engine.knowledge_publisher import KnowledgePublisher
from engine.metrics import Metrics
from engine.rasa_gateway import RasaGateway
from engine.turns import TurnService
from knowledge.live import LiveRetriever


@dataclass
class Runtime:
    """Everything one app instance holds."""

    settings: AppSettings
    services: DeskServices
    retriever: LiveRetriever
    rasa: RasaGateway
    metrics: Metrics
    turns: TurnService
    executor: ActionExecutor
    database_url: str
    bus: EventBus
    delivery: DeliveryWorker
    agent_desk: AgentDesk


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_turns(runtime: RuntimeDep) -> TurnService:
    return runtime.turns


def get_services(runtime: RuntimeDep) -> DeskServices:
    return runtime.services


TurnsDep = Annotated[TurnService, Depends(get_turns)]
ServicesDep = Annotated[DeskServices, Depends(get_services)]


def get_agent_desk(runtime: RuntimeDep) -> AgentDesk:
    return runtime.agent_desk


AgentDeskDep = Annotated[AgentDesk, Depends(get_agent_desk)]


def get_publisher(request: Request) -> KnowledgePublisher:
    publisher: KnowledgePublisher = request.app.state.knowledge_publisher
    return publisher


PublisherDep = Annotated[KnowledgePublisher, Depends(get_publisher)]


# The conversation API's path parameter ----------------------------------------------------------

ConversationId = Annotated[
    str, Path(pattern=CONVERSATION_ID, description="Chosen by the client; letters, digits, _.:-")
]

API_CHANNEL = "api"
# Conversations of the other channels are theirs alone: knowing a WeChat OpenID or a Slack thread
# must not let anyone read that transcript or write into it through this API.
CHANNEL_PREFIXES = ("web:", "wechat:", "wecom:", "slack:")


async def api_conversation(conversation_id: ConversationId, services: ServicesDep) -> str:
    """The id, if it names a conversation of this API (or a new one it may create)."""
    if conversation_id.startswith(CHANNEL_PREFIXES):
        raise HTTPException(404, "no such conversation")
    existing = await run_in_threadpool(services.conversations.get, conversation_id)
    if existing is not None and existing.channel != API_CHANNEL:
        raise HTTPException(404, "no such conversation")
    return conversation_id


ApiConversationId = Annotated[str, Depends(api_conversation)]
