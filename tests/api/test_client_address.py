"""Who the client is (issue 11, L2): X-Forwarded-For counts only from a proxy the operator trusts
(`APP_TRUSTED_PROXIES`), in the app and in the uvicorn server `python -m api` runs; and the caps on
open event streams, which need a real server to hold streams open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.__main__ import server_config
from api.settings import AppSettings
from desk.models import Role, TokenRole
from desk.services import DeskServices
from tests.api.staff import login_form_token, services_of
from tests.app_factory import build_app
from tests.conversation_api import start_conversation
from tests.served import serving_app
from tests.waiting import wait_until


def failed_sign_in_actor(client: Any, headers: dict[str, str]) -> str:
    """Who the audit log says a failed sign-in came from."""
    form = {"username": "nobody", "password": "wrong password", "csrf_token": login_form_token(client)}
    assert client.post("/console/login", data=form, headers=headers).status_code == 401
    entry = services_of(client).audit.recent(action="session.sign_in_failed")[0]
    return entry.actor


def test_x_forwarded_for_from_an_untrusted_peer_is_not_recorded(tmp_path: Path) -> None:
    app = build_app(tmp_path)  # no trusted proxy (the default)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        assert failed_sign_in_actor(client, {"X-Forwarded-For": "6.6.6.6"}) == "anonymous:127.0.0.1"


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    app = build_app(tmp_path, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        assert failed_sign_in_actor(client, {"X-Forwarded-For": "6.6.6.6"}) == "anonymous:6.6.6.6"
        # The nearest address no trusted proxy wrote: what the client put before it proves nothing.
        chain = {"X-Forwarded-For": "1.2.3.4, 6.6.6.6, 10.1.2.3"}
        assert failed_sign_in_actor(client, chain) == "anonymous:6.6.6.6"


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1")
    assert [str(network) for network in AppSettings().trusted_proxies] == ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]
    monkeypatch.delenv("APP_TRUSTED_PROXIES")
    assert AppSettings().trusted_proxies == []
    for wrong in ("*", "proxy.internal", "10.0.0.1/8"):
        with pytest.raises(ValidationError):
            AppSettings.model_validate({"trusted_proxies": wrong})


def test_uvicorn_leaves_x_forwarded_for_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own reading trusts 127.0.0.1 by default (or FORWARDED_ALLOW_IPS): never on."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert server_config(FastAPI(), AppSettings()).proxy_headers is False


# Under uvicorn -------------------------------------------------------------------------------------


@dataclass
class Served:
    url: str
    app: FastAPI

    @property
    def services(self) -> DeskServices:
        services: DeskServices = self.app.state.runtime.services
        return services

    def staff_token(self, username: str) -> dict[str, str]:
        user = self.services.users.create(username, "correct horse battery", Role.AGENT)
        secret, _ = self.services.access.create_token(f"{username}-token", TokenRole.AGENT, user.id)
        return {"Authorization": f"Bearer {secret}"}

    def open_streams(self) -> int:
        return int(self.app.state.runtime.limits.streams.open)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app under uvicorn as `python -m api` serves it, with room for 2 streams a client, 3 in all."""
    app = build_app(tmp_path_factory.mktemp("served"), max_event_streams_per_client=2, max_event_streams=3)
    with serving_app(app, "client-address") as url:
        yield Served(url, app)


def test_a_loopback_peer_cannot_name_another_client(served: Served) -> None:
    """The audit log recorded a spoofed address from a loopback peer (issue 11, L2)."""
    with httpx.Client(base_url=served.url) as http:
        form = {"username": "nobody", "password": "wrong password", "csrf_token": login_form_token(http)}  # type: ignore[arg-type]
        refused = http.post("/console/login", data=form, headers={"X-Forwarded-For": "6.6.6.6"})
        assert refused.status_code == 401
    assert served.services.audit.recent(action="session.sign_in_failed")[0].actor == "anonymous:127.0.0.1"


def test_open_event_streams_are_capped_per_client_and_in_total(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http, ExitStack() as streams:
        alice = start_conversation(http)
        first = ExitStack()
        assert first.enter_context(http.stream("GET", f"{alice.url}/events", headers=alice.headers)).status_code == 200
        second = streams.enter_context(http.stream("GET", f"{alice.url}/events", headers=alice.headers))
        assert second.status_code == 200
        refused = http.get(f"{alice.url}/events", headers=alice.headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert refused.json()["error"]["code"] == "rate_limited"
        # A staff member's streams are theirs, but the process holds three at most.
        staff = streams.enter_context(http.stream("GET", "/api/v1/events", headers=served.staff_token("lena")))
        assert staff.status_code == 200
        assert http.get("/api/v1/events", headers=served.staff_token("mia")).status_code == 429
        # A stream that ends gives its place back.
        first.close()
        wait_until(lambda: served.open_streams() == 2, what="the closed stream's release")
        again = streams.enter_context(http.stream("GET", f"{alice.url}/events", headers=alice.headers))
        assert again.status_code == 200
