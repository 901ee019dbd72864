"""The console in a real browser (headless Chromium), against the running system."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.system import System
from desk.models import Role
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.e2e.conftest import Customer

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"
# Set to a folder (e.g. docs/screenshots) to keep screenshots of the console pages.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def staff(system: System, username: str, role: Role) -> str:
    services = DeskServices.for_settings(DeskSettings(database_url=system.database_url))
    services.users.ensure(username, PASSWORD, role, username.replace("-", " ").title())
    return username


def signed_in_page(browser: Any, system: System, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{system.app_url}/console")
    page.wait_for_url(re.compile(r"/console/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console$"))
    return page


def screenshot(page: Any, name: str, full_page: bool = True) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full_page)


def test_agent_sees_a_handoff_live_claims_replies_and_resolves(browser: Any, system: System) -> None:
    agent = signed_in_page(browser, system, staff(system, "browser-agent", Role.AGENT))
    assert agent.locator("#queue-rows").get_attribute("data-live-topics") == "queue"
    agent.wait_for_selector("#queue-rows[data-live-state=connected]", state="attached")

    customer = Customer(system.app_url)
    customer.say("my order LM202611260007 never arrived")
    handed = customer.say("I want to talk to a human agent please")
    assert handed["turn"]["status"] == "queued"
    # The new escalation appears in the agent's open queue without a reload.
    row = agent.locator("#queue-rows tr", has_text=customer.id)
    row.wait_for()
    # A safety incident arriving later goes to the top of the queue.
    urgent = Customer(system.app_url)
    assert urgent.say("我家的空气净化器冒烟了，还有焦糊味")["turn"]["priority"] == "urgent"
    first = agent.locator("#queue-rows tr").first
    first.filter(has_text=urgent.id).wait_for()
    assert first.locator(".badge").inner_text() == "urgent"
    screenshot(agent, "queue")
    row.locator("a").click()
    agent.wait_for_url(re.compile(r"/console/escalations/\d+$"))
    assert "LM202611260007" in agent.inner_text("aside")
    agent.click("#claim")
    agent.wait_for_selector("#case-status:has-text('claimed')")

    agent.fill("textarea[name=text] >> nth=0", "Hello, this is your agent. I'm checking the delivery now.")
    agent.click("text=Send reply")
    agent.locator(".msg.agent", has_text="checking the delivery").wait_for()
    agent.locator(".msg.agent .delivery-delivered").wait_for()
    transcript = customer.conversation()["transcript"]
    assert transcript[-1]["sender"] == "agent" and "checking the delivery" in transcript[-1]["text"]

    # The customer writes back: it shows up live in the agent's view.
    customer.say("thanks, I'll wait")
    agent.locator(".msg.customer", has_text="I'll wait").wait_for()
    agent.fill("textarea[name=text] >> nth=1", "Courier says it arrives tomorrow.")
    agent.click("text=Add note")
    agent.locator(".note", has_text="arrives tomorrow").wait_for()
    screenshot(agent, "conversation")

    agent.once("dialog", lambda dialog: dialog.accept())
    agent.select_option("select[name=code]", "answered")
    agent.click("#resolve")
    agent.wait_for_selector("#case-status:has-text('resolved')")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        last = customer.conversation()["transcript"][-1]
        if last["buttons"]:
            break
        time.sleep(0.2)
    rated = customer.say("4", payload=last["buttons"][3]["payload"])
    assert rated["turn"]["outcome"] == "feedback"
    agent.context.close()

    # The lead sees the rating in the analytics.
    lead = signed_in_page(browser, system, staff(system, "browser-lead", Role.LEAD))
    lead.click("a[data-nav=analytics]")
    lead.wait_for_url(re.compile(r"/console/analytics"))
    four = lead.locator("#csat tbody tr", has=lead.locator("td:first-child", has_text=re.compile(r"^4$")))
    assert int(four.locator("td").nth(1).inner_text()) >= 1
    lead.wait_for_selector("#chart-csat")
    screenshot(lead, "analytics")
    lead.context.close()


def test_a_lead_edits_an_answer_publishes_and_the_next_customer_gets_it(browser: Any, system: System) -> None:
    question = "How many points do I get per yuan spent?"
    before = Customer(system.app_url).say(question)
    assert before["turn"]["faq_id"] == "p14-points-earning"
    lead = signed_in_page(browser, system, staff(system, "browser-lead2", Role.LEAD))
    lead.click("a[data-nav=knowledge]")
    lead.goto(f"{system.app_url}/console/knowledge/p14-points-earning")
    new_answer = "You earn 1 point for every ¥1 you pay. Double points every Friday in December!"
    lead.fill("textarea[name=answer_en]", new_answer)
    lead.click("text=Save draft")
    lead.wait_for_load_state()
    publish(lead, system)
    after = Customer(system.app_url).say(question)  # no restart: the live index was swapped
    assert "Double points every Friday" in after["messages"][0]["text"]
    screenshot(lead, "knowledge", full_page=False)

    # Roll back to the seed version and publish again: the old answer is back.
    lead.goto(f"{system.app_url}/console/knowledge/p14-points-earning")
    screenshot(lead, "knowledge-entry")
    lead.once("dialog", lambda dialog: dialog.accept())
    lead.locator("#versions tr", has_text="seed").locator("button", has_text="Roll back").click()
    lead.wait_for_load_state()
    publish(lead, system)
    restored = Customer(system.app_url).say(question)
    assert restored["messages"][0]["text"] == "You earn 1 point for every ¥1 you pay."
    lead.context.close()


def publish(page: Any, system: System) -> None:
    """Press Publish and wait until this publication (not an earlier one) is live."""
    page.goto(f"{system.app_url}/console/knowledge")
    status = page.locator("#publication-status")
    previous = status.get_attribute("data-publication-id") if status.count() else "none"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish button[type=submit]")
    page.wait_for_selector(
        f'#publication-status[data-status=live]:not([data-publication-id="{previous}"])', timeout=180_000
    )


def test_the_admin_page_creates_a_token_shown_once(browser: Any, system: System) -> None:
    admin = signed_in_page(browser, system, staff(system, "browser-admin", Role.ADMIN))
    admin.click("a[data-nav=admin]")
    admin.fill("input[name=name]", "crm-sync")
    admin.click("text=Create token")
    token = admin.inner_text("#new-token")
    assert token.startswith("lmk_")
    check = httpx.get(f"{system.app_url}/api/v1/escalations", headers={"Authorization": f"Bearer {token}"})
    assert check.status_code == 200
    screenshot(admin, "admin")
    admin.reload()
    assert token not in admin.content()
    admin.context.close()


def test_an_agent_sees_no_lead_pages(browser: Any, system: System) -> None:
    agent = signed_in_page(browser, system, staff(system, "browser-agent2", Role.AGENT))
    assert agent.locator("a[data-nav=analytics]").count() == 0
    response = agent.goto(f"{system.app_url}/console/admin")
    assert response is not None and response.status == 403
    agent.context.close()
