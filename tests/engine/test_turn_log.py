"""A customer message's log line tells what support needs (which conversation, channel, language,
message, how long) and never what the customer wrote: masking cannot find names, addresses or order
numbers, so the words stay in the transcript, behind the console's sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from desk.outbox import Outgoing
from desk.turns import Outcome, TurnRecord, turn_payload
from engine.port import AssistantPort
from engine.turns import Inbound
from tests.app_factory import build_app
from tests.fake_rasa import FakeRasa

WORDS = "I am Wang Xiaoming, 5 Jianguo Road, Chaoyang; order LM202611260001 never arrived"


def answered(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"text": "Sorry to hear that.", "custom": turn_payload(TurnRecord(Outcome.ANSWERED))}]


@dataclass
class PortHolder:
    name: str = "test"
    port: AssistantPort | None = None

    def install(self, app: FastAPI) -> None:
        pass

    async def start(self, port: AssistantPort) -> None:
        self.port = port

    async def stop(self) -> None:
        pass

    async def deliver(self, message: Outgoing) -> None:
        pass


def test_the_log_tells_the_messages_shape_not_its_words(tmp_path: Path) -> None:
    channel = PortHolder()
    with TestClient(build_app(tmp_path, rasa=FakeRasa(answered), channels=[channel])) as client:
        assert client.portal is not None and channel.port is not None
        port = channel.port

        async def turn() -> None:
            await port.answer(Inbound("test:1", WORDS, channel="test", message_id="m1"))

        with capture_logs() as logs:
            client.portal.call(turn)

    lines = [line for line in logs if line["event"] == "customer_message"]
    assert len(lines) == 1
    line = lines[0]
    assert line["conversation"] == "test:1" and line["channel"] == "test" and line["language"] == "en"
    assert line["chars"] == len(WORDS) and isinstance(line["message"], int) and line["button"] is False
    for secret in ("Wang", "Jianguo", "LM202611260001", WORDS):
        assert all(secret not in str(value) for entry in logs for value in entry.values()), secret
