"""Staff routes admit their caller before the body is read (issue 11, M1): an anonymous caller gets
401 (the console: the sign-in page), a role too low or a missing CSRF token 403, whatever the body."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.console import admin_pages, analytics_pages, knowledge_pages
from api.console import pages as console_pages
from api.routes import action_endpoint, admin, analytics, conversations, escalations, events, health, knowledge
from api.staff_route import StaffRoute, caller_checks
from desk.models import Role
from tests.api.staff import create_user, services_of, sign_in, token_for

MALFORMED = b'{"username": "mallory", '
JSON = {"content-type": "application/json"}

# Every staff route that takes a JSON body, with a path that names nothing in particular.
JSON_ROUTES = [
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/1"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/escalations/1/replies"),
    ("POST", "/api/v1/escalations/1/notes"),
    ("POST", "/api/v1/escalations/1/transfer"),
    ("POST", "/api/v1/escalations/1/resolve"),
    ("POST", "/api/v1/knowledge/entries"),
    ("PUT", "/api/v1/knowledge/entries/p01-return-window"),
    ("POST", "/api/v1/knowledge/entries/p01-return-window/disable"),
    ("POST", "/api/v1/knowledge/entries/p01-return-window/rollback"),
    ("POST", "/api/v1/knowledge/preview"),
]
FORM_ROUTES = [
    "/console/escalations/1/reply",
    "/console/escalations/1/transfer",
    "/console/admin/users",
    "/console/admin/tokens",
    "/console/knowledge/new",
]


def code_of(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


def test_malformed_json_from_an_anonymous_caller_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/users", content=MALFORMED, headers=JSON)
    assert response.status_code == 401 and code_of(response) == "not_signed_in"
    # An oversize body is refused for its size first (before anyone is asked who they are).
    oversize = client.post("/api/v1/users", content=b"x" * (1024 * 1024), headers=JSON)
    assert oversize.status_code == 413 and code_of(oversize) == "too_large"


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_every_json_staff_route_refuses_before_parsing(client: TestClient, method: str, path: str) -> None:
    for body in (MALFORMED, b'{"unexpected": [1, 2, 3]}'):
        response = client.request(method, path, content=body, headers=JSON)
        assert response.status_code == 401, (path, response.text)
        unknown = client.request(method, path, content=body, headers={**JSON, "Authorization": "Bearer nope"})
        assert unknown.status_code == 401, (path, unknown.text)


def test_a_role_too_low_is_403_before_parsing(client: TestClient) -> None:
    agent = token_for(client, Role.AGENT)
    response = client.post("/api/v1/users", content=MALFORMED, headers={**JSON, **agent})
    assert response.status_code == 403 and code_of(response) == "forbidden"
    lead = client.post("/api/v1/knowledge/entries", content=MALFORMED, headers={**JSON, **agent})
    assert lead.status_code == 403
    # The admin is admitted, and only then is the body read (and found malformed).
    admin_token = token_for(client, Role.ADMIN)
    assert client.post("/api/v1/users", content=MALFORMED, headers={**JSON, **admin_token}).status_code == 400


def test_a_session_without_its_csrf_token_is_403_before_parsing(client: TestClient) -> None:
    create_user(client, "root", Role.ADMIN)
    sign_in(client, "root")
    response = client.post("/api/v1/users", content=MALFORMED, headers=JSON)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", FORM_ROUTES)
def test_console_forms_send_anonymous_callers_to_sign_in_unparsed(client: TestClient, path: str) -> None:
    garbage = b"%ZZ&&=" + b"\xff" * 100
    response = client.post(
        path, content=garbage, headers={"content-type": "multipart/form-data; boundary=x"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


def test_the_caller_is_looked_up_once_per_request(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = token_for(client, Role.ADMIN)
    access = services_of(client).access
    lookups: list[str] = []
    original: Callable[..., Any] = access.token_caller

    def counted(secret: str) -> Any:
        lookups.append(secret)
        return original(secret)

    monkeypatch.setattr(access, "token_caller", counted)
    created = client.post(
        "/api/v1/users", json={"username": "bob", "password": "correct horse battery", "role": "agent"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert len(lookups) == 1


STAFF_MODULES: list[ModuleType] = [
    admin,
    analytics,
    escalations,
    knowledge,
    console_pages,
    admin_pages,
    analytics_pages,
    knowledge_pages,
]


@pytest.mark.parametrize(
    "module",
    [*STAFF_MODULES, conversations, events, action_endpoint, health],
    ids=lambda m: m.__name__,
)
def test_every_staff_route_with_a_body_admits_its_caller_first(module: ModuleType) -> None:
    """A new route taking a body behind `StaffDep` & co. on a router without `StaffRoute` fails here."""
    routes = [route for route in module.router.routes if isinstance(route, APIRoute)]
    unguarded = [
        route.path
        for route in routes
        if caller_checks(route.dependant) and route.body_field is not None and not isinstance(route, StaffRoute)
    ]
    assert not unguarded
    if module in STAFF_MODULES:
        assert all(isinstance(route, StaffRoute) for route in routes)
