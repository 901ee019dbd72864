"""The app with a fake Rasa that records what it is sent and replies "ok" (offering one button)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from desk.turns import Outcome, TurnRecord, turn_payload
from tests.app_factory import build_app
from tests.fake_rasa import FakeRasa


def ok(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    return [{"text": "ok", "buttons": buttons, "custom": turn_payload(TurnRecord(Outcome.SMALLTALK))}]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(ok)


@pytest.fixture
def client(tmp_path: Path, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[])) as test_client:
        yield test_client
