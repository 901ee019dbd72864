"""Rasa's action endpoint, served by the app: rasa-sdk's executor over the `actions` package."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from starlette.concurrency import run_in_threadpool

from actions.eligibility import (
    ActionAnswerEligibility,
    ActionAskCaseAnswer,
    ActionAskRequestOrder,
    ActionAskRequestSerial,
    ValidateEligibilityForm,
)
from actions.faq import ActionAnswerFaq
from actions.feedback import ActionLogFeedback
from actions.handoff import ActionHandoff
from actions.orders import (
    ActionAskLookupNumber,
    ActionAskPhoneCheck,
    ActionDropLookup,
    ActionShowLookup,
    ValidateOrderLookupForm,
)
from api.deps import RuntimeDep
from api.errors import error_response
from desk.services import DeskServices
from knowledge.live import LiveRetriever

router = APIRouter(tags=["rasa"])


def action_executor(services: DeskServices, retriever: LiveRetriever) -> ActionExecutor:
    """The actions of the `actions` package, given this app's collaborators (the one place that
    imports them: rasa-sdk's executor would otherwise build them with no arguments)."""
    executor = ActionExecutor()
    for action in (
        ActionAnswerFaq(retriever=retriever, services=services),
        ActionHandoff(services=services, retriever=retriever),
        ActionLogFeedback(services=services),
        ValidateOrderLookupForm(services=services),
        ActionAskLookupNumber(),
        ActionAskPhoneCheck(),
        ActionShowLookup(services=services, retriever=retriever),
        ActionDropLookup(),
        ValidateEligibilityForm(services=services, retriever=retriever),
        ActionAskCaseAnswer(),
        ActionAskRequestOrder(),
        ActionAskRequestSerial(),
        ActionAnswerEligibility(services=services, retriever=retriever),
    ):
        executor.register_action(action)
    return executor


@router.post("/webhook", include_in_schema=False)
async def run_action(request: Request, runtime: RuntimeDep) -> JSONResponse:
    expected = runtime.settings.action_token.get_secret_value()
    if not hmac.compare_digest(request.query_params.get("token", "").encode(), expected.encode()):
        return error_response(401, "unauthorized", "Action calls need the action token.")
    try:
        action_call = await request.json()
    except ValueError:
        return error_response(400, "invalid_json", "The action call is not valid JSON.")
    if not isinstance(action_call, dict) or not isinstance(action_call.get("tracker"), dict):
        return error_response(400, "invalid_request", "The action call must be a JSON object with a tracker.")
    try:
        # Actions do blocking work (retrieval, database): run them off the event loop.
        result = await run_in_threadpool(_run_blocking, runtime.executor, action_call)
    except ActionExecutionRejection as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, status_code=400)
    except ActionNotFoundException as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, status_code=404)
    return JSONResponse(result.model_dump() if result else None)


def _run_blocking(executor: ActionExecutor, action_call: dict[str, Any]) -> Any:
    return asyncio.run(executor.run(action_call))
