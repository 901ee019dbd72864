"""Return, exchange and repair requests in the console and the staff API (issue 13, item 4): who may
see and decide them, CSRF on every form, hostile text escaped, a refused form shown again with what
was typed, the customer told on their channel, and the case file and analytics showing them."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from desk.handoff import HandoffReason
from desk.models import RequestKind, RequestStatus, Role
from desk.service_requests import RequestView
from desk.users import Staff
from tests.api.staff import create_user, integration_token, services_of, sign_in, token_for
from tests.waiting import wait_until

XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
ELIGIBLE = {"rule": "P7-quality-repair", "verdict": "allowed", "reason": f"签收第 20 天 {IMG}"}


def open_request(
    client: TestClient,
    conversation: str = "c-1",
    kind: RequestKind = RequestKind.REPAIR,
    language: str = "zh",
    reason: str = f"充不进电 {XSS}",
    **fields: Any,
) -> RequestView:
    services = services_of(client)
    if services.conversations.get(conversation) is None:
        services.conversations.record_inbound(
            conversation, text="我要维修", payload=None, language=language, channel="api"
        )
    values: dict[str, Any] = {
        "allowed": True,
        "eligibility": ELIGIBLE,
        "order_number": "LM202611260001",
        "serial_number": "RV2406123456",
        "category": "robot_vacuum",
        "reason": reason,
        "quality_problem": True,
        "attachments": [f"wechat-media:{IMG}"],
    }
    values.update(fields)
    return services.requests.open(conversation, kind, **values)


def agent_session(client: TestClient, username: str = "agnes", role: Role = Role.AGENT) -> str:
    create_user(client, username, role)
    return sign_in(client, username)


def textarea(page: str, name: str, after: str = "") -> str:
    """A textarea's text (the first of that name after `after`, when given)."""
    match = re.search(
        rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page.split(after, 1)[1] if after else page, re.S
    )
    assert match, page[:2000]
    return html.unescape(match.group(1))


# Who may -----------------------------------------------------------------------------------------


def test_requests_are_for_staff_only(client: TestClient) -> None:
    opened = open_request(client)
    page = client.get("/console/requests", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    assert client.get("/api/v1/requests").status_code == 401
    assert client.post(f"/api/v1/requests/{opened.id}/approve").status_code == 401
    crm = integration_token(client, "crm")
    assert client.get("/api/v1/requests", headers=crm).status_code == 403
    assert client.post(f"/api/v1/requests/{opened.id}/approve", headers=crm).status_code == 403
    agent = token_for(client, Role.AGENT)
    listed = client.get("/api/v1/requests", headers=agent)
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [opened.id]
    assert services_of(client).requests.get(opened.id).status == RequestStatus.PENDING


def test_every_request_form_needs_the_sessions_csrf_token(client: TestClient) -> None:
    opened = open_request(client)
    agent_session(client)
    for action, data in (("approve", {}), ("reject", {"reason": "no"}), ("edit", {"kind": "return"})):
        for token in ({}, {"csrf_token": "forged"}):
            response = client.post(
                f"/console/requests/{opened.id}/{action}", data={**data, **token}, follow_redirects=False
            )
            assert response.status_code == 403, (action, token)
    after = services_of(client).requests.get(opened.id)
    assert after.status == RequestStatus.PENDING and after.kind == RequestKind.REPAIR


# The console ---------------------------------------------------------------------------------------


def test_the_list_puts_pending_requests_first_and_escapes_what_customers_wrote(client: TestClient) -> None:
    first = open_request(client, "c-1")
    second = open_request(client, "c-2", RequestKind.RETURN, serial_number="RV2406000002")
    agent_session(client)
    services_of(client).requests.reject(first.id, staff_of(client, "agnes"), f"SN 不符 {XSS}")

    listing = client.get("/console/requests?view=all")
    assert listing.status_code == 200 and 'href="/console/requests"' in listing.text  # the navigation link
    rows = re.findall(r'data-request="(\d+)"', listing.text)
    assert rows == [str(second.id), str(first.id)]
    assert "<script>alert(1)" not in listing.text and "&lt;script&gt;" in listing.text
    assert re.findall(r'data-request="(\d+)"', client.get("/console/requests").text) == [str(second.id)]

    view = client.get(f"/console/requests/{first.id}")
    assert view.status_code == 200
    for hostile in (XSS, IMG):
        assert hostile not in view.text
    assert "&lt;img src=x" in view.text and "RMA20260001" in view.text and "SN 不符 &lt;script&gt;" in view.text
    assert client.get("/console/requests/999999").status_code == 404


def test_approve_from_the_console_tells_the_customer_on_their_channel(client: TestClient) -> None:
    opened = open_request(client, language="en")
    csrf = agent_session(client)
    response = client.post(f"/console/requests/{opened.id}/approve", data={"csrf_token": csrf}, follow_redirects=False)
    assert (
        response.status_code == 303 and response.headers["location"] == f"/console/requests/{opened.id}?done=approved"
    )
    decided = services_of(client).requests.get(opened.id)
    assert decided.status == RequestStatus.APPROVED and decided.decided_by == "Agnes"

    def told() -> Any:
        messages = services_of(client).conversations.transcript("c-1")
        found = [m for m in messages if m.id == decided.decision_message_id and m.delivery == "delivered"]
        return found[0] if found else None

    message = wait_until(told, what="the decision's delivery")
    assert message.sender == "agent" and "RMA20260001" in message.text and "SF Express pickup" in message.text
    page = client.get(f"/console/requests/{opened.id}?done=approved")
    assert "Approved: the customer is being told" in page.text and 'id="approve"' not in page.text


def test_a_rejection_without_a_reason_is_refused_and_the_typed_text_kept(client: TestClient) -> None:
    opened = open_request(client)
    csrf = agent_session(client)
    for typed, status in (("   ", 422), ("太长" * 600 + XSS, 422)):
        response = client.post(f"/console/requests/{opened.id}/reject", data={"csrf_token": csrf, "reason": typed})
        assert response.status_code == status
        assert "banner error" in response.text and textarea(response.text, "reason") == typed
        assert XSS not in response.text
    empty = client.post(f"/console/requests/{opened.id}/reject", data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 422 and "needs a reason" in empty.text
    assert services_of(client).requests.get(opened.id).status == RequestStatus.PENDING

    done = client.post(
        f"/console/requests/{opened.id}/reject",
        data={"csrf_token": csrf, "reason": "序列号与订单不符"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    rejected = services_of(client).requests.get(opened.id)
    assert rejected.status == RequestStatus.REJECTED and rejected.decision_reason == "序列号与订单不符"
    again = client.post(f"/console/requests/{opened.id}/approve", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already rejected" in again.text


def test_an_edit_is_saved_and_a_refused_one_keeps_what_was_typed(client: TestClient) -> None:
    opened = open_request(client, kind=RequestKind.RETURN, serial_number=None)
    csrf = agent_session(client)
    form = {
        "csrf_token": csrf,
        "form": "edit",
        "kind": "repair",
        "service": "on_site",
        "order_number": "LM202611260001",
        "serial_number": "AC2406123456",
        "sku": "AC-1",
        "reason": "不制冷",
        "quality_problem": "on",
    }
    saved = client.post(f"/console/requests/{opened.id}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    edited = services_of(client).requests.get(opened.id)
    assert (edited.kind, edited.rma_number, edited.service, edited.sku) == ("repair", "RMA20260001", "on_site", "AC-1")

    refused = client.post(
        f"/console/requests/{opened.id}/edit", data={**form, "order_number": "LM12", "reason": f"改了 {XSS}"}
    )
    assert refused.status_code == 422 and "LM followed by 12 digits" in refused.text
    assert textarea(refused.text, "reason", after='id="edit-form"') == f"改了 {XSS}" and 'value="LM12"' in refused.text
    assert XSS not in refused.text
    assert services_of(client).requests.get(opened.id).reason == "不制冷"
    audit = services_of(client).audit.recent(5, action="request.edit")
    assert audit[0].actor == "user:agnes" and "不制冷" not in str(audit[0].details)


def test_the_case_file_shows_the_conversations_requests_and_their_decisions(client: TestClient) -> None:
    opened = open_request(client)
    escalation = services_of(client).escalations.open("c-1", HandoffReason.COMPLAINT, channel="api", language="zh")
    agent_session(client)
    services_of(client).requests.reject(opened.id, staff_of(client, "agnes"), f"已过保 {IMG}")
    page = client.get(f"/console/escalations/{escalation.escalation.id}")
    assert page.status_code == 200
    card = page.text.split('id="case-requests"', 1)[1].split("</section>", 1)[0]
    assert f"/console/requests/{opened.id}" in card and "rejected" in card and "RMA20260001" in card
    assert "已过保 &lt;img" in card and IMG not in page.text
    case = client.get(f"/api/v1/escalations/{escalation.escalation.id}", headers=token_for(client, Role.AGENT)).json()
    assert [(r["id"], r["status"], r["rma_number"]) for r in case["requests"]] == [
        (opened.id, "rejected", "RMA20260001")
    ]
    assert case["requests"][0]["decision_reason"] == f"已过保 {IMG}"


# The staff API ---------------------------------------------------------------------------------------


def test_the_api_lists_approves_rejects_and_edits(client: TestClient) -> None:
    agent = token_for(client, Role.AGENT)
    repair = open_request(client, "c-1", language="en")
    ret = open_request(client, "c-2", RequestKind.RETURN, serial_number="RV2406000002")

    listed = client.get("/api/v1/requests", params={"status": "pending"}, headers=agent).json()
    assert [r["id"] for r in listed] == [repair.id, ret.id] and listed[0]["rma_number"] == "RMA20260001"
    assert [r["id"] for r in client.get("/api/v1/requests?conversation_id=c-2", headers=agent).json()] == [ret.id]

    approved = client.post(f"/api/v1/requests/{repair.id}/approve", headers=agent)
    assert approved.status_code == 200
    body = approved.json()
    assert body["request"]["status"] == "approved" and body["request"]["decided_by"] == "agent-integration (API)"
    assert "RMA20260001" in body["message"]["text"] and body["message"]["delivery"] in ("pending", "delivered")
    assert client.post(f"/api/v1/requests/{repair.id}/approve", headers=agent).status_code == 409

    assert client.post(f"/api/v1/requests/{ret.id}/reject", json={}, headers=agent).status_code == 422
    assert client.post(f"/api/v1/requests/{ret.id}/reject", json={"reason": ""}, headers=agent).status_code == 422
    assert client.patch(f"/api/v1/requests/{ret.id}", json={}, headers=agent).status_code == 422
    assert client.patch(f"/api/v1/requests/{ret.id}", json={"kind": "toaster"}, headers=agent).status_code == 422
    edited = client.patch(f"/api/v1/requests/{ret.id}", json={"kind": "exchange", "sku": "RV-S7"}, headers=agent)
    assert edited.status_code == 200 and edited.json()["kind"] == "exchange" and edited.json()["sku"] == "RV-S7"

    rejected = client.post(f"/api/v1/requests/{ret.id}/reject", json={"reason": "已超过 15 天"}, headers=agent)
    assert rejected.status_code == 200 and "已超过 15 天" in rejected.json()["message"]["text"]
    assert client.get("/api/v1/requests/999999", headers=agent).status_code == 404

    lead = token_for(client, Role.LEAD)
    summary = client.get("/api/v1/analytics/summary", headers=lead).json()["requests"]
    assert summary["total"] == 2 and summary["approval_rate"] == 0.5
    assert {c["key"]: c["count"] for c in summary["by_status"]}["rejected"] == 1


def staff_of(client: TestClient, username: str) -> Staff:
    user = services_of(client).users.by_username(username)
    assert user is not None
    return Staff.of(user)


def test_the_analytics_page_shows_requests(client: TestClient) -> None:
    open_request(client)
    create_user(client, "lena", Role.LEAD)
    sign_in(client, "lena")
    page = client.get("/console/analytics")
    assert page.status_code == 200 and 'id="requests"' in page.text
