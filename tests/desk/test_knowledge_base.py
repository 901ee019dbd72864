"""The live knowledge base: seeding, versions, rollback, conflicts, drafts, publications, export."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.knowledge_base import (
    EntryExists,
    InvalidEntry,
    KnowledgeBase,
    KnowledgeNotFound,
    VersionConflict,
    entry_from,
)
from desk.models import KnowledgeRevision
from knowledge.entries import FaqEntry, entries_checksum, load_entries
from tests.knowledge.test_retriever_contract import ENTRIES

LEAD = "user:lead"
OTHER = "user:other-lead"


@pytest.fixture
def kb(sessions: sessionmaker[Session]) -> KnowledgeBase:
    base = KnowledgeBase(sessions, AuditLog(sessions))
    assert base.seed(ENTRIES) == len(ENTRIES)
    return base


def edited(entry: FaqEntry, **changes: object) -> FaqEntry:
    return entry.model_copy(update=changes)


def new_entry(id_: str = "gift-wrap") -> FaqEntry:
    return FaqEntry(
        id=id_,
        category="orders",
        section="P5",
        questions={"zh": ["可以礼品包装吗"], "en": ["Can you gift-wrap it?"]},
        answer={"zh": "可以，下单时选择礼品包装。", "en": "Yes, choose gift wrap at checkout."},
    )


def test_seed_is_version_one_published_in_file_order(kb: KnowledgeBase, sessions: sessionmaker[Session]) -> None:
    views = kb.entries()
    assert [v.id for v in views] == [e.id for e in ENTRIES]
    assert all(v.version == 1 and v.published_version == 1 and not v.draft for v in views)
    assert all(v.updated_by == "seed" for v in views)
    assert kb.published_entries() == ENTRIES == kb.current_entries()
    # The published checksum is what `python -m knowledge build` writes for the same files.
    assert entries_checksum(kb.published_entries()) == entries_checksum(ENTRIES)
    revisions = kb.revisions("battery")
    assert [(r.version, r.change, r.author, r.current, r.published) for r in revisions] == [
        (1, "seed", "seed", True, True)
    ]
    assert kb.seed(ENTRIES) == 0  # only an empty knowledge base is seeded
    assert len(kb.entries()) == len(ENTRIES)
    assert [a.action for a in AuditLog(sessions).recent()] == ["knowledge.seed"]


def test_edit_makes_a_draft_version_with_author_and_audit(kb: KnowledgeBase, sessions: sessionmaker[Session]) -> None:
    battery = kb.get("battery")
    view = kb.update("battery", edited(battery.entry, answer={"en": "2 years", "zh": "两年"}), 1, LEAD)
    assert (view.version, view.published_version, view.draft, view.updated_by) == (2, 1, True, LEAD)
    assert view.entry.answer == {"en": "2 years", "zh": "两年"}
    assert [d.id for d in kb.drafts()] == ["battery"]
    # Published is still the seed; current is the edit.
    assert next(e for e in kb.published_entries() if e.id == "battery").answer["en"] == "battery: 1 year"
    assert next(e for e in kb.current_entries() if e.id == "battery").answer["en"] == "2 years"
    revisions = kb.revisions("battery")
    assert [(r.version, r.change, r.author) for r in revisions] == [(2, "edit", LEAD), (1, "seed", "seed")]
    assert revisions[0].current and not revisions[0].published and revisions[1].published
    audit = AuditLog(sessions).recent(action="knowledge.edit")
    assert [(a.actor, a.target, a.details) for a in audit] == [(LEAD, "faq:battery", {"version": 2})]


def test_an_edit_based_on_an_old_version_is_a_conflict(kb: KnowledgeBase) -> None:
    battery = kb.get("battery").entry
    kb.update("battery", edited(battery, category="first"), 1, LEAD)
    with pytest.raises(VersionConflict) as refused:
        kb.update("battery", edited(battery, category="second"), 1, OTHER)
    assert refused.value.current_version == 2
    assert "version 1" in str(refused.value) and "version 2" in str(refused.value)
    assert kb.get("battery").entry.category == "first"  # nothing overwritten
    assert len(kb.revisions("battery")) == 2


def test_of_two_concurrent_edits_exactly_one_wins(kb: KnowledgeBase) -> None:
    battery = kb.get("battery").entry
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(category: str) -> None:
        barrier.wait()
        try:
            kb.update("battery", edited(battery, category=category), 1, LEAD)
            outcomes.append("saved")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(c,)) for c in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert kb.get("battery").version == 2


def test_unchanged_content_makes_no_version(kb: KnowledgeBase) -> None:
    view = kb.update("battery", kb.get("battery").entry, 1, LEAD)
    assert view.version == 1 and not view.draft


def test_disable_enable_and_rollback(kb: KnowledgeBase) -> None:
    original = kb.get("invoice").entry
    kb.update("invoice", edited(original, answer={"en": "new text"}), 1, LEAD)
    disabled = kb.disable("invoice", LEAD)
    assert (disabled.version, disabled.entry.enabled) == (3, False)
    assert kb.disable("invoice", LEAD).version == 3  # already disabled: no new version
    assert kb.entries(status="disabled")[0].id == "invoice"
    enabled = kb.enable("invoice", OTHER, base_version=3)
    assert (enabled.version, enabled.entry.enabled) == (4, True)
    with pytest.raises(VersionConflict):
        kb.disable("invoice", LEAD, base_version=3)

    rolled = kb.rollback("invoice", 1, OTHER)
    assert rolled.version == 5 and rolled.entry == original
    revisions = kb.revisions("invoice")
    assert [r.change for r in revisions] == ["rollback", "enable", "disable", "edit", "seed"]
    assert revisions[0].author == OTHER
    # History is never rewritten: version 2 still holds the edit.
    assert revisions[3].entry.answer == {"en": "new text"}
    # Back to the published content, so no longer a draft in substance, but a new version all the same.
    assert kb.get("invoice").draft
    with pytest.raises(KnowledgeNotFound):
        kb.rollback("invoice", 99, LEAD)
    with pytest.raises(VersionConflict):
        kb.rollback("invoice", 2, LEAD, base_version=4)


def test_create_refuses_a_taken_id_and_starts_unpublished(kb: KnowledgeBase) -> None:
    with pytest.raises(EntryExists, match="battery"):
        kb.create(edited(new_entry(), id="battery"), LEAD)
    view = kb.create(new_entry(), LEAD)
    assert (view.version, view.published_version, view.draft) == (1, None, True)
    assert [r.change for r in kb.revisions("gift-wrap")] == ["create"]
    assert "gift-wrap" not in [e.id for e in kb.published_entries()]
    assert kb.current_entries()[-1].id == "gift-wrap"  # new entries come after the seed
    with pytest.raises(EntryExists):
        kb.create(new_entry(), OTHER)


def test_unknown_entries_and_mismatched_ids_are_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeNotFound):
        kb.get("nope")
    with pytest.raises(KnowledgeNotFound):
        kb.update("nope", edited(new_entry(), id="nope"), 1, LEAD)
    with pytest.raises(InvalidEntry, match="ids cannot be changed"):
        kb.update("battery", new_entry(), 1, LEAD)
    with pytest.raises(KnowledgeNotFound):
        kb.revisions("nope")


def test_entry_from_untrusted_data_says_what_is_wrong() -> None:
    with pytest.raises(InvalidEntry, match="id"):
        entry_from({"id": "Bad Id!", "category": "x", "questions": {"en": ["q"]}, "answer": {"en": "a"}})
    with pytest.raises(InvalidEntry, match="at least one question"):
        entry_from({"id": "ok-id", "category": "x", "questions": {"en": ["  "]}, "answer": {"en": "a"}})
    with pytest.raises(InvalidEntry, match="answer"):
        entry_from({"id": "ok-id", "category": "x", "questions": {"en": ["q"]}, "answer": {}})
    with pytest.raises(InvalidEntry):
        entry_from({"id": "ok-id", "category": "x", "questions": {"fr": ["q"]}, "answer": {"en": "a"}})
    assert isinstance(InvalidEntry("x"), ValueError)


def test_text_filter(kb: KnowledgeBase) -> None:
    assert [v.id for v in kb.entries("INVOICE")] == ["invoice"]
    assert [v.id for v in kb.entries("包邮")] == ["shipping-fee"]
    assert [v.id for v in kb.entries("1-3 working")] == ["refund-time"]
    assert kb.entries("no such words") == []


def test_publication_makes_the_taken_versions_published(kb: KnowledgeBase, sessions: sessionmaker[Session]) -> None:
    battery = kb.get("battery").entry
    kb.update("battery", edited(battery, answer={"en": "2 years"}), 1, LEAD)
    kb.create(new_entry(), LEAD)
    publication, snapshot = kb.start_publication(LEAD)
    assert publication.status == "building" and publication.author == LEAD
    assert snapshot.versions == {"battery": 2, "shipping-fee": 1, "invoice": 1, "refund-time": 1, "gift-wrap": 1}
    assert [e.id for e in snapshot.entries][-1] == "gift-wrap"
    # An edit while it builds stays a draft afterwards.
    kb.update("invoice", edited(kb.get("invoice").entry, category="late"), 1, OTHER)
    live = kb.finish_publication(publication.id, "abc123")
    assert (live.status, live.checksum) == ("live", "abc123") and live.finished_at is not None
    assert [d.id for d in kb.drafts()] == ["invoice"]
    assert kb.get("battery").published_version == 2
    published = {e.id: e for e in kb.published_entries()}
    assert published["battery"].answer == {"en": "2 years"}
    assert published["invoice"].category == "test"  # version 1, not the edit made meanwhile
    assert "gift-wrap" in published
    assert kb.last_publication() == live
    actions = [a.action for a in AuditLog(sessions).recent()]
    assert {"knowledge.publish", "knowledge.publish_live"} <= set(actions)


def test_failed_and_interrupted_publications(kb: KnowledgeBase) -> None:
    kb.update("battery", edited(kb.get("battery").entry, category="x"), 1, LEAD)
    first, _ = kb.start_publication(LEAD)
    failed = kb.fail_publication(first.id, "RuntimeError: out of memory")
    assert (failed.status, failed.error) == ("failed", "RuntimeError: out of memory")
    assert kb.get("battery").published_version == 1  # nothing published
    second, _ = kb.start_publication(LEAD)
    assert kb.fail_unfinished("stopped") == [second.id]
    assert [p.status for p in kb.publications()] == ["failed", "failed"]
    with pytest.raises(KnowledgeNotFound):
        kb.publication(999)


def test_export_round_trips_through_the_seed_format(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.update("battery", edited(kb.get("battery").entry, answer={"en": '两年 / 2 years: "quoted" & <b>'}), 1, LEAD)
    kb.disable("invoice", LEAD)
    kb.create(new_entry(), LEAD)
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "export.yml").write_text(kb.export(), encoding="utf-8")
    loaded = load_entries(tmp_path / "faq")
    assert loaded == kb.current_entries()
    assert next(e for e in loaded if e.id == "invoice").enabled is False
    # And a knowledge base seeded from the export holds the same entries.
    assert loaded[-1].id == "gift-wrap"


def test_revisions_are_never_changed(kb: KnowledgeBase, sessions: sessionmaker[Session]) -> None:
    kb.update("battery", edited(kb.get("battery").entry, category="x"), 1, LEAD)
    kb.rollback("battery", 1, LEAD)
    with sessions() as session:
        rows = session.scalars(
            select(KnowledgeRevision).where(KnowledgeRevision.entry_id == "battery").order_by(KnowledgeRevision.version)
        ).all()
        assert [(r.version, r.content["category"]) for r in rows] == [(1, "test"), (2, "x"), (3, "test")]
