"""`/healthz` (app, Rasa, database, index), `/readyz` (this replica can take customers' messages) and
`/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.deps import Runtime, RuntimeDep
from desk.database import session_factory

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    responses={
        200: {"description": "Every dependency is up."},
        503: {"description": "Something is down: `checks` says what (same body as 200)."},
    },
)
async def healthz(runtime: RuntimeDep) -> JSONResponse:
    """Each dependency's state; 200 when all are up, 503 otherwise."""
    checks = {
        "app": "ok",
        "rasa": "ok" if await runtime.rasa.healthy() else "unavailable",
        "database": await run_in_threadpool(_database, runtime.database_url),
        "index": await run_in_threadpool(_index, runtime),
    }
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ok" if healthy else "degraded", "checks": checks}
    manifest = runtime.retriever.manifest
    if manifest is not None:
        body["index"] = {"entries": manifest.entries, "model": manifest.model, "checksum": manifest.checksum}
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get(
    "/readyz",
    responses={
        200: {"description": "This replica can take customers' messages."},
        503: {"description": "The database or the index is not there: `checks` says which."},
    },
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """What a load balancer asks before sending this replica traffic: the database answers and the
    index is loaded. Rasa is not asked: without it a message is stored and answered once Rasa is back
    (the customer gets a retryable 503 meanwhile), so a Rasa outage must not take every replica out of
    the balancer, where a customer would get the balancer's 503 and nothing stored."""
    checks = {
        "database": await run_in_threadpool(_database, runtime.database_url),
        "index": await run_in_threadpool(_index, runtime),
    }
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}, "description": "Prometheus text format."}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _database(url: str) -> str:
    try:
        with session_factory(url)() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"


def _index(runtime: Runtime) -> str:
    try:
        runtime.retriever.current()
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"
