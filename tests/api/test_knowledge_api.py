"""The knowledge-base API: leads edit, preview and publish; the bot answers from the new index at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

import engine.knowledge_publisher as publisher_module
from desk.models import Role
from knowledge.entries import entries_checksum, load_entries
from knowledge.index import build_retriever, read_manifest, save_index
from knowledge.live import LiveRetriever
from tests.api.staff import services_of, token_for
from tests.app_factory import build_app
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES
from tests.waiting import wait_until

BASE = "/api/v1/knowledge"
QUESTION = "How long is the battery warranty?"
OLD_ANSWER = "battery: 1 year"
NEW_ANSWER = "The battery is covered for 2 years."


@pytest.fixture
def lead(client: TestClient) -> dict[str, str]:
    return token_for(client, Role.LEAD, "lead")


def runtime_retriever(client: TestClient) -> LiveRetriever:
    retriever: LiveRetriever = client.app.state.runtime.retriever  # type: ignore[attr-defined]
    return retriever


def bot_answer(client: TestClient, question: str = QUESTION) -> str:
    """What the retriever the bot's actions use ranks first, as its answer."""
    top = runtime_retriever(client).search(question, "en").top
    assert top is not None
    return top.entry.answer_in("en")


def body_of(entry: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {k: entry[k] for k in ("category", "section", "questions", "answer", "enabled")}
    body["questions"] = {"zh": [], "en": [], **body["questions"]}
    body["answer"] = {"zh": "", "en": "", **body["answer"]}
    body.update(changes)
    return body


def edit_answer(client: TestClient, headers: dict[str, str], entry_id: str, en: str) -> dict[str, Any]:
    entry = client.get(f"{BASE}/entries/{entry_id}", headers=headers).json()
    body = body_of(entry, answer={"zh": entry["answer"].get("zh", ""), "en": en}, base_version=entry["version"])
    response = client.put(f"{BASE}/entries/{entry_id}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


def publish_and_wait(client: TestClient, headers: dict[str, str], timeout: float = 60.0) -> dict[str, Any]:
    started = client.post(f"{BASE}/publish", headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "building"
    return wait_for(client, headers, started.json()["id"], timeout)


def wait_for(client: TestClient, headers: dict[str, str], publication_id: int, timeout: float = 60.0) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        publication: dict[str, Any] = client.get(f"{BASE}/publications/{publication_id}", headers=headers).json()
        return publication if publication["status"] != "building" else None

    return wait_until(finished, timeout, what=f"publication {publication_id}'s end")


def error_code(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


# Access ----------------------------------------------------------------------------------------------


LEAD_ONLY = [
    ("get", "/entries"),
    ("get", "/entries/battery"),
    ("get", "/entries/battery/versions"),
    ("post", "/entries/battery/disable"),
    ("get", "/search?q=battery"),
    ("post", "/preview"),
    ("post", "/publish"),
    ("get", "/publications"),
    ("get", "/export"),
]


def test_leads_only(client: TestClient) -> None:
    agent = token_for(client, Role.AGENT, "agent")
    admin = token_for(client, Role.ADMIN, "boss")
    for method, path in LEAD_ONLY:
        body = {"question": QUESTION} if path == "/preview" else None
        anonymous = client.request(method, BASE + path, json=body)
        assert anonymous.status_code == 401, (path, anonymous.text)
        refused = client.request(method, BASE + path, json=body, headers=agent)
        assert refused.status_code == 403, (path, refused.text)
        assert error_code(refused) == "forbidden"
        allowed = client.request(method, BASE + path, json=body, headers=admin)
        assert allowed.status_code in (200, 202), (path, allowed.text)
        if path == "/publish":
            assert wait_for(client, admin, allowed.json()["id"])["status"] == "live"


# The seed and reading -------------------------------------------------------------------------------------


def test_seeded_from_the_seed_files_at_start(client: TestClient, lead: dict[str, str]) -> None:
    entries = client.get(f"{BASE}/entries", headers=lead).json()
    assert [e["id"] for e in entries] == [e.id for e in ENTRIES]
    assert all(e["version"] == 1 and e["published_version"] == 1 and not e["draft"] for e in entries)
    assert [e["id"] for e in client.get(f"{BASE}/entries?text=invoice", headers=lead).json()] == ["invoice"]
    versions = client.get(f"{BASE}/entries/battery/versions", headers=lead).json()
    assert [(v["version"], v["change"], v["author"]) for v in versions] == [(1, "seed", "seed")]
    assert client.get(f"{BASE}/entries/nope", headers=lead).status_code == 404


def test_search_shows_scores_decision_and_reply(client: TestClient, lead: dict[str, str]) -> None:
    found = client.get(f"{BASE}/search", params={"q": QUESTION, "language": "en", "k": 3}, headers=lead).json()
    assert found["language"] == "en" and found["decision"] in ("answer", "clarify", "abstain")
    assert len(found["hits"]) == 3
    assert found["hits"][0]["id"] == "battery" and found["hits"][0]["answer"] == OLD_ANSWER
    assert found["hits"][0]["score"] >= found["hits"][1]["score"]
    assert set(found["hits"][0]["signals"]) == {"dense", "lexical", "supervised"}
    assert found["reply"]["outcome"] in ("answered", "clarified", "fallback")
    if found["decision"] == "answer":
        assert found["reply"]["text"] == OLD_ANSWER


# Validation and conflicts ---------------------------------------------------------------------------------


def valid_new(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "gift-wrap",
        "category": "orders",
        "section": "P5",
        "questions": {"zh": ["可以礼品包装吗"], "en": ["Can you gift-wrap my order?"]},
        "answer": {"zh": "可以。", "en": "Yes, choose gift wrap at checkout."},
    }
    body.update(changes)
    return body


INVALID = {
    "extra-field": valid_new(unexpected=True),
    "bad-id": valid_new(id="Bad Id"),
    "reserved-id": valid_new(id="new"),
    "empty-id": valid_new(id=""),
    "empty-category": valid_new(category=""),
    "long-question": valid_new(questions={"en": ["x" * 501]}),
    "too-many-phrasings": valid_new(questions={"en": [f"phrasing {i}" for i in range(51)]}),
    "language": valid_new(questions={"fr": ["bonjour"]}),
    "no-phrasing": valid_new(questions={"en": ["  "], "zh": []}),
    "long-answer": valid_new(answer={"en": "x" * 4001}),
    "no-answer": valid_new(answer={"en": "  ", "zh": ""}),
    "control-character": valid_new(answer={"en": "bell\x07"}),
    "not-a-bool": valid_new(enabled="yes"),
    "missing-fields": {"id": "gift-wrap"},
}


def test_invalid_entries_are_422(client: TestClient, lead: dict[str, str]) -> None:
    for name, body in INVALID.items():
        response = client.post(f"{BASE}/entries", json=body, headers=lead)
        assert response.status_code == 422, (name, response.text)
        assert error_code(response) == "invalid_request", name
    assert client.get(f"{BASE}/entries/gift-wrap", headers=lead).status_code == 404


def test_invalid_requests_are_422(client: TestClient, lead: dict[str, str]) -> None:
    entry = client.get(f"{BASE}/entries/battery", headers=lead).json()
    assert client.put(f"{BASE}/entries/battery", json=body_of(entry), headers=lead).status_code == 422  # no base
    assert client.post(f"{BASE}/preview", json={"question": "x" * 501}, headers=lead).status_code == 422
    assert client.post(f"{BASE}/preview", json={"question": " "}, headers=lead).status_code == 422
    assert client.post(f"{BASE}/preview", json={"question": "hi", "extra": 1}, headers=lead).status_code == 422
    assert client.get(f"{BASE}/search", headers=lead).status_code == 422
    assert client.get(f"{BASE}/search", params={"q": "hi", "language": "fr"}, headers=lead).status_code == 422
    assert client.post(f"{BASE}/entries/battery/rollback", json={"version": 0}, headers=lead).status_code == 422
    missing = client.post(f"{BASE}/entries/battery/rollback", json={"version": 7}, headers=lead)
    assert missing.status_code == 404 and error_code(missing) == "not_found"


def test_create_then_duplicate_is_409(client: TestClient, lead: dict[str, str]) -> None:
    created = client.post(f"{BASE}/entries", json=valid_new(), headers=lead)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["published_version"] is None
    assert created.json()["draft"] and created.json()["updated_by"] == "token:lead-integration"
    again = client.post(f"{BASE}/entries", json=valid_new(), headers=lead)
    assert again.status_code == 409 and error_code(again) == "already_exists"


def test_a_stale_edit_is_409_and_overwrites_nothing(client: TestClient, lead: dict[str, str]) -> None:
    other = token_for(client, Role.LEAD, "other-lead")
    entry = client.get(f"{BASE}/entries/battery", headers=lead).json()
    first = client.put(f"{BASE}/entries/battery", json=body_of(entry, category="first", base_version=1), headers=lead)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.put(f"{BASE}/entries/battery", json=body_of(entry, category="second", base_version=1), headers=other)
    assert stale.status_code == 409, stale.text
    assert error_code(stale) == "version_conflict"
    assert stale.json()["error"]["details"] == {"current_version": 2}
    assert client.get(f"{BASE}/entries/battery", headers=lead).json()["category"] == "first"


# Preview, publish, rollback ---------------------------------------------------------------------------------


def test_an_edit_is_live_after_publish_without_restart(client: TestClient, lead: dict[str, str]) -> None:
    assert bot_answer(client) == OLD_ANSWER
    edited = edit_answer(client, lead, "battery", NEW_ANSWER)
    assert edited["draft"] and edited["version"] == 2

    # A draft changes nothing for customers, but the preview shows what publishing would do.
    assert bot_answer(client) == OLD_ANSWER
    preview = client.post(f"{BASE}/preview", json={"question": QUESTION, "language": "en"}, headers=lead).json()
    assert preview["drafts"] == ["battery"]
    assert preview["now"]["hits"][0]["answer"] == OLD_ANSWER
    assert preview["after_publish"]["hits"][0]["answer"] == NEW_ANSWER

    publication = publish_and_wait(client, lead)
    assert publication["status"] == "live", publication
    assert publication["versions"]["battery"] == 2 and publication["error"] is None
    assert publication["author"] == "token:lead-integration"

    # The very next question: search, preview and the retriever the bot's actions hold.
    assert bot_answer(client) == NEW_ANSWER
    found = client.get(f"{BASE}/search", params={"q": QUESTION, "language": "en"}, headers=lead).json()
    assert found["hits"][0]["answer"] == NEW_ANSWER
    preview = client.post(f"{BASE}/preview", json={"question": QUESTION}, headers=lead).json()
    assert preview["now"]["hits"][0]["answer"] == NEW_ANSWER
    assert preview["after_publish"] is None and preview["drafts"] == []
    entry = client.get(f"{BASE}/entries/battery", headers=lead).json()
    assert (entry["published_version"], entry["draft"]) == (2, False)
    # The index on disk is the published one (a restart keeps it).
    manifest = read_manifest(runtime_retriever(client).index_dir)
    assert manifest.checksum == publication["checksum"]

    # Rolling back to the seed and publishing restores the old answer.
    rolled = client.post(f"{BASE}/entries/battery/rollback", json={"version": 1, "base_version": 2}, headers=lead)
    assert rolled.status_code == 200 and rolled.json()["version"] == 3
    versions = client.get(f"{BASE}/entries/battery/versions", headers=lead).json()
    assert [(v["version"], v["change"]) for v in versions] == [(3, "rollback"), (2, "edit"), (1, "seed")]
    assert bot_answer(client) == NEW_ANSWER  # until published
    assert publish_and_wait(client, lead)["status"] == "live"
    assert bot_answer(client) == OLD_ANSWER


def test_disabling_takes_an_entry_out_of_the_answers(client: TestClient, lead: dict[str, str]) -> None:
    disabled = client.post(f"{BASE}/entries/invoice/disable", headers=lead)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert runtime_retriever(client).entry("invoice") is not None  # until published
    assert publish_and_wait(client, lead)["status"] == "live"
    assert runtime_retriever(client).entry("invoice") is None
    found = client.get(f"{BASE}/search", params={"q": "How do I get an invoice?"}, headers=lead).json()
    assert "invoice" not in [h["id"] for h in found["hits"]]
    enabled = client.post(f"{BASE}/entries/invoice/enable", json={"base_version": 2}, headers=lead)
    assert enabled.status_code == 200 and enabled.json()["version"] == 3


def test_a_new_entry_answers_after_publish(client: TestClient, lead: dict[str, str]) -> None:
    assert client.post(f"{BASE}/entries", json=valid_new(), headers=lead).status_code == 201
    assert runtime_retriever(client).entry("gift-wrap") is None
    assert publish_and_wait(client, lead)["status"] == "live"
    assert runtime_retriever(client).search("Can you gift-wrap my order?", "en").hits[0].entry.id == "gift-wrap"


def test_a_failed_build_keeps_the_old_index(
    client: TestClient, lead: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_answer(client, lead, "battery", NEW_ANSWER)
    manifest_before = read_manifest(runtime_retriever(client).index_dir)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the embedding model crashed")

    monkeypatch.setattr(publisher_module, "build_retriever", broken)
    publication = publish_and_wait(client, lead)
    assert publication["status"] == "failed"
    assert "the embedding model crashed" in publication["error"]
    assert bot_answer(client) == OLD_ANSWER
    assert read_manifest(runtime_retriever(client).index_dir) == manifest_before
    entry = client.get(f"{BASE}/entries/battery", headers=lead).json()
    assert (entry["published_version"], entry["draft"]) == (1, True)  # still waiting to be published

    monkeypatch.undo()
    assert publish_and_wait(client, lead)["status"] == "live"  # the lock was released
    assert bot_answer(client) == NEW_ANSWER
    statuses = [p["status"] for p in client.get(f"{BASE}/publications", headers=lead).json()]
    assert statuses == ["live", "failed"]


@pytest.fixture
def held_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A publication's build waits until the test sets the event (set at the end in any case)."""
    release = threading.Event()
    real_build = publisher_module.build_retriever

    def slow(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(60)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(publisher_module, "build_retriever", slow)
    yield release
    release.set()


def test_one_publication_at_a_time(client: TestClient, lead: dict[str, str], held_build: threading.Event) -> None:
    release = held_build
    edit_answer(client, lead, "battery", NEW_ANSWER)
    first = client.post(f"{BASE}/publish", headers=lead)
    assert first.status_code == 202
    # Conversations and the console go on while it builds.
    assert client.get(f"{BASE}/search", params={"q": QUESTION}, headers=lead).status_code == 200
    assert bot_answer(client) == OLD_ANSWER
    second = client.post(f"{BASE}/publish", headers=lead)
    assert second.status_code == 409 and error_code(second) == "publish_in_progress"
    assert "already building" in second.json()["error"]["message"]
    release.set()
    assert wait_for(client, lead, first.json()["id"])["status"] == "live"
    assert bot_answer(client) == NEW_ANSWER


def test_export_is_the_seed_format(client: TestClient, lead: dict[str, str], tmp_path: Path) -> None:
    edit_answer(client, lead, "battery", NEW_ANSWER)
    client.post(f"{BASE}/entries/invoice/disable", headers=lead)
    response = client.get(f"{BASE}/export", headers=lead)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-yaml")
    assert response.headers["content-disposition"].startswith("attachment")
    assert set(yaml.safe_load(response.text)) == {"entries"}
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "faq.yml").write_bytes(response.content)
    entries = load_entries(tmp_path / "exported")
    assert [e.id for e in entries] == [e.id for e in ENTRIES]
    assert entries[0].answer["en"] == NEW_ANSWER and entries[2].enabled is False


# Start-up ----------------------------------------------------------------------------------------------------


def make_app(tmp_path: Path, embedder: HashingEmbedder) -> TestClient:
    """A second app over the `client` fixture's database, index and seed files."""
    return TestClient(build_app(tmp_path, embedder=embedder), raise_server_exceptions=False)


def test_start_rebuilds_an_index_that_lacks_the_published_edits(
    client: TestClient, lead: dict[str, str], tmp_path: Path
) -> None:
    edit_answer(client, lead, "battery", NEW_ANSWER)
    published = publish_and_wait(client, lead)
    # `make` rebuilds the index from the seed files: the published edit is not in it.
    save_index(build_retriever(ENTRIES, HashingEmbedder()), tmp_path / "index")
    assert read_manifest(tmp_path / "index").checksum != published["checksum"]

    with make_app(tmp_path, HashingEmbedder()) as second:
        assert bot_answer(second) == NEW_ANSWER
        assert read_manifest(tmp_path / "index").checksum == published["checksum"]
        # Seeding happens once: the database kept its entries and history.
        assert services_of(second).knowledge.get("battery").version == 2

    # When the index matches, a start loads it as it is.
    built_at = read_manifest(tmp_path / "index").built_at
    with make_app(tmp_path, HashingEmbedder()) as third:
        assert bot_answer(third) == NEW_ANSWER
    assert read_manifest(tmp_path / "index").built_at == built_at


def test_one_publication_at_a_time_across_replicas(
    client: TestClient, lead: dict[str, str], held_build: threading.Event, tmp_path: Path
) -> None:
    """Another replica (a second app over the same database) neither publishes while this one builds
    (the `knowledge-publish` lease) nor, starting meanwhile, fails the publication being built."""
    release = held_build
    edit_answer(client, lead, "battery", NEW_ANSWER)
    first = client.post(f"{BASE}/publish", headers=lead)
    assert first.status_code == 202
    try:
        with make_app(tmp_path, HashingEmbedder()) as other:
            assert wait_for_status(other, lead, first.json()["id"]) == "building"  # not failed by its start
            second = other.post(f"{BASE}/publish", headers=lead)
            assert second.status_code == 409 and error_code(second) == "publish_in_progress", second.text
    finally:
        release.set()
    assert wait_for(client, lead, first.json()["id"])["status"] == "live"


def wait_for_status(client: TestClient, headers: dict[str, str], publication_id: int) -> str:
    return str(client.get(f"{BASE}/publications/{publication_id}", headers=headers).json()["status"])


def test_reload_picks_up_a_new_index_at_once(client: TestClient, tmp_path: Path) -> None:
    retriever = runtime_retriever(client)
    assert bot_answer(client) == OLD_ANSWER
    changed = [
        e.model_copy(update={"answer": {"en": NEW_ANSWER, "zh": "两年"}}) if e.id == "battery" else e for e in ENTRIES
    ]
    manifest = save_index(build_retriever(changed, HashingEmbedder()), tmp_path / "index")
    retriever.reload()
    assert retriever.manifest == manifest
    assert bot_answer(client) == NEW_ANSWER
    assert entries_checksum(changed) == manifest.checksum
