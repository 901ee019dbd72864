"""With a real Rasa: what the app reads of Rasa's tracker to tell whether a message was answered is
what Rasa answered it, and a message sent while Rasa is down is answered by the app's retry loop
once Rasa is back (engine/retries.py), in the transcript the customer reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.system import System, missing_prerequisites, rasa_model
from desk.turns import read_replies
from engine.rasa_gateway import HttpRasaGateway
from tests.e2e.conftest import Customer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Rasa and the app, the app retrying failed turns every second or two (not 5 s doubling)."""
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    running = System(
        workdir=tmp_path_factory.mktemp("retries"),
        model=rasa_model(),
        extra_env={"APP_ANSWER_RETRY_SECONDS": "1", "APP_ANSWER_RETRY_LONGEST_SECONDS": "2"},
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


async def tracker_replies(system: System, conversation_id: str, message_id: int) -> list[dict[str, Any]] | None:
    async with httpx.AsyncClient(base_url=system.rasa_url, timeout=30) as client:
        tracked = await HttpRasaGateway(client, system.token).turn_in_tracker(conversation_id, message_id)
    return tracked.replies if tracked is not None else None


def test_the_tracker_holds_what_rasa_answered_each_message(quick: System) -> None:
    customer = Customer(quick.app_url)
    answer = customer.say("How long is the warranty on the battery?")
    question = customer.conversation()["transcript"][-1 - len(answer["messages"])]
    assert question["sender"] == "customer"
    replies = asyncio.run(tracker_replies(quick, customer.id, question["id"]))
    assert replies is not None
    messages, record = read_replies(replies)
    assert [(m.text, m.buttons) for m in messages] == [(m["text"], m["buttons"]) for m in answer["messages"]]
    assert (record.outcome, record.faq_id) == (answer["turn"]["outcome"], answer["turn"]["faq_id"])
    assert asyncio.run(tracker_replies(quick, customer.id, question["id"] + 10_000)) is None


def test_a_message_sent_while_rasa_is_down_is_answered_once_it_is_back(quick: System) -> None:
    customer = Customer(quick.app_url)
    customer.say("hello")
    quick.rasa.stop()
    try:
        refused = httpx.post(
            f"{quick.app_url}{customer.started.url}/messages",
            json={"text": "How long is the warranty on the battery?", "message_id": "m-1"},
            headers=customer.started.headers,
            timeout=60,
        )
        assert refused.status_code == 503, refused.text
    finally:
        quick.rasa.start()
        quick.wait_healthy()
    deadline = time.monotonic() + 60
    while True:
        transcript = customer.conversation()["transcript"]
        question = next(m for m in transcript if m["text"] == "How long is the warranty on the battery?")
        if question["state"] == "answered" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert question["state"] == "answered", transcript
    answers = [m for m in transcript if m["id"] > question["id"] and m["sender"] == "bot"]
    assert answers and answers[0]["outcome"] == "answered" and answers[0]["faq_id"]
