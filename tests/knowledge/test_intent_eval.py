"""The evaluation harness: metrics by hand, `eval-intents` and `eval-faq` end to end with the
hashing test embedder on tiny synthetic data sets written in tmp_path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from knowledge.cli import main
from knowledge.datasets import OOS
from knowledge.faq_eval import Thread, evaluate_faq, thread_entries
from knowledge.intent_eval import IntentRun, stratified_folds
from knowledge.intent_metrics import METRIC_KEYS, THRESHOLDS, Prediction, Row, best_by_mcc, metrics_at, sweep
from tests.knowledge.fakes import HashingEmbedder

# gold, top label, confidence. At 0.5: A ✓, B ✗, OOS ✗ (0.4 < 0.5), B ✓, OOS ✓, B ✗.
SIX = [
    Prediction("A", "A", 0.9),
    Prediction("A", "B", 0.8),
    Prediction("B", "B", 0.4),
    Prediction("B", "B", 0.7),
    Prediction(OOS, "A", 0.3),
    Prediction(OOS, "B", 0.6),
]


def test_metrics_on_a_hand_computed_example() -> None:
    row = metrics_at(SIX, 0.5)
    assert row["threshold"] == 0.5
    assert row["accuracy"] == 0.5  # 3 / 6
    assert row["inscope_accuracy"] == 0.5  # 2 / 4
    assert row["oos_recall"] == 0.5  # 1 / 2
    # Confusion (rows gold A, B, OOS): [1 1 0], [0 1 1], [0 1 1]; c = 3, s = 6, t = (2, 2, 2), p = (1, 3, 2):
    # (3·6 − 12) / √((36 − 14)(36 − 12)) = 6 / √528
    assert row["mcc"] == pytest.approx(6 / 528**0.5, abs=1e-4)
    # F1 per class: A 2/3, B 0.4, OOS 0.5, equal support
    assert row["weighted_f1"] == pytest.approx((2 / 3 + 0.4 + 0.5) / 3, abs=1e-4)

    low = metrics_at(SIX, 0.1)
    assert (low["accuracy"], low["inscope_accuracy"], low["oos_recall"]) == (0.5, 0.75, 0.0)


def test_oos_recall_is_none_without_out_of_scope_queries() -> None:
    row = metrics_at([Prediction("A", "A", 0.9), Prediction("B", "A", 0.9)], 0.5)
    assert row["oos_recall"] is None
    assert row["accuracy"] == 0.5 and row["mcc"] == 0.0


def test_sweep_covers_0_1_to_0_9_and_ties_go_to_the_lowest_threshold() -> None:
    rows = sweep(SIX)
    assert [r["threshold"] for r in rows] == list(THRESHOLDS) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    tied: list[Row] = [{"threshold": 0.3, "mcc": 0.5}, {"threshold": 0.2, "mcc": 0.5}, {"threshold": 0.4, "mcc": 0.1}]
    assert best_by_mcc(tied)["threshold"] == 0.2


def test_stratified_folds_spread_every_label() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    folds = stratified_folds(labels, 5, seed=1)
    assert sorted(folds[:10].tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert sorted(folds[10:15].tolist()) == [0, 1, 2, 3, 4]


TOPICS = {
    "refund": ("refund", "money back", "reimburse"),
    "delivery": ("delivery", "shipping", "courier"),
    "warranty": ("warranty", "guarantee", "repair"),
    "invoice": ("invoice", "receipt", "bill"),
    "password": ("password", "login", "account access"),
    "size": ("size", "dimensions", "measurements"),
}
FRAMES = ("how does {} work", "question about {}", "tell me about {} please", "i need help with {}")
OUT_OF_SCOPE = ("what is the weather today", "play some jazz music", "who won the football match", "tell me a joke")


def utterances(frames: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(frame.format(word), label) for label, words in TOPICS.items() for word in words for frame in frames]


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence", "label"])
        writer.writerows(rows)
    return path


def test_eval_intents_end_to_end_chooses_without_the_test_set(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", utterances(FRAMES[:3]))
    test_a = write_csv(tmp_path / "a.csv", utterances(FRAMES[3:]) + [(q, "NO_NODES_DETECTED") for q in OUT_OF_SCOPE])
    test_b = write_csv(tmp_path / "b.csv", utterances(("{} is my issue",)))
    results = []
    for test in (test_a, test_b):
        out = tmp_path / f"{test.stem}.json"
        argv = ["eval-intents", "--train", str(train), "--test", str(test), "--json", str(out), "--folds", "3"]
        assert main(argv, embedder=HashingEmbedder()) == 0
        results.append(json.loads(out.read_text(encoding="utf-8")))
    first, second = results
    assert {"sweep", "chosen", "n_test", "n_oos", "seconds"} <= set(first)
    assert [r["threshold"] for r in first["sweep"]] == list(THRESHOLDS)
    for row in [*first["sweep"], first["chosen"]]:
        assert set(METRIC_KEYS) <= set(row)
        for key in METRIC_KEYS[1:]:
            assert row[key] is None or 0.0 <= row[key] <= 1.0 or key == "mcc"
    assert first["n_test"] == 18 + 4 and first["n_oos"] == 4
    assert second["n_oos"] == 0 and second["chosen"]["oos_recall"] is None
    assert "cross-validation" in first["chosen_by"]
    # The choice depends on the training data only.
    assert first["chosen"]["threshold"] == second["chosen"]["threshold"]
    assert first["selection"] == second["selection"]
    assert first["chosen"]["inscope_accuracy"] >= 0.5  # the hashing embedder and BM25 find these topics
    assert set(first["decisions"]) == {"answer", "clarify", "abstain"}


def test_eval_intents_chooses_on_a_clinc_validation_split(tmp_path: Path) -> None:
    clinc = {
        "train": [list(row) for row in utterances(FRAMES[:3])],
        "val": [list(row) for row in utterances(FRAMES[3:])],
        "oos_val": [[q, "oos"] for q in OUT_OF_SCOPE],
        "test": [list(row) for row in utterances(("{} is my issue",))],
        "oos_test": [[q + " now", "oos"] for q in OUT_OF_SCOPE],
    }
    path = tmp_path / "clinc.json"
    path.write_text(json.dumps(clinc), encoding="utf-8")
    out = tmp_path / "out.json"
    argv = ["eval-intents", "--train", str(path), "--val", str(path), "--test", str(path), "--json", str(out)]
    assert main(argv, embedder=HashingEmbedder()) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["chosen_by"].startswith("validation")
    assert result["n_test"] == 18 + 4 and result["n_oos"] == 4
    assert len(result["selection"]["sweep"]) == 9


THREADS = [
    Thread("How do I delete my account?", ["Go to settings and press delete account."], ["remove my profile"]),
    Thread("Strikethrough text in markdown", ["Use ~~tildes~~ around the words."], ["cross out words markdown"]),
    Thread("Reset a forgotten password", ["Click forgot password on the login page."], ["forgot my password"]),
]


def test_faq_entries_index_the_chosen_fields_but_never_the_rephrasings() -> None:
    both = thread_entries(THREADS)
    assert both[0].questions["en"] == ["How do I delete my account?", "Go to settings and press delete account."]
    assert thread_entries(THREADS, ["question"])[1].questions["en"] == ["Strikethrough text in markdown"]
    indexed = {text for entry in both for _, text in entry.phrasings()}
    assert not indexed & {r for t in THREADS for r in t.rephrasings}
    with pytest.raises(ValueError, match="fields must be among"):
        thread_entries(THREADS, ["rephr"])


def test_eval_faq_metrics(tmp_path: Path) -> None:
    result = evaluate_faq(THREADS, IntentRun(embedder=HashingEmbedder()))
    assert result["n_queries"] == 3 and result["leaked_queries"] == 0
    assert result["map"] == result["mrr"]
    assert isinstance(result["p_at_1"], float) and isinstance(result["mrr"], float)
    assert 1 / 3 <= result["mrr"] <= 1.0
    assert result["p_at_5"] == 1.0  # three threads: every relevant thread is in the top 5
    assert result["p_at_1"] <= result["mrr"]


def test_eval_faq_cli_reads_the_stackfaq_structure(tmp_path: Path) -> None:
    document = {
        "root": {
            "qapair": [
                {"rephr": [*t.rephrasings, "*"], "question": t.question, "answer": t.answers[0]} for t in THREADS
            ]
        }
    }
    data = tmp_path / "faq.json"
    data.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["eval-faq", "--data", str(data), "--json", str(out)], embedder=HashingEmbedder()) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["n_threads"] == 3 and result["n_queries"] == 3  # the "*" placeholders are skipped
    assert {"map", "mrr", "p_at_1", "p_at_5"} <= set(result)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"root": {}}), encoding="utf-8")
    assert main(["eval-faq", "--data", str(bad)], embedder=HashingEmbedder()) == 2
