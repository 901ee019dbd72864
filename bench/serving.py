"""An ASGI app on a real loopback port: uvicorn in a thread, stopped when the block ends. For the
platform fakes and for tests of what only a real server shows (request heads, streaming, clients
that speak HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


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
