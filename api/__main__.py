"""`python -m api`: serve the app with uvicorn on the configured address."""

from __future__ import annotations

import os

import structlog
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.request_limits import MAX_HEAD_BYTES
from api.settings import AppSettings, get_settings
from channels.webchat.settings import MAX_WEBSOCKET_MESSAGE_BYTES
from engine.log_config import configure_logging

# One OpenMP thread per inference (torch, FAISS). Each request already runs in its own worker thread,
# and on a busy 2-core machine a 2-thread MiniLM pass spends most of its time in OpenMP barriers
# waiting for a core: measured 170–390 ms p50 per English query with 2 threads, 22–25 ms with 1.
# Read when torch loads (lazily, after this); an operator's own setting wins.
SINGLE_THREADED_INFERENCE = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# What the app writes (the SQLite database, index rebuilds) holds customers' data: owner only,
# whatever umask it was started with (a stricter one is kept).
PRIVATE_FILES = 0o077


def main() -> None:
    for name, value in SINGLE_THREADED_INFERENCE.items():
        os.environ.setdefault(name, value)
    os.umask(os.umask(PRIVATE_FILES) | PRIVATE_FILES)
    configure_logging()
    settings = get_settings()
    if settings.generated_secrets:
        structlog.get_logger(__name__).warning(
            "secrets_generated",
            variables=settings.generated_secrets,
            why="not set: random for this process; Rasa needs the same tokens, sessions end at restart",
        )
    uvicorn.Server(server_config(create_app(settings), settings)).run()


def server_config(app: FastAPI, settings: AppSettings) -> uvicorn.Config:
    """How `python -m api` serves the app (tests that need a real server start it the same way)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        # h11, not httptools (which rasa-sdk's Sanic brings, and uvicorn prefers): httptools has no
        # limit on a request's head; h11 stops buffering one at this size.
        http="h11",
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        # uvicorn's own default is 16 MiB, read whole before the web chat's own checks.
        ws_max_size=MAX_WEBSOCKET_MESSAGE_BYTES,
        # X-Forwarded-For is the app's to read, from the proxies it trusts (api.client_address);
        # uvicorn's default would trust any loopback peer's header.
        proxy_headers=False,
        # Event streams and chat sockets end at the signal (sse-starlette, uvicorn's close 1012); a
        # request that never completes (a half-sent body, a turn waiting on Rasa) is cancelled here,
        # or the process waited on it for ever.
        timeout_graceful_shutdown=settings.shutdown_seconds,
    )


if __name__ == "__main__":
    main()
