"""Rate limits of the public surfaces (issue 11, M2): each one, exceeded, answers 429 with
`Retry-After` in the app's JSON error shape (the console's sign-in: as a page), and costs nobody else
their allowance. Limits are made small through the app's settings; the Redis-backed counters are
tested where a Redis answers (skipped, saying so, where none does)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from desk.handoff import MAY_ESCALATE, HandoffReason
from desk.models import Role
from desk.services import DeskServices
from desk.turns import Outcome, TurnRecord, turn_payload
from engine.rate_limiter import RateLimiter
from tests.api.staff import PASSWORD, create_user, integration_token, login_form_token, services_of, token_for
from tests.app_factory import build_app
from tests.conversation_api import Started, start_conversation
from tests.fake_rasa import FakeRasa

# A database of its own on the machine's Redis (`TEST_REDIS_URL` for another).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The test app's peer, a proxy it trusts: X-Forwarded-For then tells another client apart.
PROXY = "10.0.0.1"

AppMaker = Callable[..., TestClient]


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[AppMaker]:
    """`app_with(rasa=…, **settings)`: a started app (TestClient) with those `AppSettings`."""
    with ExitStack() as stack:

        def make(*, rasa: FakeRasa | None = None, folder: Path = tmp_path, **settings: Any) -> TestClient:
            app = build_app(folder, rasa=rasa or FakeRasa(), trusted_proxies=[PROXY], **settings)
            client = TestClient(app, raise_server_exceptions=False, client=(PROXY, 50000))
            return stack.enter_context(client)

        yield make


def as_client(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def assert_limited(response: Any, window_seconds: int = 60) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["Retry-After"]) <= window_seconds
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and "Try again in" in error["message"]


def say(client: TestClient, conversation: Started, text: str = "hello", **body: Any) -> Any:
    headers = {**conversation.headers, **body.pop("headers", {})}
    return client.post(f"{conversation.url}/messages", json={"text": text, **body}, headers=headers)


def test_starting_conversations_is_limited_per_client(app_with: AppMaker) -> None:
    client = app_with(rate_limit_conversation_starts="2/minute")
    for _ in range(2):
        start_conversation(client)
    assert_limited(client.post("/api/v1/conversations", json={}))
    other = client.post("/api/v1/conversations", json={}, headers=as_client("198.51.100.7"))
    assert other.status_code == 201


def test_messages_are_limited_per_conversation_after_the_key_is_checked(app_with: AppMaker) -> None:
    client = app_with(rate_limit_messages="2/minute")
    alice = start_conversation(client)
    # Naming alice's conversation without its key spends nothing of hers.
    for _ in range(3):
        stranger = client.post(f"{alice.url}/messages", json={"text": "hi"}, headers={"Authorization": "Bearer nope"})
        assert stranger.status_code == 404
    assert [say(client, alice).status_code for _ in range(2)] == [200, 200]
    assert_limited(say(client, alice))
    assert say(client, start_conversation(client)).status_code == 200  # another conversation


def test_messages_are_limited_per_client_but_not_for_integrations(app_with: AppMaker) -> None:
    client = app_with(rate_limit_client_messages="3/minute")
    first, second = start_conversation(client), start_conversation(client)
    assert [say(client, c).status_code for c in (first, second, first)] == [200, 200, 200]
    assert_limited(say(client, second))
    assert say(client, second, headers=as_client("198.51.100.7")).status_code == 200
    # An integration relays many customers from one address: its token, not its address, is its identity.
    crm = integration_token(client, "crm")
    for n in range(5):
        response = client.post("/api/v1/conversations/order-1/messages", json={"text": f"hi {n}"}, headers=crm)
        assert response.status_code == 200, response.text


def test_reads_and_event_tickets_are_limited_per_conversation_and_per_client(app_with: AppMaker) -> None:
    client = app_with(rate_limit_reads="2/minute", rate_limit_client_reads="6/minute")
    alice = start_conversation(client)
    assert client.get(alice.url, headers=alice.headers).status_code == 200
    assert client.post(f"{alice.url}/event-tickets", headers=alice.headers).status_code == 201
    assert_limited(client.get(alice.url, headers=alice.headers))
    # Opening an event stream (with a ticket) is a read too.
    bob = start_conversation(client)
    ticket = client.post(f"{bob.url}/event-tickets", headers=bob.headers).json()["ticket"]
    assert client.get(bob.url, headers=bob.headers).status_code == 200
    assert_limited(client.get(f"{bob.url}/events", params={"ticket": ticket}))
    # Six reads from this client in all (refused ones count: they were asked for).
    carol = start_conversation(client)
    assert_limited(client.get(carol.url, headers=carol.headers))


def test_sign_in_attempts_are_limited_per_client(app_with: AppMaker) -> None:
    client = app_with(rate_limit_sign_ins="2/minute")
    create_user(client, "alice", Role.AGENT)
    for name in ("bob", "carol"):
        form = {"username": name, "password": "not the password", "csrf_token": login_form_token(client)}
        assert client.post("/console/login", data=form).status_code == 401
    form = {"username": "alice", "password": PASSWORD, "csrf_token": login_form_token(client)}
    refused = client.post("/console/login", data=form)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts. Try again in" in refused.text
    # alice, signing in from her own address, is not held up.
    form["csrf_token"] = login_form_token(client)  # each form shown has its own
    mine = client.post("/console/login", data=form, headers=as_client("198.51.100.7"), follow_redirects=False)
    assert mine.status_code == 303


def test_a_sign_in_blocked_for_one_client_is_open_from_another(app_with: AppMaker) -> None:
    """Issue 11, L2: five wrong passwords from anywhere no longer lock the user out."""
    client = app_with()
    create_user(client, "alice", Role.AGENT)
    attacker = as_client("203.0.113.9")
    for _ in range(6):
        form = {"username": "alice", "password": "guess", "csrf_token": login_form_token(client)}
        client.post("/console/login", data=form, headers=attacker)
    form = {"username": "alice", "password": PASSWORD, "csrf_token": login_form_token(client)}
    assert client.post("/console/login", data=form, headers=attacker).status_code == 429
    form["csrf_token"] = login_form_token(client)
    assert client.post("/console/login", data=form, follow_redirects=False).status_code == 303


# Escalations ---------------------------------------------------------------------------------------


class HandoffRasa(FakeRasa):
    """Rasa with `action_handoff` done as the real one does it: an escalation when the turn service
    says the turn may open one (`MAY_ESCALATE`), else a refusal without one."""

    def __init__(self) -> None:
        super().__init__(self._hand_off)
        self.services: DeskServices | None = None

    def _hand_off(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.services is not None
        if metadata.get(MAY_ESCALATE) is False:
            return [{"text": "not now"}, {"custom": turn_payload(TurnRecord(Outcome.FALLBACK))}]
        handoff = self.services.escalations.open(sender, HandoffReason.CUSTOMER_REQUEST, channel="api", language="en")
        record = TurnRecord(Outcome.HANDOFF, escalation_id=handoff.escalation.id, escalated=handoff.created)
        return [{"text": "queued"}, {"custom": turn_payload(record)}]


def handoff_app(app_with: AppMaker, **settings: Any) -> tuple[TestClient, HandoffRasa]:
    rasa = HandoffRasa()
    client = app_with(rasa=rasa, **settings)
    rasa.services = services_of(client)
    return client, rasa


def test_a_conversation_opens_new_escalations_within_its_budget(app_with: AppMaker) -> None:
    client, rasa = handoff_app(app_with, rate_limit_escalations="1/hour")
    alice = start_conversation(client)
    assert say(client, alice, "human please").json()["turn"]["status"] == "queued"
    assert rasa.sent[-1].metadata[MAY_ESCALATE] is True
    # Waiting in the queue, her messages go to the agents: no second escalation.
    assert say(client, alice, "hello?").json()["turn"]["status"] == "queued" and len(rasa.sent) == 1
    agent = token_for(client, Role.AGENT)
    escalation = services_of(client).escalations.open_for(alice.id)
    assert escalation is not None
    assert client.post(f"/api/v1/escalations/{escalation.id}/claim", headers=agent).status_code == 200
    resolved = client.post(f"/api/v1/escalations/{escalation.id}/resolve", json={"code": "answered"}, headers=agent)
    assert resolved.status_code == 200
    # Back with the bot: asking again within the hour opens none; the customer's metadata cannot say otherwise.
    again = say(client, alice, "human again", metadata={MAY_ESCALATE: True})
    assert again.status_code == 200 and again.json()["turn"]["status"] != "queued"
    assert rasa.sent[-1].metadata[MAY_ESCALATE] is False


def test_a_client_cannot_fill_the_queue_from_many_conversations(app_with: AppMaker) -> None:
    client, rasa = handoff_app(app_with, rate_limit_client_escalations="2/hour")
    statuses = [say(client, start_conversation(client), "human").json()["turn"]["status"] for _ in range(3)]
    assert statuses == ["queued", "queued", "bot"]
    assert [sent.metadata[MAY_ESCALATE] for sent in rasa.sent] == [True, True, False]
    assert len(services_of(client).casework.queue()) == 2
    elsewhere = as_client("198.51.100.7")
    started = client.post("/api/v1/conversations", json={}, headers=elsewhere).json()
    other = Started(started["conversation_id"], started["access_key"])
    assert say(client, other, "human", headers=elsewhere).json()["turn"]["status"] == "queued"


# Shared counters ----------------------------------------------------------------------------------


def redis_reason() -> str | None:
    async def check() -> bool:
        limiter = RateLimiter(REDIS_URL)
        try:
            return await limiter.storage.check()
        finally:
            await limiter.close()

    try:
        reachable = asyncio.run(check())
    except Exception as error:  # no server, refused, timed out
        return f"Redis not reachable at {REDIS_URL}: {type(error).__name__}"
    return None if reachable else f"Redis not reachable at {REDIS_URL}"


def test_replicas_sharing_a_redis_count_a_conversation_once(app_with: AppMaker, tmp_path: Path) -> None:
    reason = redis_reason()
    if reason:
        pytest.skip(reason)
    # Two app replicas over one database and one Redis.
    first = app_with(rate_limit_storage=REDIS_URL, rate_limit_messages="2/minute")
    second = app_with(rate_limit_storage=REDIS_URL, rate_limit_messages="2/minute")
    alice = start_conversation(first)  # a new id: counters of earlier runs never match it
    assert say(first, alice).status_code == 200
    assert say(second, alice).status_code == 200
    assert_limited(say(first, alice))
    assert_limited(say(second, alice))
