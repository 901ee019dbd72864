"""What routes and console pages depend on, as `Annotated` aliases: the instances the app factory
puts on `app.state`. (Who may use a conversation of the conversation API: api/conversation_access.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from rasa_sdk.executor import ActionExecutor

from api.public_limits import PublicLimits
from api.settings import AppSettings
from desk.services import DeskServices
from engine.agent_desk import AgentDesk
from engine.delivery import DeliveryWorker
from engine.events import EventBus
from engine.knowledge_publisher import KnowledgePublisher
from engine.metrics import Metrics
from engine.rasa_gateway import RasaGateway
from engine.request_desk import RequestDesk
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
    limits: PublicLimits
    # Agents' decisions on return, exchange and repair requests.
    request_desk: RequestDesk


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


def get_request_desk(runtime: RuntimeDep) -> RequestDesk:
    return runtime.request_desk


RequestDeskDep = Annotated[RequestDesk, Depends(get_request_desk)]


def get_limits(runtime: RuntimeDep) -> PublicLimits:
    return runtime.limits


LimitsDep = Annotated[PublicLimits, Depends(get_limits)]


def get_publisher(request: Request) -> KnowledgePublisher:
    publisher: KnowledgePublisher = request.app.state.knowledge_publisher
    return publisher


PublisherDep = Annotated[KnowledgePublisher, Depends(get_publisher)]
