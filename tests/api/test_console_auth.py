"""Sign-in, sessions, CSRF, roles and tokens: every refusal is a clear 401/403/429, never a hidden button."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE
from desk.models import Role
from tests.api.staff import PASSWORD, create_user, login_form_token, services_of, sign_in, token_for


def test_anonymous_callers_get_401_on_the_api_and_the_sign_in_page_on_the_console(client: TestClient) -> None:
    for path in ("/api/v1/escalations", "/api/v1/users", "/api/v1/audit", "/api/v1/events"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_signed_in"
    page = client.get("/console/escalations/1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login?next=/console/escalations/1"


def test_sign_in_sets_a_signed_httponly_samesite_cookie(client: TestClient) -> None:
    create_user(client, "alice", Role.AGENT)
    response = client.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/console").status_code == 200
    # A tampered cookie is no session.
    tampered = client.cookies[SESSION_COOKIE] + "x"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, tampered)
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_form_token_and_the_right_password(client: TestClient) -> None:
    create_user(client, "alice", Role.AGENT)
    no_token = client.post("/console/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "x"})
    assert no_token.status_code == 403
    wrong = client.post(
        "/console/login",
        data={"username": "alice", "password": "wrong password", "csrf_token": login_form_token(client)},
    )
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text


def test_repeated_failed_sign_ins_are_rate_limited(client: TestClient) -> None:
    create_user(client, "alice", Role.AGENT)
    statuses = []
    for _ in range(5):
        response = client.post(
            "/console/login",
            data={"username": "alice", "password": "not the password", "csrf_token": login_form_token(client)},
        )
        statuses.append(response.status_code)
    # Three free failures, then this client waits before trying alice again (desk.access.Throttle).
    assert statuses == [401] * 3 + [429] * 2
    assert int(response.headers["Retry-After"]) > 0 and "Try again in" in response.text
    # Even the right password waits, from this client.
    blocked = client.post(
        "/console/login", data={"username": "alice", "password": PASSWORD, "csrf_token": login_form_token(client)}
    )
    assert blocked.status_code == 429
    actions = [e.action for e in services_of(client).audit.recent()]
    assert actions.count("session.sign_in_failed") == 3


def test_state_changes_from_a_session_need_the_csrf_token(client: TestClient) -> None:
    create_user(client, "root", Role.ADMIN)
    csrf = sign_in(client, "root")
    body = {"username": "newagent", "password": PASSWORD, "role": "agent"}
    assert client.post("/api/v1/users", json=body).status_code == 403
    assert client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    created = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201 and created.json()["role"] == "agent"
    # A console form without the token is refused as a page.
    logout = client.post("/console/logout", data={})
    assert logout.status_code == 403 and "CSRF" in logout.text


def test_wrong_role_is_403_on_the_api_and_on_the_console(client: TestClient) -> None:
    agent = token_for(client, Role.AGENT)
    assert client.get("/api/v1/escalations", headers=agent).status_code == 200
    for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit"):
        response = client.get(path, headers=agent)
        assert response.status_code == 403 and "admin role" in response.json()["error"]["message"], path
    create_user(client, "alice", Role.AGENT)
    sign_in(client, "alice")
    page = client.get("/console/admin")
    assert page.status_code == 403 and "admin role" in page.text


def test_admins_create_and_revoke_api_tokens(client: TestClient) -> None:
    admin = token_for(client, Role.ADMIN)
    created = client.post("/api/v1/tokens", json={"name": "crm", "role": "agent"}, headers=admin)
    assert created.status_code == 201
    secret = created.json()["token"]
    integration = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/escalations", headers=integration).status_code == 200
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert all("token" not in t for t in listed)  # never shown again
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=admin).status_code == 200
    revoked = client.get("/api/v1/escalations", headers=integration)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    actions = [e.action for e in services_of(client).audit.recent()]
    assert "token.create" in actions and "token.revoke" in actions


def test_integration_tokens_are_scoped_expire_and_are_refused_clearly(client: TestClient) -> None:
    admin = token_for(client, Role.ADMIN)
    created = client.post(
        "/api/v1/tokens",
        json={"name": "crm", "role": "integration", "scopes": ["conversations"], "expires_in_days": 7},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["role"] == "integration" and body["scopes"] == ["conversations"] and body["expires_at"]
    for bad in (
        {"name": "Bad Name", "role": "integration"},
        {"name": "report", "role": "lead", "scopes": ["orders"]},
        {"name": "crm", "role": "integration", "scopes": ["everything"]},
        {"name": "crm", "role": "integration", "expires_in_days": 0},
    ):
        assert client.post("/api/v1/tokens", json=bad, headers=admin).status_code == 422, bad
    lead = token_for(client, Role.LEAD, "lena")
    assert client.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=lead).status_code == 403


def test_an_admin_makes_an_integration_token_in_the_console(client: TestClient) -> None:
    create_user(client, "root", Role.ADMIN)
    csrf = sign_in(client, "root")
    page = client.post(
        "/console/admin/tokens",
        data={"csrf_token": csrf, "name": "crm", "role": "integration", "scopes": ["orders"], "expires_in_days": "30"},
    )
    assert page.status_code == 201 and "lmk_" in page.text and "integration (orders)" in page.text
    refused = client.post("/console/admin/tokens", data={"csrf_token": csrf, "name": "CRM!", "role": "integration"})
    assert refused.status_code == 422 and "lower-case" in refused.text


def test_signing_out_ends_the_session(client: TestClient) -> None:
    create_user(client, "alice", Role.AGENT)
    csrf = sign_in(client, "alice")
    old_cookie = client.cookies[SESSION_COOKIE]
    assert client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old_cookie)  # a copied cookie is worthless afterwards
    assert client.get("/console", follow_redirects=False).status_code == 303
