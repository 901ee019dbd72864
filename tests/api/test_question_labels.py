"""Labelling questions in the console and through the API: leads only, CSRF on the forms, known
entries only, everything shown escaped; the KB editor counts each entry's wrong answers."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from desk.models import Role
from desk.turns import BotMessage, Outcome, TurnRecord
from tests.api.staff import create_user, services_of, sign_in, token_for

SCRIPT = "<script>alert(1)</script>"


def ask(
    client: TestClient,
    text: str,
    outcome: Outcome,
    faq_id: str | None = None,
    confidence: float | None = None,
    conversation: str = "c-1",
    language: str = "en",
) -> int:
    store = services_of(client).conversations
    inbound = store.record_inbound(conversation, text=text, payload=None, language=language, channel="web")
    store.record_reply(
        conversation,
        inbound.message.id,
        [BotMessage("…")],
        TurnRecord(outcome, faq_id, confidence),
        language=language,
        latency_ms=3.0,
    )
    return inbound.message.id


@pytest.fixture
def lead(client: TestClient) -> str:
    create_user(client, "lead", Role.LEAD)
    return sign_in(client, "lead")


def unanswered_section(page: str) -> str:
    return page.split('id="unanswered"')[1].split('id="comments"')[0]


def test_a_lead_labels_a_group_in_one_click(client: TestClient, lead: str) -> None:
    first = ask(client, "How long is the battery warranty please", "answered", "invoice", 0.42)
    second = ask(client, "how long is battery warranty", "fallback", conversation="c-2")
    page = client.get("/console/analytics")
    assert page.status_code == 200
    section = unanswered_section(page.text)
    assert '<datalist id="kb-entries">' in section and '<option value="refund-time">' in section
    # The retriever's best candidate is a one-click button; the group's form names both messages.
    assert '<button type="submit" name="pick" value="battery"' in section
    assert f'name="message_id" value="{first}"' in section and f'name="message_id" value="{second}"' in section
    assert "Label all 2" in section

    labelled = client.post(
        "/console/analytics/labels",
        data={"csrf_token": lead, "message_id": [str(first), str(second)], "pick": "battery", "language": "en"},
        follow_redirects=False,
    )
    assert labelled.status_code == 303
    assert labelled.headers["location"] == "/console/analytics?language=en#unanswered"
    labels = services_of(client).labels.labels()
    assert {(v.message_id, v.expected) for v in labels} == {(first, "battery"), (second, "battery")}
    assert {v.labelled_by for v in labels} == {"user:lead"}
    again = unanswered_section(client.get("/console/analytics").text)
    assert re.search(r'Labelled: <span class="tag label-verdict" data-verdict="battery">battery</span>', again)
    assert "bot said invoice" in again  # the first one was answered wrongly

    # One example of the group, out of scope this time: replaces its label.
    client.post(
        "/console/analytics/labels",
        data={"csrf_token": lead, "message_id": str(first), "verdict": "out_of_scope"},
        follow_redirects=False,
    )
    typed = client.post(
        "/console/analytics/labels",
        data={"csrf_token": lead, "message_id": str(second), "verdict": "entry", "entry": "refund-time"},
        follow_redirects=False,
    )
    assert typed.status_code == 303
    assert {(v.message_id, v.expected) for v in services_of(client).labels.labels()} == {
        (first, None),
        (second, "refund-time"),
    }
    assert "2 of 2 labelled" in unanswered_section(client.get("/console/analytics").text)


def test_console_refusals(client: TestClient) -> None:
    message = ask(client, "where is my receipt", "fallback")
    form = {"message_id": str(message), "pick": "invoice"}
    anonymous = client.post("/console/analytics/labels", data=form, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    create_user(client, "agent", Role.AGENT)
    agent_csrf = sign_in(client, "agent")
    refused = client.post("/console/analytics/labels", data={"csrf_token": agent_csrf, **form})
    assert refused.status_code == 403 and "lead" in refused.text
    client.post("/console/logout", data={"csrf_token": agent_csrf})
    client.cookies.clear()

    create_user(client, "lead", Role.LEAD)
    csrf = sign_in(client, "lead")
    assert client.post("/console/analytics/labels", data=form).status_code == 403  # no CSRF token
    unknown = client.post("/console/analytics/labels", data={"csrf_token": csrf, **form, "pick": "no-such-entry"})
    assert unknown.status_code == 422 and "no FAQ entry &#39;no-such-entry&#39;" in unknown.text
    nothing = client.post("/console/analytics/labels", data={"csrf_token": csrf, "message_id": str(message)})
    assert nothing.status_code == 422 and "choose an FAQ entry" in nothing.text
    no_message = client.post("/console/analytics/labels", data={"csrf_token": csrf, "pick": "invoice"})
    assert no_message.status_code == 422
    bad_id = client.post("/console/analytics/labels", data={"csrf_token": csrf, "message_id": "1e9", "pick": "invoice"})
    assert bad_id.status_code == 422
    gone = client.post("/console/analytics/labels", data={"csrf_token": csrf, "message_id": "99999", "pick": "invoice"})
    assert gone.status_code == 404
    assert services_of(client).labels.labels() == []


def test_questions_are_escaped_on_the_analytics_page_and_in_the_editor(client: TestClient, lead: str) -> None:
    evil = f"my battery {SCRIPT} is dead"
    message = ask(client, evil, "answered", "invoice", 0.5)
    page = client.get("/console/analytics").text
    assert SCRIPT not in page and html.escape(evil, quote=False) in page
    client.post(
        "/console/analytics/labels",
        data={"csrf_token": lead, "message_id": str(message), "pick": "battery"},
        follow_redirects=False,
    )
    assert SCRIPT not in client.get("/console/analytics").text
    editor = client.get("/console/knowledge/invoice").text
    wrong = editor.split('id="wrong-answers"')[1].split("</section>")[0]
    assert SCRIPT not in editor and html.escape(evil, quote=False) in wrong
    assert '<a href="/console/knowledge/battery">battery</a>' in wrong and "0.50" in wrong


def test_the_kb_editor_counts_each_entrys_wrong_answers(client: TestClient, lead: str) -> None:
    wrong = [
        ask(client, "where is my receipt", "answered", "battery", 0.5),
        ask(client, "tell me a joke", "answered", "battery", 0.3),
        ask(client, "money back when", "answered", "invoice", 0.4),
    ]
    right = ask(client, "battery covered?", "answered", "battery", 0.55)
    labels = services_of(client).labels
    labels.label_messages([wrong[0]], "invoice", "user:lead")
    labels.label_messages([wrong[1]], None, "user:lead")
    labels.label_messages([wrong[2]], "refund-time", "user:lead")
    labels.label_messages([right], "battery", "user:lead")
    listing = client.get("/console/knowledge").text.split('id="entries"')[1]
    row = {
        m.group(1): m.group(2)
        for m in re.finditer(r'href="/console/knowledge/([a-z-]+)#wrong-answers">(\d+)<', listing)
    }
    assert row == {"battery": "2", "invoice": "1"}
    editor = client.get("/console/knowledge/battery").text.split('id="wrong-answers"')[1].split("</section>")[0]
    assert "Answered wrongly (2)" in editor
    assert "where is my receipt" in editor and "tell me a joke" in editor and "out of scope" in editor
    assert "battery covered?" not in editor


def test_the_json_api(client: TestClient) -> None:
    message = ask(client, "where is my receipt", "answered", "battery", 0.5)
    lead = token_for(client, Role.LEAD)
    made = client.post("/api/v1/question-labels", json={"message_ids": [message], "expected": "invoice"}, headers=lead)
    assert made.status_code == 200, made.text
    [body] = made.json()
    assert (body["text"], body["expected"], body["bot_faq_id"], body["answered_wrongly"]) == (
        "where is my receipt",
        "invoice",
        "battery",
        True,
    )
    typed = client.post(
        "/api/v1/question-labels", json={"text": "写首诗", "language": "zh", "expected": None}, headers=lead
    )
    assert typed.status_code == 200 and typed.json()[0]["conversation_id"] is None
    listed = client.get("/api/v1/question-labels", headers=lead).json()
    assert [x["text"] for x in listed] == ["写首诗", "where is my receipt"]
    assert client.get(f"/api/v1/question-labels/{body['id']}", headers=lead).json() == body

    unknown = client.post("/api/v1/question-labels", json={"text": "hi", "expected": "nope"}, headers=lead)
    assert unknown.status_code == 422 and "no FAQ entry 'nope'" in unknown.json()["error"]["message"]
    for bad in (
        {"text": "", "expected": None},
        {"text": "  ", "expected": None},
        {"expected": None},  # neither messages nor text
        {"text": "hi", "message_ids": [message], "expected": None},
        {"text": "hi"},  # the verdict is required: null says out of scope
        {"message_ids": [], "expected": None},
        {"message_ids": [message], "language": "en", "expected": None},
        {"text": "hi", "expected": "Not An Id"},
    ):
        response = client.post("/api/v1/question-labels", json=bad, headers=lead)
        assert response.status_code == 422, (bad, response.text)
    missing = client.post("/api/v1/question-labels", json={"message_ids": [424242], "expected": None}, headers=lead)
    assert missing.status_code == 404

    assert client.delete(f"/api/v1/question-labels/{body['id']}", headers=lead).status_code == 204
    assert client.delete(f"/api/v1/question-labels/{body['id']}", headers=lead).status_code == 404
    assert client.get(f"/api/v1/question-labels/{body['id']}", headers=lead).status_code == 404


def test_the_json_apis_access(client: TestClient) -> None:
    message = ask(client, "where is my receipt", "fallback")
    body = {"message_ids": [message], "expected": "invoice"}
    assert client.post("/api/v1/question-labels", json=body).status_code == 401
    assert client.get("/api/v1/question-labels").status_code == 401
    agent = token_for(client, Role.AGENT)
    assert client.post("/api/v1/question-labels", json=body, headers=agent).status_code == 403
    assert client.get("/api/v1/question-labels", headers=agent).status_code == 403
    # A console session needs its CSRF token in the header.
    create_user(client, "lead", Role.LEAD)
    csrf = sign_in(client, "lead")
    assert client.post("/api/v1/question-labels", json=body).status_code == 403
    signed = client.post("/api/v1/question-labels", json=body, headers={"X-CSRF-Token": csrf})
    assert signed.status_code == 200 and signed.json()[0]["labelled_by"] == "user:lead"
    assert services_of(client).labels.labels()[0].expected == "invoice"
