"""What routes depend on, as `Annotated` aliases; the app factory puts the instances on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from rasa_sdk.executor import ActionExecutor

from api.agent_desk import AgentDesk
from api.delivery import DeliveryWorker
from api.events import EventBus
from api.metrics import Metrics
from api.rasa_gateway import RasaGateway
from api.router import MessageRouter
from api.settings import AppSettings
from desk.services import DeskServices
from knowledge.live import LiveRetriever


@dataclass
class Runtime:
    """Everything one app instance holds."""

    settings: AppSettings
    services: DeskServices
    retriever: LiveRetriever
    rasa: RasaGateway
    metrics: Metrics
    router: MessageRouter
    executor: ActionExecutor
    database_url: str
    bus: EventBus
    delivery: DeliveryWorker
    agent_desk: AgentDesk


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_router(runtime: RuntimeDep) -> MessageRouter:
    return runtime.router


def get_services(runtime: RuntimeDep) -> DeskServices:
    return runtime.services


RouterDep = Annotated[MessageRouter, Depends(get_router)]
ServicesDep = Annotated[DeskServices, Depends(get_services)]


def get_agent_desk(runtime: RuntimeDep) -> AgentDesk:
    return runtime.agent_desk


AgentDeskDep = Annotated[AgentDesk, Depends(get_agent_desk)]
