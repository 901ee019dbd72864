"""The app on a real loopback port for a test, served as `python -m api` serves it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from api.__main__ import server_config
from api.settings import AppSettings
from bench.serving import serving as serving
from bench.system import free_port


@contextmanager
def serving_app(app: FastAPI, name: str = "app") -> Iterator[str]:
    """The app on a free loopback port, served as `python -m api` serves it (`server_config`)."""
    config = server_config(app, AppSettings(host="127.0.0.1", port=free_port()))
    config.log_level = "warning"
    with serving(config, name) as base_url:
        yield base_url
