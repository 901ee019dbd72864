"""Two real app replicas (`python -m api` twice, one PostgreSQL schema or SQLite file, one Redis) share
the work that must be ordered or done once:

- ordering: a conversation's two messages posted at the same moment, one to each replica, reach Rasa
  (a stand-in speaking Rasa's REST channel over HTTP, which records what reaches it and when) one
  after the other and in the order the desk stored them, for many conversations at once;
- migrations: both replicas started at the same moment on an empty PostgreSQL schema come up;
- leases: a WeCom account's sync (against the fake WeCom server, its sync_msg slow) runs on one
  replica while the other waits; killed with SIGKILL, the holder is taken over by the other replica
  once its lease (APP_LEASE_SECONDS) has expired.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, inspect, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bench.fakes.wecom import AES_KEY, CORP, KF, SECRET, TOKEN, FakeWeCom, callback_body, kf_event
from bench.fakes.wecom import serving as serving_wecom
from bench.serving import serving
from bench.system import free_port
from desk.conversations import ConversationStore
from desk.database import normalise_url, session_factory
from desk.leases import LeaseStore
from desk.models import Sender
from tests.api.test_replicas import Replica, launched, shared_database, skip_without_redis_or_index
from tests.conftest import _postgres_reason, postgres_schema
from tests.conversation_api import start_conversation

CONVERSATIONS = 24
LEASE_SECONDS = 3


class RecordingRasa:
    """Rasa's REST channel as far as the app uses it here: each message recorded as it arrives, then
    answered after a few random milliseconds (as Rasa's turns take); two messages of one
    conversation inside at once are counted."""

    def __init__(self) -> None:
        self.reached: list[tuple[str, str]] = []
        self.inside: dict[str, int] = {}
        self.overlaps = 0
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/webhooks/rest/webhook", self._message, methods=["POST"]),
                Route("/conversations/{sender}/tracker", self._tracker, methods=["GET"]),
                Route("/conversations/{sender}/tracker/events", self._events, methods=["POST"]),
                Route("/", self._hello, methods=["GET"]),
            ]
        )

    async def _message(self, request: Request) -> JSONResponse:
        body = await request.json()
        sender, message = str(body["sender"]), str(body["message"])
        with self._lock:
            self.reached.append((sender, message))
            self.inside[sender] = self.inside.get(sender, 0) + 1
            self.overlaps += self.inside[sender] > 1
        await asyncio.sleep(random.uniform(0.005, 0.03))
        with self._lock:
            self.inside[sender] -= 1
        return JSONResponse([{"text": f"echo: {message}"}])

    async def _tracker(self, request: Request) -> JSONResponse:
        return JSONResponse({"sender_id": request.path_params["sender"], "events": []})

    async def _events(self, request: Request) -> JSONResponse:
        return JSONResponse({"sender_id": request.path_params["sender"], "events": []})

    async def _hello(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello from Rasa: 3.6.21")


@pytest.fixture(scope="module")
def rasa() -> Iterator[tuple[RecordingRasa, str]]:
    recording = RecordingRasa()
    config = uvicorn.Config(
        recording.app(), host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off", ws="none"
    )
    with serving(config, "recording-rasa") as url:
        yield recording, url


def test_two_messages_of_a_conversation_at_two_replicas_reach_rasa_in_the_order_stored(
    tmp_path: Path, rasa: tuple[RecordingRasa, str]
) -> None:
    skip_without_redis_or_index()
    recording, rasa_url = rasa
    databases = shared_database(tmp_path)
    database_url = next(databases)
    try:
        with launched(tmp_path, database_url, {"APP_RASA_URL": rasa_url}) as (a, b):
            with httpx.Client(timeout=60) as client:
                started = [start_conversation(client, a.url, language="en") for _ in range(CONVERSATIONS)]
            barrier = threading.Barrier(2 * CONVERSATIONS, timeout=30)
            statuses: list[int] = []

            def post(replica: Replica, index: int, text_: str) -> None:
                conversation = started[index]
                with httpx.Client(timeout=60) as client:
                    barrier.wait()
                    response = client.post(
                        f"{replica.url}{conversation.url}/messages", json={"text": text_}, headers=conversation.headers
                    )
                statuses.append(response.status_code)

            threads = [
                threading.Thread(target=post, args=(replica, index, f"message {index} to {replica.process.name}"))
                for index in range(CONVERSATIONS)
                for replica in (a, b)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert statuses == [200] * (2 * CONVERSATIONS)
            assert recording.overlaps == 0
            store = ConversationStore(session_factory(database_url))
            for conversation in started:
                stored = [m.text for m in store.transcript(conversation.id) if m.sender == Sender.CUSTOMER]
                reached = [message for sender, message in recording.reached if sender == conversation.id]
                assert reached == stored
    finally:
        databases.close()


@pytest.fixture(scope="module")
def empty_schema() -> Iterator[str]:
    """A PostgreSQL schema of its own with no table in it (dropped afterwards)."""
    if reason := _postgres_reason():
        pytest.skip(reason)
    with postgres_schema("replicas") as url:
        yield url


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom(CORP, SECRET)
    fake.sync_delay = 60.0  # a sync holds its lease the whole time
    with serving_wecom(fake):
        yield fake


@pytest.fixture(scope="module")
def started_together(
    tmp_path_factory: pytest.TempPathFactory, empty_schema: str, wecom: FakeWeCom
) -> Iterator[list[Replica]]:
    skip_without_redis_or_index()
    workdir = tmp_path_factory.mktemp("together")
    extra = {
        "APP_LEASE_SECONDS": str(LEASE_SECONDS),
        "WECOM_CORP_ID": CORP,
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_ENCODING_AES_KEY": AES_KEY,
        "WECOM_API_BASE_URL": wecom.base_url,
        "WECOM_API_TIMEOUT": "300",  # the slow sync_msg is waited for, not abandoned
    }
    try:
        with launched(workdir, empty_schema, extra, together=True) as replicas:
            yield replicas
    finally:
        session_factory(empty_schema).kw["bind"].dispose()


def test_two_replicas_started_at_once_on_an_empty_database_both_come_up(
    started_together: list[Replica], empty_schema: str
) -> None:
    for replica in started_together:
        assert replica.process.alive()
        checks = httpx.get(f"{replica.url}/healthz", timeout=5).json()["checks"]
        assert checks["app"] == checks["database"] == checks["index"] == "ok"  # (no Rasa here)
    engine = create_engine(normalise_url(empty_schema))
    try:
        with engine.connect() as connection:
            assert {"leases", "messages"} <= set(inspect(connection).get_table_names())
            assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        engine.dispose()


def sync_calls(fake: FakeWeCom) -> int:
    return len(fake.paths("kf/sync_msg"))


def wait_for(condition: object, timeout: float, what: str) -> float:
    """Seconds until `condition()` held."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, f"not within {timeout}s: {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_wecom_sync_runs_on_one_replica_and_moves_when_it_is_killed(
    started_together: list[Replica], empty_schema: str, wecom: FakeWeCom
) -> None:
    for replica in started_together:  # WeCom tells both about news (its callbacks reach either)
        body, query = callback_body(kf_event(KF))
        response = httpx.post(f"{replica.url}/channels/wecom", params=query, content=body, timeout=10)
        assert response.status_code == 200 and response.text == "success", response.text
    wait_for(lambda: sync_calls(wecom) >= 1, 15, "a replica syncs")
    time.sleep(2 * LEASE_SECONDS)  # the other asks for the lease meanwhile, and renewals happen
    assert sync_calls(wecom) == 1 and wecom.most_parallel_syncs == 1
    leases = LeaseStore(session_factory(empty_schema))
    held = leases.get(f"wecom-sync:{KF}")
    assert held is not None
    by_pid = {replica.process.popen.pid: replica for replica in started_together if replica.process.popen}
    holder = by_pid[int(held.holder.split(":")[1])]
    other = next(replica for replica in started_together if replica is not holder)
    assert "lease_waiting" in other.process.log.read_text(errors="replace")

    assert holder.process.popen is not None
    holder.process.popen.kill()  # SIGKILL: no release, no goodbye
    holder.process.popen.wait()
    took = wait_for(lambda: sync_calls(wecom) >= 2, 6 * LEASE_SECONDS, "the other replica takes over")
    # Not before the dead holder's lease ran out (renewed at most a third of it before the kill) …
    assert took >= LEASE_SECONDS * 2 / 3 - 0.5
    taken = leases.get(f"wecom-sync:{KF}")
    assert taken is not None and int(taken.holder.split(":")[1]) == other.process.popen.pid  # type: ignore[union-attr]
