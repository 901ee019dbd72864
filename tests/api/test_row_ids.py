"""Integer ids beyond what the database holds are refused, never a 500 (issue 11, L1): in paths, in
bodies and in the console's forms, on SQLite and on PostgreSQL (whose INTEGER ends at 2**31 - 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.row_ids import MAX_ROW_ID, row_id_of
from desk.models import Role
from tests.api.staff import create_user, sign_in, token_for
from tests.app_factory import build_app

TOO_LARGE = [str(2**31), "99999999999999999999", "0", "-1"]

# (method, path with {id}, JSON body) of every API route that takes an integer id in its path.
API_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/escalations/{id}", None),
    ("POST", "/api/v1/escalations/{id}/claim", None),
    ("POST", "/api/v1/escalations/{id}/replies", {"text": "hello"}),
    ("POST", "/api/v1/escalations/{id}/replies/{id}/retry", None),
    ("POST", "/api/v1/escalations/{id}/replies/1/retry", None),
    ("POST", "/api/v1/escalations/1/replies/{id}/retry", None),
    ("POST", "/api/v1/escalations/{id}/notes", {"text": "hello"}),
    ("POST", "/api/v1/escalations/{id}/transfer", {"to_user_id": None}),
    ("POST", "/api/v1/escalations/{id}/resolve", {"code": "answered"}),
    ("POST", "/api/v1/escalations/{id}/hand-back", None),
    ("PATCH", "/api/v1/users/{id}", {"display_name": "x"}),
    ("DELETE", "/api/v1/tokens/{id}", None),
    ("GET", "/api/v1/knowledge/publications/{id}", None),
]
# (path with {id}, form) of every console route that does.
CONSOLE_ROUTES: list[tuple[str, dict[str, str] | None]] = [
    ("/console/escalations/{id}", None),
    ("/console/escalations/{id}/live", None),
    ("/console/escalations/{id}/claim", {}),
    ("/console/escalations/{id}/reply", {"text": "hello"}),
    ("/console/escalations/{id}/note", {"text": "hello"}),
    ("/console/escalations/{id}/transfer", {"to": "queue"}),
    ("/console/escalations/{id}/resolve", {"code": "answered"}),
    ("/console/escalations/{id}/hand-back", {}),
    ("/console/escalations/{id}/messages/1/retry", {}),
    ("/console/escalations/1/messages/{id}/retry", {}),
    ("/console/admin/users/{id}", {"role": "agent"}),
    ("/console/admin/tokens/{id}/revoke", {}),
]


@pytest.fixture
def on_each_database(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The app on SQLite, and on PostgreSQL when one is reachable (tests/conftest.py)."""
    with TestClient(build_app(tmp_path, database_url=database_url), raise_server_exceptions=False) as client:
        yield client


def test_ids_out_of_range_in_api_paths_are_refused(on_each_database: TestClient) -> None:
    client = on_each_database
    admin = token_for(client, Role.ADMIN)
    for method, template, body in API_ROUTES:
        for value in TOO_LARGE:
            response = client.request(method, template.replace("{id}", value), json=body, headers=admin)
            assert response.status_code == 422, (method, template, value, response.text)
        # The largest id the database holds is looked up: nothing there (a user: 422, "no such user").
        largest = client.request(method, template.replace("{id}", str(MAX_ROW_ID)), json=body, headers=admin)
        assert largest.status_code in (404, 422), (method, template, largest.text)


def test_ids_out_of_range_in_console_paths_are_refused(on_each_database: TestClient) -> None:
    client = on_each_database
    create_user(client, "root", Role.ADMIN)
    csrf = sign_in(client, "root")
    for template, form in CONSOLE_ROUTES:
        for value in [*TOO_LARGE, str(MAX_ROW_ID)]:
            path = template.replace("{id}", value)
            if form is None:
                response = client.get(path)
            else:
                response = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
            assert response.status_code in (404, 409, 422), (template, value, response.status_code)


def test_ids_out_of_range_in_bodies_and_forms_are_refused(on_each_database: TestClient) -> None:
    client = on_each_database
    agent = token_for(client, Role.ADMIN)
    for value in (2**31, 99999999999999999999):
        transfer = client.post("/api/v1/escalations/1/transfer", json={"to_user_id": value}, headers=agent)
        assert transfer.status_code == 422, transfer.text
        for path, body in (
            ("/api/v1/knowledge/entries/{entry}/rollback", {"version": value}),
            ("/api/v1/knowledge/entries/{entry}/rollback", {"version": 1, "base_version": value}),
            ("/api/v1/knowledge/entries/{entry}/disable", {"base_version": value}),
        ):
            entry = client.get("/api/v1/knowledge/entries", headers=agent).json()[0]["id"]
            response = client.post(path.format(entry=entry), json=body, headers=agent)
            assert response.status_code == 422, (path, body, response.text)
    create_user(client, "root", Role.ADMIN)
    csrf = sign_in(client, "root")
    entry = client.get("/api/v1/knowledge/entries", headers=agent).json()[0]["id"]
    for value in ("99999999999999999999", "²", "٣"):
        for path, form in (
            ("/console/escalations/1/transfer", {"to": value}),
            (f"/console/knowledge/{entry}/rollback", {"version": value}),
            (f"/console/knowledge/{entry}/disable", {"base_version": value}),
            (f"/console/knowledge/{entry}/save", {"base_version": value, "category": "c"}),
        ):
            response = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
            assert response.status_code < 500, (path, value, response.status_code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (str(MAX_ROW_ID), MAX_ROW_ID), (str(2**31), None), ("0", None), ("", None), ("²", None), ("٣", None)],
)
def test_a_form_field_is_an_id_only_within_range(text: str, expected: int | None) -> None:
    assert row_id_of(text) == expected
