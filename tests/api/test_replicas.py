"""Two app replicas, as a load balancer would have them: `python -m api` twice on free ports, one
desk database (a fresh PostgreSQL schema, or a shared SQLite file when no PostgreSQL answers) and
one Redis (`APP_REDIS_URL`, channels of this run only). A customer writes to replica B and the
agent's console stream on replica A hears it; the agent replies through A and the customer's
stream on B, and a Rasa web-chat widget connected to B, get the reply. Rasa is not needed: the
conversations are in a human's hands (their escalation opened in the database, as the handoff
action opens it)."""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.system import INDEX_DIR, ONE_MACHINE_FOR_ALL_CUSTOMERS, PYTHON, Process, free_port
from desk.database import session_factory, upgrade_schema
from desk.handoff import HandoffReason
from desk.models import Role, TokenRole
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.channels.webchat.test_socketio_protocol import RasaWidget
from tests.conftest import _postgres_reason, postgres_schema
from tests.conversation_api import Started, start_conversation
from tests.engine.test_redis_events import REDIS_URL, redis_reason

# Each replica up (no model loaded: the index is only read) and subscribed to the bus.
START_SECONDS = 120
# An event crossing from one replica to the other (milliseconds when all is well).
CROSSING_SECONDS = 15


@dataclass
class Replicas:
    a: str
    b: str
    database_url: str

    def agent(self, username: str) -> dict[str, str]:
        """An agent's API token: staff use either replica with it."""
        services = DeskServices.for_settings(DeskSettings(database_url=self.database_url))
        user = services.users.ensure(username, "correct horse battery", Role.AGENT, username.title())[0]
        secret, _ = services.access.create_token(f"{username}-replicas", TokenRole.AGENT, user.id)
        return {"Authorization": f"Bearer {secret}"}

    def hand_to_a_human(self, conversation_id: str, channel: str) -> int:
        """The conversation's escalation, opened as the handoff action opens it."""
        services = DeskServices.for_settings(DeskSettings(database_url=self.database_url))
        handoff = services.escalations.open(
            conversation_id, HandoffReason.CUSTOMER_REQUEST, channel=channel, language="en"
        )
        return handoff.escalation.id


def shared_database(tmp_path: Path) -> Iterator[str]:
    """A fresh schema of its own on the machine's PostgreSQL (dropped afterwards), else a SQLite file."""
    if _postgres_reason() is not None:
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        upgrade_schema(url)
        yield url
        return
    with postgres_schema("replicas") as url:
        upgrade_schema(url)
        yield url


def start(process: Process, url: str) -> None:
    """Until the replica answers (503 without Rasa: still serving) and its bus listens to Redis
    (started here unless it runs already)."""
    if not process.alive():
        process.start()
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.alive(), process.tail()
        assert time.monotonic() < deadline, f"{process.name} did not start:\n{process.tail()}"
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            if "event_bus_redis_connected" in process.log.read_text(errors="replace"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


@dataclass
class Replica:
    process: Process
    url: str


def replica_env(index_dir: Path, database_url: str) -> dict[str, str]:
    """What every replica of a test run is started with."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DESK_", "KNOWLEDGE_", "WEBCHAT_"))}
    base.pop("DATABASE_URL", None)
    return {
        **base,
        **ONE_MACHINE_FOR_ALL_CUSTOMERS,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # Rasa is not needed: the customers here are in a human's hands.
        "APP_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "APP_WARM_UP_RETRIEVER": "false",
        # Nothing here goes to Rasa: no routing evidence, so no index is loaded for the first message.
        "APP_ROUTING_EVIDENCE": "false",
        "APP_SECRET_KEY": secrets.token_urlsafe(48),
        "APP_REDIS_URL": REDIS_URL,
        # Channels of this run only: other runs on the machine's Redis do not cross it.
        "APP_REDIS_PREFIX": f"test-replicas-{uuid.uuid4().hex[:12]}",
        # Rate limits stay in each process: the counters of other runs are none of this test's business.
        "APP_RATE_LIMIT_STORAGE": "memory://",
        "DATABASE_URL": database_url,
        "KNOWLEDGE_INDEX_DIR": str(index_dir),
    }


def skip_without_redis_or_index() -> None:
    if reason := redis_reason():
        pytest.skip(reason)
    if not (INDEX_DIR / "manifest.json").exists():
        pytest.skip("the knowledge index is not built; run `make test` (or `python -m knowledge build`)")


@contextmanager
def launched(
    workdir: Path, database_url: str, extra: dict[str, str] | None = None, *, together: bool = False
) -> Iterator[list[Replica]]:
    """Replicas a and b (`python -m api`), up; stopped afterwards. `together`: both started at the
    same moment (else one after the other: the first seeds the knowledge base, the second finds it)."""
    # Their own copy of the index directory, which both read (as replicas on one machine do).
    index_dir = workdir / "index"
    if not index_dir.exists():
        shutil.copytree(INDEX_DIR, index_dir)
    shared = {**replica_env(index_dir, database_url), **(extra or {})}
    replicas: list[Replica] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            process = Process(
                f"replica-{name}",
                [str(PYTHON), "-m", "api"],
                {**shared, "APP_PORT": str(port)},
                workdir / f"{name}.log",
            )
            replicas.append(Replica(process, f"http://127.0.0.1:{port}"))
            if not together:
                start(process, replicas[-1].url)
        if together:
            for replica in replicas:
                replica.process.start()
            for replica in replicas:
                start(replica.process, replica.url)
        yield replicas
    finally:
        for replica in replicas:
            replica.process.stop()
        # The test's own pooled connections (DeskServices' cached engine) end before the schema does.
        session_factory(database_url).kw["bind"].dispose()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    skip_without_redis_or_index()
    workdir = tmp_path_factory.mktemp("replicas")
    databases = shared_database(workdir)
    database_url = next(databases)
    try:
        with launched(workdir, database_url) as (a, b):
            yield Replicas(a.url, b.url, database_url)
    finally:
        databases.close()


class Stream:
    """A server-sent event stream read in a thread: its events' JSON bodies in a queue."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self.next_of("ready")["kind"] == "ready"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=60)) as response:
                if response.status_code != 200:
                    self.events.put({"kind": "refused", "status": response.status_code})
                    return
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("data:"):
                        self.events.put(json.loads(line[5:]))
        except httpx.HTTPError as error:  # the replica stopped (or the test is over)
            self.events.put({"kind": "ended", "error": repr(error)})

    def next_of(self, kind: str, timeout: float = CROSSING_SECONDS) -> dict[str, Any]:
        """The next event of `kind` (others are passed over)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {kind!r} event within {timeout}s"
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event["kind"] == kind:
                return event
            assert event["kind"] not in ("refused", "ended"), event

    def close(self) -> None:
        self._stop.set()


def customer_stream(base_url: str, started: Started) -> Stream:
    ticket = httpx.post(f"{base_url}{started.url}/event-tickets", headers=started.headers, timeout=10)
    assert ticket.status_code == 201, ticket.text
    return Stream(f"{base_url}{ticket.json()['url']}")


def test_a_customer_on_one_replica_and_an_agent_on_the_other_hear_each_other(replicas: Replicas) -> None:
    agent = replicas.agent("alice")
    with httpx.Client(timeout=30) as client:
        started = start_conversation(client, replicas.b)
        escalation_id = replicas.hand_to_a_human(started.id, "api")

        console = Stream(f"{replicas.a}/api/v1/events?topic=queue&topic=staff:{started.id}", agent)
        try:
            said = client.post(
                f"{replicas.b}{started.url}/messages", json={"text": "Is anyone there?"}, headers=started.headers
            )
            assert said.status_code == 200, said.text
            heard = console.next_of("customer_message")
            assert heard["topic"] in ("queue", f"staff:{started.id}")
        finally:
            console.close()

        customer = customer_stream(replicas.b, started)
        try:
            assert (
                client.post(f"{replicas.a}/api/v1/escalations/{escalation_id}/claim", headers=agent).status_code == 200
            )
            assert customer.next_of("status")["status"] == "agent"
            reply = client.post(
                f"{replicas.a}/api/v1/escalations/{escalation_id}/replies",
                json={"text": "Alice here, from A."},
                headers=agent,
            )
            assert reply.status_code == 201, reply.text
            message_id = customer.next_of("message")["message_id"]
        finally:
            customer.close()
        transcript = client.get(f"{replicas.b}{started.url}", headers=started.headers).json()
        assert any(m["id"] == message_id and m["text"] == "Alice here, from A." for m in transcript["transcript"])


def test_a_web_chat_widget_on_one_replica_gets_the_reply_sent_from_the_other(replicas: Replicas) -> None:
    agent = replicas.agent("bob")
    widget = RasaWidget(replicas.b)
    try:
        conversation_id = widget.request_session()
        widget.client.emit("user_uttered", {"message": "I want a human", "session_id": conversation_id})
        deadline = time.monotonic() + CROSSING_SECONDS
        services = DeskServices.for_settings(DeskSettings(database_url=replicas.database_url))
        while services.conversations.get(conversation_id) is None:  # stored (Rasa is down: an apology follows)
            assert time.monotonic() < deadline, "the widget's message was not stored"
            time.sleep(0.1)
        escalation_id = replicas.hand_to_a_human(conversation_id, "webchat")
        with httpx.Client(timeout=30) as client:
            assert (
                client.post(f"{replicas.a}/api/v1/escalations/{escalation_id}/claim", headers=agent).status_code == 200
            )
            reply = client.post(
                f"{replicas.a}/api/v1/escalations/{escalation_id}/replies",
                json={"text": "Bob here, from A."},
                headers=agent,
            )
            assert reply.status_code == 201, reply.text
        deadline = time.monotonic() + CROSSING_SECONDS
        while True:
            name, data = widget.next(timeout=max(0.1, deadline - time.monotonic()))
            if name == "bot_uttered" and data.get("text") == "Bob here, from A.":
                break
    finally:
        widget.close()
