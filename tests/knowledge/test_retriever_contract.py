"""The contract every retriever meets: the hashing test embedder and the real MiniLM both pass it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from knowledge.abstention import Decision, Thresholds
from knowledge.calibration import Calibration
from knowledge.embedder import Embedder
from knowledge.entries import FaqEntry
from knowledge.index import IndexUnavailable, build_retriever, load_retriever, read_manifest, save_index
from knowledge.live import LiveRetriever
from knowledge.retriever import HybridRetriever, Retriever
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder


def entry(id_: str, zh: list[str], en: list[str], answer: str) -> FaqEntry:
    return FaqEntry(
        id=id_, category="test", section="P0", questions={"zh": zh, "en": en}, answer={"zh": answer, "en": answer}
    )


ENTRIES = [
    entry(
        "battery",
        ["电池保修多久", "电池坏了能保修吗", "电池质保期多长"],
        ["How long is the battery warranty?", "Is the battery covered?"],
        "battery: 1 year",
    ),
    entry(
        "shipping-fee",
        ["运费多少钱", "包邮吗", "满多少包邮"],
        ["How much is shipping?", "Is delivery free?"],
        "free over 99",
    ),
    entry(
        "invoice",
        ["怎么开发票", "电子发票在哪下载", "发票什么时候开"],
        ["How do I get an invoice?", "Where can I download the invoice?"],
        "invoice in 3 days",
    ),
    entry(
        "refund-time",
        ["退款多久到账", "钱什么时候退回来", "微信退款几天"],
        ["How long does a refund take?", "When will I get my money back?"],
        "1-3 working days",
    ),
]


def real_embedder() -> Embedder:
    from knowledge.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(HashingEmbedder, id="hashing"),
        pytest.param(real_embedder, id="minilm", marks=pytest.mark.integration),
    ],
)
def retriever(request: pytest.FixtureRequest) -> HybridRetriever:
    thresholds = Thresholds(answer=0.5, margin=0.1, clarify=0.2)
    return build_retriever(ENTRIES, request.param(), Calibration({"zh": thresholds, "en": thresholds}))


def test_satisfies_the_protocol(retriever: HybridRetriever) -> None:
    assert isinstance(retriever, Retriever)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("电池能保修几年", "battery"),
        ("运费怎么算", "shipping-fee"),
        ("How long is the warranty on the battery", "battery"),
        ("where do I download my invoice", "invoice"),
        ("退款要几天", "refund-time"),
    ],
)
def test_ranks_the_right_entry_first(retriever: HybridRetriever, query: str, expected: str) -> None:
    result = retriever.search(query, k=3)
    assert result.top is not None and result.top.entry.id == expected
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in result.hits)
    assert set(result.top.signals) == {"dense", "lexical", "supervised"}


def test_empty_query_abstains(retriever: HybridRetriever) -> None:
    assert retriever.search("   ").decision == Decision.ABSTAIN


def test_entry_lookup(retriever: HybridRetriever) -> None:
    assert retriever.entry("invoice") is not None
    assert retriever.entry("nope") is None


def test_saved_index_has_a_manifest_and_loads_to_the_same_ranking(retriever: HybridRetriever, tmp_path: Path) -> None:
    manifest = save_index(retriever, tmp_path / "index")
    on_disk = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert on_disk["entries"] == 4 and on_disk["dimension"] == manifest.dimension
    assert on_disk["model"] == retriever.embedder.name and len(on_disk["checksum"]) == 64
    loaded = load_retriever(tmp_path / "index", retriever.embedder)
    query = "发票在哪里下载"
    assert [h.entry.id for h in loaded.search(query).hits] == [h.entry.id for h in retriever.search(query).hits]


def test_tampered_entries_are_refused(retriever: HybridRetriever, tmp_path: Path) -> None:
    save_index(retriever, tmp_path / "index")
    path = tmp_path / "index" / "entries.json"
    path.write_text(path.read_text().replace("free over 99", "free over 9"))
    with pytest.raises(IndexUnavailable, match="checksum"):
        load_retriever(tmp_path / "index", retriever.embedder)


def test_live_retriever_swaps_in_a_rebuilt_index_without_restart(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    save_index(build_retriever(ENTRIES, embedder), tmp_path / "index")
    live = LiveRetriever(KnowledgeSettings(index_dir=tmp_path / "index", reload_interval=0.0), embedder=embedder)
    assert live.search("运费多少").top.entry.answer["zh"] == "free over 99"  # type: ignore[union-attr]
    changed = [
        e if e.id != "shipping-fee" else e.model_copy(update={"answer": {"zh": "免运费", "en": "free"}})
        for e in ENTRIES
    ]
    before = read_manifest(tmp_path / "index").checksum
    time.sleep(0.01)
    save_index(build_retriever(changed, embedder), tmp_path / "index")
    assert read_manifest(tmp_path / "index").checksum != before
    assert live.search("运费多少").top.entry.answer["zh"] == "免运费"  # type: ignore[union-attr]


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="python -m knowledge build"):
        read_manifest(tmp_path / "nothing")


def test_live_retriever_keeps_serving_when_the_index_vanishes_mid_swap(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    save_index(build_retriever(ENTRIES, embedder), tmp_path / "index")
    live = LiveRetriever(KnowledgeSettings(index_dir=tmp_path / "index", reload_interval=0.0), embedder=embedder)
    assert live.search("运费多少").top is not None
    (tmp_path / "index").rename(tmp_path / "elsewhere")
    assert live.search("运费多少").top.entry.id == "shipping-fee"  # type: ignore[union-attr]
