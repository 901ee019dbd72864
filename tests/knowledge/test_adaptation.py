"""Adapting the embedding model: pairs and batches by hand, then a real (tiny) fine-tuning of the
bundled MiniLM: reproducible, saved with its manifest, picked up by the settings, and an index built
with another model refused."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from knowledge.adaptation import (
    AdaptationConfig,
    AdaptationError,
    fine_tune,
    label_distinct_batches,
    read_adaptation,
    training_pairs,
)
from knowledge.cli import main
from knowledge.embedder import SentenceTransformerEmbedder, default_model_path
from knowledge.index import IndexUnavailable, load_retriever, save_index
from knowledge.settings import KnowledgeSettings
from tests.knowledge.fakes import HashingEmbedder

GROUPS = {
    "refund": ["How long does a refund take?", "When do I get my money back?", "refund timing"],
    "invoice": ["How do I get an invoice?", "Where is my VAT invoice?"],
    "warranty": ["How long is the warranty?", "Is the battery covered by warranty?"],
    "single": ["only one phrasing"],
}


def test_pairs_are_two_phrasings_of_one_label_and_each_phrasing_anchors_every_round() -> None:
    pairs = training_pairs(GROUPS, AdaptationConfig(rounds=3, seed=1))
    assert len(pairs) == 3 * (3 + 2 + 2)  # the single-phrasing label gives none
    for label, anchor, positive in pairs:
        assert anchor != positive
        assert anchor in GROUPS[label] and positive in GROUPS[label]
    assert Counter(anchor for _, anchor, _ in pairs) == Counter(
        {text: 3 for label, texts in GROUPS.items() if label != "single" for text in texts}
    )
    assert training_pairs(GROUPS, AdaptationConfig(rounds=3, seed=1)) == pairs
    assert training_pairs(GROUPS, AdaptationConfig(rounds=3, seed=2)) != pairs
    assert len(training_pairs(GROUPS, AdaptationConfig(rounds=3, max_pairs=5))) == 5


def test_batches_never_hold_two_pairs_of_one_label() -> None:
    pairs = training_pairs(GROUPS, AdaptationConfig(rounds=4, seed=3))
    batches = label_distinct_batches(pairs, batch_size=32)
    # Three labels with pairs: a batch closes at three, never mixes a label twice.
    assert all(2 <= len(batch) <= 3 for batch in batches)
    label_of = {text: label for label, texts in GROUPS.items() for text in texts}
    for batch in batches:
        labels = [label_of[anchor] for anchor, _ in batch]
        assert len(labels) == len(set(labels))
    kept = sum(len(b) for b in batches)
    # Only batches left with a single pair are dropped: the surplus of the label with most phrasings.
    assert kept >= 0.8 * len(pairs)
    assert all(len(b) == 2 for b in label_distinct_batches(pairs, batch_size=2))


def test_adaptation_needs_two_labels_with_two_phrasings() -> None:
    with pytest.raises(AdaptationError):
        fine_tune(str(default_model_path()), {"a": ["x", "y"], "b": ["z"]})


@pytest.mark.integration
def test_fine_tuning_is_reproducible_and_pulls_a_label_together() -> None:
    config = AdaptationConfig(rounds=2, batch_size=3, learning_rate=3e-4, seed=5)
    model, counts = fine_tune(str(default_model_path()), GROUPS, config)
    again, _ = fine_tune(str(default_model_path()), GROUPS, config)
    assert counts["labels"] == 3 and counts["steps"] > 0
    texts = ["When do I get my money back?", "refund timing", "Where is my VAT invoice?"]
    adapted = model.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(adapted, again.encode(texts, normalize_embeddings=True), atol=1e-5)
    base = SentenceTransformerEmbedder().encode(texts)
    # Two phrasings of "refund" end closer together, relative to an "invoice" one, than before.
    gap_before = base[0] @ base[1] - base[1] @ base[2]
    gap_after = adapted[0] @ adapted[1] - adapted[1] @ adapted[2]
    assert gap_after > gap_before


@pytest.mark.integration
def test_adapt_command_saves_a_model_the_settings_pick_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "kb.yml").write_text(
        json.dumps(
            {
                "entries": [
                    {
                        "id": label,
                        "category": "test",
                        "questions": {"en": texts, "zh": ["中文问题"]},
                        "answer": {"en": f"{label} answer"},
                    }
                    for label, texts in GROUPS.items()
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "adapted"
    code = main(["adapt", "--faq-dir", str(faq), "--out", str(out), "--no-build", "--rounds", "1", "--seed", "7"])
    assert code == 0
    manifest = read_adaptation(out)
    assert manifest is not None
    assert manifest.labels == 3 and manifest.config["seed"] == 7 and manifest.config["rounds"] == 1
    assert "adapted to" in manifest.name
    assert SentenceTransformerEmbedder(out).name == manifest.name

    settings = KnowledgeSettings(adapted_model_dir=out)
    assert settings.model_in_use() == str(out)
    assert KnowledgeSettings(adapted_model_dir=tmp_path / "none").model_in_use() is None
    assert KnowledgeSettings(adapted_model_dir=out, embedding_model="other").model_in_use() == "other"


def test_an_index_built_with_another_model_is_refused(tmp_path: Path) -> None:
    from knowledge.entries import load_entries
    from knowledge.index import build_retriever
    from knowledge.settings import PACKAGE_DIR

    entries = load_entries(PACKAGE_DIR / "faq")[:5]
    save_index(build_retriever(entries, HashingEmbedder()), tmp_path / "index")

    class Renamed(HashingEmbedder):
        name = "another model"

    with pytest.raises(IndexUnavailable, match="built with"):
        load_retriever(tmp_path / "index", Renamed())
    assert load_retriever(tmp_path / "index", HashingEmbedder()).entries
