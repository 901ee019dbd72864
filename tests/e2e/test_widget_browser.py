"""The web-chat widget in a real browser (headless Chromium) against the running system: on the demo
page, questions in Chinese and English, a 👍, a handoff, an agent's reply arriving live, a reload; a
network loss without loss or duplicates; a phone; another site embedding it with its one tag."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench.system import System
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.e2e.test_agent_loop import agent_headers, api, escalation_of

pytestmark = pytest.mark.e2e
# Set to a folder (e.g. docs/screenshots) to keep a screenshot of the demo page with the chat open.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def demo_page(browser: Any, system: System, locale: str, **context: Any) -> tuple[Any, list[str]]:
    """The demo page in a new browser context; the list collects script errors and CSP violations."""
    page = browser.new_context(locale=locale, **context).new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{system.app_url}/")
    return page, problems


def ask(page: Any, text: str) -> Any:
    """Type a question and send it; returns the bot's next message (Playwright pierces the Shadow DOM)."""
    before = page.locator(".msg.bot").count()
    page.fill("textarea", text)
    page.press("textarea", "Enter")
    page.locator(".msg.customer", has_text=text).wait_for()
    answer = page.locator(".msg.bot").nth(before)
    answer.wait_for()
    return answer


def test_a_customer_chats_in_the_widget_and_an_agent_answers_live(browser: Any, system: System) -> None:
    page, problems = demo_page(browser, system, "zh-CN", viewport={"width": 1280, "height": 860})
    assert page.locator("h1").inner_text().startswith("禾光 RV7 扫地机器人")
    page.click(".launcher")
    assert page.locator(".panel .title").inner_text() == "禾光智能客服"  # Chinese UI for a Chinese browser

    warranty = ask(page, "扫地机器人的电池坏了，保修多久？")
    assert "1 年" in warranty.locator(".bubble").inner_text()
    refund = ask(page, "How long does a refund to WeChat Pay take?")
    assert refund.locator(".choice").count() == 2  # 👍 / 👎 on an answer
    before = page.locator(".msg.bot").count()
    refund.locator(".choice", has_text="👍").click()
    page.locator(".msg.bot").nth(before).filter(has_text="Thanks for your feedback").wait_for()
    assert refund.locator(".choice.chosen").count() == 1 and refund.locator(".choice:disabled").count() == 2

    conversation_id = page.evaluate("localStorage.getItem('lumio-chat:' + location.origin)")
    assert conversation_id.startswith("web:")
    services = DeskServices.for_settings(DeskSettings(database_url=system.database_url))
    assert [(f.kind, f.vote) for f in services.feedback.for_conversation(conversation_id)] == [("vote", "up")]

    handoff = ask(page, "I want to talk to a human agent please")
    assert "agent" in handoff.inner_text()
    page.locator(".status", has_text="Connecting you to an agent").or_(
        page.locator(".status", has_text="正在为您转接")
    ).wait_for()
    agent = agent_headers(system, "widget-agent")
    escalation_id = escalation_of(system, agent, conversation_id)
    assert api(system, "POST", f"/api/v1/escalations/{escalation_id}/claim", agent).status_code == 200
    reply = "您好，我是人工客服 Alice，马上为您处理退款问题。"
    assert (
        api(system, "POST", f"/api/v1/escalations/{escalation_id}/replies", agent, json={"text": reply}).status_code
        == 201
    )
    page.locator(".msg.agent", has_text="Alice").wait_for()  # pushed live, no reload
    assert page.locator(".status").inner_text() == "人工客服正在为您服务"
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / "webchat.png"))

    # A reload restores the conversation (the panel stays open).
    page.reload()
    page.locator(".msg.agent", has_text="Alice").wait_for()
    history = page.locator(".msg").all_inner_texts()
    assert any("扫地机器人的电池坏了" in text for text in history) and any("1 年" in text for text in history)
    assert sum("Alice" in text for text in history) == 1  # no duplicates
    assert problems == []
    page.context.close()


def test_after_a_network_loss_nothing_is_lost_or_shown_twice(browser: Any, system: System) -> None:
    """The socket dies after the server stored and answered a message but before the widget heard
    back: the widget reconnects, fetches what it missed and resends; the server stores it once."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    links: list[tuple[Any, Any]] = []
    cut = {"on": False}

    def route(socket: Any) -> None:
        server = socket.connect_to_server()
        socket.on_message(lambda message: server.send(message))
        server.on_message(lambda message: None if cut["on"] else socket.send(message))
        links.append((socket, server))

    page.route_web_socket(re.compile(r"/chat/ws$"), route)
    page.goto(f"{system.app_url}/")
    page.click(".launcher")
    ask(page, "How long does a refund to WeChat Pay take?")
    conversation_id = page.evaluate("localStorage.getItem('lumio-chat:' + location.origin)")
    services = DeskServices.for_settings(DeskSettings(database_url=system.database_url))

    cut["on"] = True  # from here the widget hears nothing
    question = "How long is the warranty of the battery?"
    page.fill("textarea", question)
    page.press("textarea", "Enter")

    def answered() -> bool:
        senders = [(m.sender, m.text) for m in services.conversations.transcript(conversation_id)]
        asked = ("customer", question)
        return asked in senders and any(sender == "bot" for sender, _ in senders[senders.index(asked) :])

    deadline = time.monotonic() + 30
    while not answered() and time.monotonic() < deadline:
        time.sleep(0.2)  # stored and answered on the server
    assert answered()
    assert page.locator(".msg.customer.pending", has_text=question).count() == 1
    socket, server = links[-1]
    cut["on"] = False
    socket.close()
    server.close()

    page.locator(".msg.customer:not(.pending)", has_text=question).wait_for()  # acknowledged after the resend
    page.locator(".msg.bot").nth(1).wait_for()
    assert len(links) == 2
    transcript = services.conversations.transcript(conversation_id)
    assert [m.text for m in transcript if m.sender == "customer"].count(question) == 1
    bot_texts = [m.text for m in transcript if m.sender == "bot"]
    shown = page.locator(".msg.bot .bubble").all_inner_texts()
    assert shown == bot_texts  # each answer once, in order
    context.close()


def test_the_widget_is_full_screen_on_a_phone(browser: Any, system: System) -> None:
    page, problems = demo_page(browser, system, "en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.click(".launcher")
    assert page.locator(".panel .title").inner_text() == "Lumio support"
    box = page.locator(".panel").bounding_box()
    assert box is not None and (box["width"], box["height"]) == (390, 844)
    page.locator(".msg.welcome").wait_for()  # a new customer is greeted, nothing is stored yet
    page.click(".close")
    assert page.locator(".panel").is_hidden() and page.locator(".launcher").is_visible()
    assert problems == []
    page.context.close()


def test_the_widget_embedded_on_another_site_talks_to_its_own_server(browser: Any, system: System) -> None:
    """One script tag on a shop's page (another origin): the widget finds the app from its own URL."""
    html = (
        f'<!doctype html><title>Shop</title><h1>RV7</h1><script src="{system.app_url}/chat/widget.js" defer></script>'
    )
    with shop_serving(html, "127.0.0.1") as port:
        page = browser.new_context(locale="en-US").new_page()
        page.set_default_timeout(30_000)
        try:
            page.goto(f"http://localhost:{port}/rv7.html")  # not the app's origin
            page.click(".launcher")
            page.locator(".msg.welcome").wait_for()  # shown once the app confirmed a session
            conversation_id = page.evaluate(f"localStorage.getItem('lumio-chat:{system.app_url}')")
            assert conversation_id.startswith("web:")
        finally:
            page.context.close()


def test_a_site_that_is_not_allowed_is_told_so_and_the_operator_sees_why(browser: Any, system: System) -> None:
    """A shop whose origin the app does not allow (127.0.0.2: loopback, but none of the localhost names
    allowed in development): its handshake gets 403, which the page sees as a bare network error; the
    widget asks /chat/origin and says the site is not allowed instead of reconnecting forever."""
    html = f'<!doctype html><title>Shop</title><script src="{system.app_url}/chat/widget.js" defer></script>'
    with shop_serving(html, "127.0.0.2") as port:
        origin = f"http://127.0.0.2:{port}"
        page = browser.new_context(locale="en-US").new_page()
        page.set_default_timeout(30_000)
        handshakes: list[str] = []
        page.on("websocket", lambda socket: handshakes.append(socket.url))
        try:
            page.goto(f"{origin}/rv7.html")
            page.click(".launcher")
            page.locator(
                ".notice", has_text="This site is not allowed to use the chat (ask the site's operator)."
            ).wait_for()
            assert page.locator("textarea").is_disabled()
            tried = len(handshakes)
            time.sleep(3)  # reconnecting would have tried again by now (backoff starts at 1 s)
            assert len(handshakes) == tried == 1
        finally:
            page.context.close()
    log = (system.workdir / "app.log").read_text(encoding="utf-8")
    assert f'"origin": "{origin}"' in log and "webchat_origin_refused" in log and "WEBCHAT_ALLOWED_ORIGINS" in log


@contextmanager
def shop_serving(html: str, host: str) -> Iterator[int]:
    """A shop's page (`html` at any path) on another origin than the app's; yields its port."""

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    shop = ThreadingHTTPServer((host, 0), ShopPage)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        yield shop.server_address[1]
    finally:
        shop.shutdown()
        shop.server_close()
