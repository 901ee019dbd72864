from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.system import System, missing_prerequisites, rasa_model
from desk.models import Role, TokenRole
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.conversation_api import Started, start_conversation

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    running = System(workdir=tmp_path_factory.mktemp("system"), model=rasa_model())
    running.start()
    try:
        yield running
    finally:
        running.stop()


class Customer:
    """One customer conversation through the public conversation API, started as a browser starts
    one (`POST /api/v1/conversations`) or continued with an earlier one's id and key."""

    def __init__(self, base_url: str, started: Started | None = None) -> None:
        self.base_url = base_url
        if started is None:
            with httpx.Client(timeout=60) as client:
                started = start_conversation(client, base_url)
        self.started = started
        self.id = self.started.id

    def say(self, text: str = "", **extra: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base_url}{self.started.url}/messages",
            json={"text": text, **extra},
            headers=self.started.headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def press(self, reply: dict[str, Any], title_or_index: int | str) -> dict[str, Any]:
        buttons = [b for m in reply["messages"] for b in m["buttons"]]
        if isinstance(title_or_index, int):
            button = buttons[title_or_index]
        else:
            button = next(b for b in buttons if title_or_index in b["title"])
        return self.say(button["title"], payload=button["payload"])

    def conversation(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}{self.started.url}", headers=self.started.headers, timeout=60)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def agent_headers(system: System, username: str) -> dict[str, str]:
    """Authorization headers of an agent's API token, for the staff API."""
    services = DeskServices.for_settings(DeskSettings(database_url=system.database_url))
    user = services.users.ensure(username, "correct horse battery", Role.AGENT, username.title())[0]
    secret, _ = services.access.create_token(f"{username}-tests", TokenRole.AGENT, user.id)
    return {"Authorization": f"Bearer {secret}"}


def text_of(reply: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


@pytest.fixture
def customer(system: System) -> Customer:
    return Customer(system.app_url)


@pytest.fixture
def workdir(system: System) -> Path:
    return system.workdir


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    # This machine's network is closed: without these Chromium keeps trying to reach Google.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser). Per module: while
    Playwright's sync API is open, an event loop runs in the main thread, and every later test that
    runs its own (asyncio.run, pytest-asyncio) would fail."""
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (make test installs it where apt is usable)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
