"""`python -m api`: serve the app with uvicorn on the configured address."""

from __future__ import annotations

import os

import uvicorn

from api.app import create_app
from api.settings import get_settings
from engine.log_config import configure_logging

# One OpenMP thread per inference (torch, FAISS). Each request already runs in its own worker thread,
# and on a busy 2-core machine a 2-thread MiniLM pass spends most of its time in OpenMP barriers
# waiting for a core: measured 170–390 ms p50 per English query with 2 threads, 22–25 ms with 1.
# Read when torch loads (lazily, after this); an operator's own setting wins.
SINGLE_THREADED_INFERENCE = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def main() -> None:
    for name, value in SINGLE_THREADED_INFERENCE.items():
        os.environ.setdefault(name, value)
    configure_logging()
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
