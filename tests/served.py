"""An ASGI app on a real loopback port for a test: uvicorn in a thread, stopped when the test is done.
For what only a real server shows (request heads, streaming, clients that speak HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from api.__main__ import server_config
from api.settings import AppSettings
from bench.system import free_port


@contextmanager
def serving(config: uvicorn.Config, name: str = "served", start_timeout: float = 30) -> Iterator[str]:
    """Serve `config` (its app, host and port) until the block ends; yields the base URL."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name}: uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://{config.host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def serving_app(app: FastAPI, name: str = "app") -> Iterator[str]:
    """The app on a free loopback port, served as `python -m api` serves it (`server_config`)."""
    config = server_config(app, AppSettings(host="127.0.0.1", port=free_port()))
    config.log_level = "warning"
    with serving(config, name) as base_url:
        yield base_url
