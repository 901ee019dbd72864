"""The human loop end to end, against real Rasa: a customer asks for a human, an agent claims and
replies, the customer gets the reply, the agent resolves, the bot asks for a rating, the customer rates."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from bench.system import System
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.e2e.conftest import Customer, agent_headers, text_of

pytestmark = pytest.mark.e2e
# The rating question's options (domain.yml), which channels without buttons number 1–5.
RATING_TITLES = ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"]


def api(system: System, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{system.app_url}{path}", headers=headers, timeout=60, **kwargs)


def escalation_of(system: System, headers: dict[str, str], conversation_id: str) -> int:
    queue = api(system, "GET", "/api/v1/escalations", headers).json()
    return int(next(e["id"] for e in queue if e["conversation_id"] == conversation_id))


def listen(system: System, customer: Customer, seen: list[dict[str, Any]], ready: threading.Event) -> None:
    """The customer's live stream of their conversation (server-sent events), opened as a browser's
    `EventSource` opens it: with a ticket in the URL, no headers."""
    ticket = httpx.post(f"{system.app_url}{customer.started.url}/event-tickets", headers=customer.started.headers)
    assert ticket.status_code == 201, ticket.text
    with httpx.stream("GET", f"{system.app_url}{ticket.json()['url']}", timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data:"):
                event = json.loads(line[5:])
                seen.append(event)
                ready.set()
                if event.get("kind") == "message":
                    return


def test_handoff_claim_reply_resolve_and_rating(system: System) -> None:
    customer = Customer(system.app_url)
    agent = agent_headers(system, "e2e-alice")
    handed = customer.say("I want to talk to a human agent please")
    assert handed["turn"]["outcome"] == "handoff" and handed["turn"]["status"] == "queued"
    waiting = customer.say("are you still there?")
    assert waiting["turn"]["outcome"] == "queued"
    escalation_id = escalation_of(system, agent, customer.id)

    seen: list[dict[str, Any]] = []
    ready = threading.Event()
    listener = threading.Thread(target=listen, args=(system, customer, seen, ready), daemon=True)
    listener.start()
    assert ready.wait(10)

    assert api(system, "POST", f"/api/v1/escalations/{escalation_id}/claim", agent).status_code == 200
    reply = api(system, "POST", f"/api/v1/escalations/{escalation_id}/replies", agent, json={"text": "Hi, I'm Alice."})
    assert reply.status_code == 201
    listener.join(10)
    assert any(e.get("kind") == "message" for e in seen), seen  # pushed live to the customer
    transcript = customer.conversation()["transcript"]
    assert transcript[-1]["sender"] == "agent" and transcript[-1]["text"] == "Hi, I'm Alice."

    # While the agent owns it, the bot stays silent.
    silent = customer.say("my order is LM202611260001")
    assert silent["messages"] == [] and silent["turn"]["status"] == "agent"

    resolved = api(system, "POST", f"/api/v1/escalations/{escalation_id}/resolve", agent, json={"code": "answered"})
    assert resolved.status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        last = customer.conversation()["transcript"][-1]
        if last["sender"] == "bot" and last["buttons"]:
            break
        time.sleep(0.2)
    assert [b["title"] for b in last["buttons"]] == RATING_TITLES, last
    assert "rate" in last["text"]

    rated = customer.say("4", payload=last["buttons"][3]["payload"])
    assert text_of(rated).lower().count("thank") == 1, text_of(rated)  # thanked once, then asked for a comment
    commented = customer.say("Alice was quick and friendly")
    assert commented["turn"]["status"] == "bot"
    services = DeskServices.for_settings(DeskSettings(database_url=system.database_url))
    feedback = services.feedback.for_conversation(customer.id)
    assert [(f.kind, f.score) for f in feedback if f.kind == "csat"] == [("csat", 4)]
    assert any(f.kind == "comment" and "quick" in (f.comment or "") for f in feedback)
    # Back with the bot: it answers questions again.
    assert customer.say("How long does a refund to WeChat Pay take?")["turn"]["outcome"] == "answered"


def test_hand_back_to_the_bot(system: System) -> None:
    customer = Customer(system.app_url)
    agent = agent_headers(system, "e2e-bob")
    customer.say("转人工")
    escalation_id = escalation_of(system, agent, customer.id)
    api(system, "POST", f"/api/v1/escalations/{escalation_id}/claim", agent)
    assert api(system, "POST", f"/api/v1/escalations/{escalation_id}/hand-back", agent).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        last = customer.conversation()["transcript"][-1]
        if last["sender"] == "bot":
            break
        time.sleep(0.2)
    assert "智能助手" in last["text"]
    answer = customer.say("扫地机器人的电池坏了，保修多久？")
    assert answer["turn"]["outcome"] == "answered" and answer["turn"]["status"] == "bot"


def test_a_resolve_while_rasa_is_down_still_asks_for_the_rating_later(system: System) -> None:
    customer = Customer(system.app_url)
    agent = agent_headers(system, "e2e-carol")
    customer.say("I want to talk to a human agent please")
    escalation_id = escalation_of(system, agent, customer.id)
    api(system, "POST", f"/api/v1/escalations/{escalation_id}/claim", agent)
    system.rasa.stop()
    try:
        resolved = api(system, "POST", f"/api/v1/escalations/{escalation_id}/resolve", agent, json={"code": "answered"})
        assert resolved.status_code == 200  # the agent's work is saved even though Rasa is away
    finally:
        system.rasa.start()
        system.wait_healthy()
    # The app retries the pending resumption in the background: the rating question arrives.
    deadline = time.monotonic() + 30
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        last = customer.conversation()["transcript"][-1]
        if last["buttons"]:
            break
        time.sleep(0.5)
    assert [b["title"] for b in last["buttons"]] == RATING_TITLES, last
