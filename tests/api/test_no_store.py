"""Responses carrying personal data are never stored by a browser or a proxy (`Cache-Control: no-store`):
every response that does not choose its own caching, whatever its status; static assets keep theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_conversations_console_pages_and_errors_are_not_stored(client: TestClient) -> None:
    responses = [
        client.post("/api/v1/conversations", json={}),
        client.post("/api/v1/conversations/c-1/messages", json={"text": "my phone is 13812345678"}),
        client.get("/api/v1/conversations/c-1"),
        client.get("/api/v1/escalations"),
        client.post("/webhook", json={}),
        client.get("/console/login"),
        client.get("/console", follow_redirects=False),
        client.get("/healthz"),
    ]
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store", (response.request.url, response.status_code)


def test_static_assets_and_the_widget_keep_their_caching(client: TestClient) -> None:
    stylesheet = client.get("/console/static/console.css")
    assert stylesheet.status_code == 200 and "Cache-Control" not in stylesheet.headers
    widget = client.get("/chat/widget.js")
    assert widget.headers["Cache-Control"] == "public, max-age=300"
