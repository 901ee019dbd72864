"""Signing staff in for API tests: through the console's form (cookie + CSRF) or with an API token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from desk.models import Role, Scope, TokenRole
from desk.services import DeskServices
from desk.users import UserView

PASSWORD = "correct horse battery"


def services_of(client: TestClient) -> DeskServices:
    services: DeskServices = client.app.state.runtime.services  # type: ignore[attr-defined]
    return services


def create_user(client: TestClient, username: str, role: Role) -> UserView:
    return services_of(client).users.create(username, PASSWORD, role, username.title())


def token_for(client: TestClient, role: Role, username: str | None = None) -> dict[str, str]:
    """Authorization headers of a new API token with `role`, created by a new user of that role."""
    user = create_user(client, username or f"{role}-token-owner", role)
    secret, _ = services_of(client).access.create_token(f"{username or role}-integration", TokenRole(role), user.id)
    return {"Authorization": f"Bearer {secret}"}


def integration_token(client: TestClient, name: str, scopes: list[Scope] | None = None) -> dict[str, str]:
    """Authorization headers of a new integration token (every scope unless `scopes`), owned by an admin."""
    services = services_of(client)
    owner = services.users.by_username("integrations-owner") or create_user(client, "integrations-owner", Role.ADMIN)
    secret, _ = services.access.create_token(name, TokenRole.INTEGRATION, owner.id, scopes or [])
    return {"Authorization": f"Bearer {secret}"}


def login_form_token(client: TestClient) -> str:
    page = client.get("/console/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Signs the client in (it keeps the session cookie); returns the session's CSRF token."""
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client)


def csrf_of(client: TestClient, path: str = "/console") -> str:
    page = client.get(path)
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)
