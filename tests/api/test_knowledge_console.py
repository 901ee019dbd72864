"""The console's knowledge-base editor: forms with CSRF, drafts, history, preview, and escaping."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from desk.models import Role
from tests.api.staff import create_user, services_of, sign_in
from tests.waiting import wait_until

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def csrf(client: TestClient) -> str:
    create_user(client, "lead", Role.LEAD)
    return sign_in(client, "lead")


def form(**changes: str) -> dict[str, str]:
    data = {
        "category": "orders",
        "section": "P5",
        "questions_zh": "可以礼品包装吗\n能包装成礼物吗",
        "questions_en": "Can you gift-wrap my order?\n\nDo you offer gift wrapping?",
        "answer_zh": "可以，下单时选择礼品包装。",
        "answer_en": "Yes, choose gift wrap at checkout.",
        "enabled": "on",
    }
    data.update(changes)
    return data


def wait_until_published(client: TestClient) -> str:
    knowledge = services_of(client).knowledge

    def status() -> str | None:
        last = knowledge.last_publication()
        return last.status if last is not None and last.status != "building" else None

    return wait_until(status, 60, what="the publication's end")


def test_only_leads_see_the_editor(client: TestClient) -> None:
    anonymous = client.get("/console/knowledge", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    create_user(client, "agent", Role.AGENT)
    sign_in(client, "agent")
    refused = client.get("/console/knowledge")
    assert refused.status_code == 403 and "lead" in refused.text


def test_list_search_and_publish_status(client: TestClient, csrf: str) -> None:
    page = client.get("/console/knowledge", params={"q": "How long is the battery warranty?", "lang": "en"})
    assert page.status_code == 200
    for entry_id in ("battery", "shipping-fee", "invoice", "refund-time"):
        assert f'href="/console/knowledge/{entry_id}"' in page.text
    assert "What the bot answers now" in page.text and "battery: 1 year" in page.text
    assert 'src="/console/static/knowledge.js"' in page.text
    assert "<script>" not in page.text.replace('<script src="/console/static/', "")  # no inline script
    assert 'href="/api/v1/knowledge/export"' in page.text
    filtered = client.get("/console/knowledge", params={"filter": "invoice"})
    assert 'href="/console/knowledge/invoice"' in filtered.text
    assert 'href="/console/knowledge/battery"' not in filtered.text.split('id="entries"')[1]


def test_create_edit_conflict_rollback_publish(client: TestClient, csrf: str) -> None:
    prefilled = client.get("/console/knowledge/new", params=[("q", "能包装成礼物吗"), ("q", "Do you gift wrap?")])
    assert prefilled.status_code == 200
    assert re.search(r'name="questions_zh"[^>]*>能包装成礼物吗</textarea>', prefilled.text)
    assert re.search(r'name="questions_en"[^>]*>Do you gift wrap\?</textarea>', prefilled.text)

    no_csrf = client.post("/console/knowledge/new", data={"id": "gift-wrap", **form()}, follow_redirects=False)
    assert no_csrf.status_code == 403
    created = client.post(
        "/console/knowledge/new", data={"csrf_token": csrf, "id": "gift-wrap", **form()}, follow_redirects=False
    )
    assert created.status_code == 303 and created.headers["location"] == "/console/knowledge/gift-wrap?done=created"
    entry = services_of(client).knowledge.get("gift-wrap")
    assert entry.entry.questions == {
        "zh": ["可以礼品包装吗", "能包装成礼物吗"],
        "en": ["Can you gift-wrap my order?", "Do you offer gift wrapping?"],
    }
    assert entry.updated_by == "user:lead" and entry.published_version is None
    taken = client.post("/console/knowledge/new", data={"csrf_token": csrf, "id": "gift-wrap", **form()})
    assert taken.status_code == 409 and "already exists" in taken.text
    invalid = client.post(
        "/console/knowledge/new", data={"csrf_token": csrf, "id": "wrap-2", **form(questions_zh="", questions_en="")}
    )
    assert invalid.status_code == 422 and "at least one question" in invalid.text
    assert "Yes, choose gift wrap at checkout." in invalid.text  # what was typed is kept

    page = client.get("/console/knowledge/gift-wrap?done=created")
    assert "never published" in page.text and "Entry created" in page.text

    saved = client.post(
        "/console/knowledge/gift-wrap/save",
        data={"csrf_token": csrf, "base_version": "1", **form(answer_en="Gift wrap costs 5 yuan.")},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    stale = client.post(
        "/console/knowledge/gift-wrap/save",
        data={"csrf_token": csrf, "base_version": "1", **form(answer_en="My lost edit")},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text and "My lost edit" in stale.text
    assert services_of(client).knowledge.get("gift-wrap").entry.answer["en"] == "Gift wrap costs 5 yuan."

    history = client.get("/console/knowledge/gift-wrap").text
    assert history.count('action="/console/knowledge/gift-wrap/rollback"') == 1  # not for the current version
    rolled = client.post(
        "/console/knowledge/gift-wrap/rollback",
        data={"csrf_token": csrf, "version": "1", "base_version": "2"},
        follow_redirects=False,
    )
    assert rolled.status_code == 303
    assert services_of(client).knowledge.get("gift-wrap").entry.answer["en"] == "Yes, choose gift wrap at checkout."

    preview = client.get("/console/knowledge/gift-wrap", params={"ask": "Can you gift-wrap my order?", "lang": "en"})
    assert "After publishing" in preview.text and "Unpublished changes: gift-wrap" in preview.text

    published = client.post("/console/knowledge/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert published.status_code == 303
    assert wait_until_published(client) == "live"
    listing = client.get("/console/knowledge")
    assert 'data-status="live"' in listing.text
    top = client.app.state.runtime.retriever.search("Can you gift-wrap my order?", "en").top  # type: ignore[attr-defined]
    assert top is not None and top.entry.id == "gift-wrap"

    disabled = client.post(
        "/console/knowledge/gift-wrap/disable", data={"csrf_token": csrf, "base_version": "3"}, follow_redirects=False
    )
    assert disabled.status_code == 303
    assert services_of(client).knowledge.get("gift-wrap").entry.enabled is False
    assert client.get("/console/knowledge/nope").status_code == 404


def test_user_text_is_escaped_everywhere(client: TestClient, csrf: str) -> None:
    evil = form(
        category=f"cat {SCRIPT}",
        section=IMG,
        questions_en=f"Where is my parcel {SCRIPT}?\nparcel {IMG}",
        questions_zh=f"包裹在哪 {IMG}",
        answer_en=f"Track it here {SCRIPT} {IMG}",
        answer_zh=f"查询 {SCRIPT}",
    )
    created = client.post(
        "/console/knowledge/new", data={"csrf_token": csrf, "id": "evil", **evil}, follow_redirects=False
    )
    assert created.status_code == 303
    # Another version, so the history shows the payloads too.
    client.post(
        "/console/knowledge/evil/save",
        data={"csrf_token": csrf, "base_version": "1", **evil, "answer_en": f"v2 {IMG}"},
    )
    client.post("/console/knowledge/publish", data={"csrf_token": csrf})
    assert wait_until_published(client) == "live"
    client.post("/console/knowledge/evil/save", data={"csrf_token": csrf, "base_version": "2", **evil})

    pages = [
        client.get("/console/knowledge"),
        client.get("/console/knowledge", params={"q": f"parcel {SCRIPT}", "lang": "en"}),
        client.get("/console/knowledge/evil"),
        client.get("/console/knowledge/evil", params={"ask": f"Where is my parcel {SCRIPT}?", "lang": "en"}),
        client.get("/console/knowledge/new", params=[("q", SCRIPT), ("q", IMG)]),
        client.post("/console/knowledge/new", data={"csrf_token": csrf, "id": "evil", **evil}),  # refused: shown again
    ]
    for page in pages:
        assert page.status_code in (200, 409), page.text[:300]
        assert SCRIPT not in page.text and IMG not in page.text, page.url
        assert "onerror=alert(1)>" not in page.text
    assert html.escape(SCRIPT, quote=False) in pages[0].text or "&lt;script&gt;" in pages[0].text
    for page in pages[1:4]:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    # The search and the preview really ranked the entry (so its answer went through the template).
    assert 'href="/console/knowledge/evil"' in pages[1].text
    assert "After publishing" in pages[3].text and 'href="/console/knowledge/evil"' in pages[3].text
