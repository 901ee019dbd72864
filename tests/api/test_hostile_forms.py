"""Hostile input to every console form, the surface the OpenAPI fuzzer does not see (issue 11): a
signed-in session without its CSRF token, with another session's token, and with bodies that are not
forms at all. Each gets a clear 4xx (or the sign-in page), never a 5xx, and changes nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.console import admin_pages, analytics_pages, knowledge_pages, request_pages
from api.console import pages as console_pages
from desk.models import Role
from tests.api.staff import create_user, services_of, sign_in


def console_form_routes() -> list[str]:
    """Every POST route of the console but the sign-in, with each path parameter given an id."""
    paths = []
    for module in (console_pages, admin_pages, analytics_pages, knowledge_pages, request_pages):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and "POST" in route.methods and route.path != "/console/login":
                paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return sorted(set(paths))


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    create_user(client, "root", Role.ADMIN)
    sign_in(client, "root")
    return client


def audit_size(client: TestClient) -> int:
    return len(services_of(client).audit.recent(1000))


def test_every_console_form_refuses_a_session_without_its_own_csrf_token(admin_client: TestClient) -> None:
    client = admin_client
    # Another admin's session and its (valid, but foreign) CSRF token.
    create_user(client, "other", Role.ADMIN)
    with TestClient(client.app) as other:
        foreign = sign_in(other, "other")
    before = audit_size(client)
    routes = console_form_routes()
    assert len(routes) >= 15, routes
    for path in routes:
        for data in ({}, {"csrf_token": foreign}, {"csrf_token": ""}):
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, data, response.status_code)
    assert audit_size(client) == before  # nothing happened


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"csrf_token=%ZZ&text=\xff\xfe\xfd"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\xff\r\n\r\n\xfe\r\n--x--"),
        ("multipart/form-data", b"no boundary at all"),
        ("application/json", b'{"csrf_token": "x", "text": "\xff"}'),
        ("text/xml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb">]><a>&b;&b;&b;</a>'),
    ],
    ids=["bad-urlencoding", "bad-multipart", "no-boundary", "json", "xml-entities"],
)
def test_bodies_that_are_not_forms_get_a_4xx(admin_client: TestClient, content_type: str, body: bytes) -> None:
    for path in console_form_routes():
        response = admin_client.post(path, content=body, headers={"content-type": content_type}, follow_redirects=False)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
