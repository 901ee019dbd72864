"""The console's security headers: on every console response, and only there."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_console_responses_carry_the_security_headers(client: TestClient) -> None:
    for path in ("/console/login", "/console/static/does-not-exist.css"):
        response = client.get(path, follow_redirects=False)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_other_responses_do_not(client: TestClient) -> None:
    response = client.get("/api/v1/conversations/nobody")
    assert response.status_code == 401
    assert "Content-Security-Policy" not in response.headers
