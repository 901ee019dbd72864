"""With a real Rasa: what the app reads of Rasa's tracker to tell whether a message was answered is
what Rasa answered it; a message sent while Rasa is down is answered by the app's retry loop once
Rasa is back (engine/retries.py), in the transcript the customer reads; and a turn whose action call
failed (Rasa goes on without the action and answers nothing) runs again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.system import System, missing_prerequisites, rasa_model
from desk.turns import read_replies
from engine.rasa_gateway import HttpRasaGateway, TrackedTurn
from tests.e2e.conftest import Customer
from tests.e2e.flaky_actions import FlakyActionProxy

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def actions() -> Iterator[FlakyActionProxy]:
    with FlakyActionProxy() as proxy:
        yield proxy


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory, actions: FlakyActionProxy) -> Iterator[System]:
    """Rasa and the app, the app retrying failed turns every second or two (not 5 s doubling), Rasa's
    action calls through `actions`."""
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    running = System(
        workdir=tmp_path_factory.mktemp("retries"),
        model=rasa_model(),
        extra_env={
            "APP_ANSWER_RETRY_SECONDS": "1",
            "APP_ANSWER_RETRY_LONGEST_SECONDS": "2",
            "ACTION_ENDPOINT_URL": actions.url,
        },
    )
    actions.target = running.app_url
    running.start()
    try:
        yield running
    finally:
        running.stop()


async def in_tracker(system: System, conversation_id: str, message_id: int) -> TrackedTurn | None:
    async with httpx.AsyncClient(base_url=system.rasa_url, timeout=30) as client:
        return await HttpRasaGateway(client, system.token).turn_in_tracker(conversation_id, message_id)


async def tracker_replies(system: System, conversation_id: str, message_id: int) -> list[dict[str, Any]] | None:
    tracked = await in_tracker(system, conversation_id, message_id)
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


def test_a_turn_whose_action_call_failed_runs_again(quick: System, actions: FlakyActionProxy) -> None:
    customer = Customer(quick.app_url)
    customer.say("hello")
    actions.fail, actions.failed = 1, 0
    answer = customer.say("How long is the warranty on the battery?")
    assert actions.failed == 1  # the turn's action call got the balancer's 502
    assert answer["turn"]["outcome"] == "answered" and answer["turn"]["faq_id"], answer
    assert answer["messages"] and all(m["text"] for m in answer["messages"])
    question = customer.conversation()["transcript"][-1 - len(answer["messages"])]
    tracked = asyncio.run(in_tracker(quick, customer.id, question["id"]))
    # Rasa recorded the message, went on without the action and answered nothing; sent again, it ran.
    assert tracked is not None and tracked.runs == 2 and tracked.replies
