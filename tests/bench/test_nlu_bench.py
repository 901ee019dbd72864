"""`bench.nlu`: the Rasa project files without Rasa, and one quick real run when Rasa is installed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from bench.nlu import DEFAULT_RASA_VENV, clean_example, cv_splits, main, sanitise_intents, write_project
from knowledge.datasets import OOS

INTENTS = {
    "refund request": ["i want my money back", "refund please", "how do i get a refund", "return and refund",
                       "money back now", "refund my order", "get a refund", "refund status"],
    "delivery/status": ["where is my parcel", "delivery is late", "track my order", "when will it arrive",
                        "shipping status", "parcel not delivered", "delivery time", "order tracking"],
    "warranty": ["is it under warranty", "warranty claim", "warranty period", "broken under warranty",
                 "extend the warranty", "warranty card", "warranty repair", "how long is the warranty"],
}  # fmt: skip


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence", "label"])
        writer.writerows(rows)
    return path


def test_intent_names_are_sanitised_unique_and_not_reserved() -> None:
    names = sanitise_intents(["a b", "a-b", "nlu_fallback", "__x__", "1st", "维修", "ok"])
    assert names == {
        "a b": "a_b",
        "a-b": "a_b_2",
        "nlu_fallback": "intent_nlu_fallback",
        "__x__": "x",
        "1st": "intent_1st",
        "维修": "intent",
        "ok": "ok",
    }


def test_examples_lose_entity_markup_and_line_breaks() -> None:
    assert clean_example("call [me](name)\n now") == "call [me] (name) now"
    assert clean_example("[a]{b} and [c][d]") == "[a] {b} and [c] [d]"
    assert clean_example("plain [bracket] text") == "plain [bracket] text"


def test_project_files_quote_awkward_text_and_map_names_back(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "language: en\npipeline:\n- name: WhitespaceTokenizer\n- name: DIETClassifier\n  epochs: 80\n", encoding="utf-8"
    )
    awkward = ["- starts like a list", "has: a colon", '"quoted" #hash', "yes", "null", "价格多少？", "  spaced\tout  "]
    examples = [(text, "intent one") for text in awkward] + [("fine", "two/2")]
    label_of = write_project(tmp_path / "project", examples, config, epochs=3)
    assert label_of == {"intent_one": "intent one", "two_2": "two/2"}
    nlu = yaml.safe_load((tmp_path / "project" / "nlu.yml").read_text(encoding="utf-8"))
    blocks = {block["intent"]: [e["text"] for e in block["examples"]] for block in nlu["nlu"]}
    assert blocks["intent_one"] == [*awkward[:-1], "spaced out"]  # every text survives YAML as a string
    assert blocks["two_2"] == ["fine"]
    domain = yaml.safe_load((tmp_path / "project" / "domain.yml").read_text(encoding="utf-8"))
    assert domain["intents"] == ["intent_one", "two_2"]
    written = yaml.safe_load((tmp_path / "project" / "config.yml").read_text(encoding="utf-8"))
    assert written["pipeline"][1] == {"name": "DIETClassifier", "epochs": 3}
    assert written["language"] == "en"


def test_cross_validation_splits_follow_the_harness() -> None:
    train = [(f"{label} {n}", label) for label in ("a", "b", "c", "d", "e") for n in range(5)]
    splits = cv_splits(train, folds=5, seed=13)
    queries = [q for _, qs in splits for q in qs]
    assert sorted(t for t, _ in queries) == sorted(t for t, _ in train)  # every row queried once
    for rows, qs in splits:
        held = {t for t, label in qs if label == OOS}
        assert held, "each fold simulates out-of-scope queries"
        held_labels = {label for t, label in train if t in held}
        assert not held_labels & {label for _, label in rows}  # a held-out label is never trained on
        assert not {t for t, _ in rows} & {t for t, _ in qs}


@pytest.mark.skipif(
    not (DEFAULT_RASA_VENV / "bin" / "rasa").is_file(), reason=f"no Rasa at {DEFAULT_RASA_VENV}/bin/rasa"
)
def test_bench_trains_rasa_and_reports_the_harness_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = write_csv(tmp_path / "train.csv", [(s, label) for label, texts in INTENTS.items() for s in texts])
    val = write_csv(
        tmp_path / "val.csv",
        [
            ("refund me", "refund request"),
            ("where is the parcel", "delivery/status"),
            ("weather today", "NO_NODES_DETECTED"),
        ],
    )
    test_rows = [
        ("money back please", "refund request"),
        ("warranty length", "warranty"),
        ("tell a joke", "NO_NODES_DETECTED"),
    ]
    test = write_csv(tmp_path / "test.csv", test_rows)
    out = tmp_path / "out" / "result.json"
    argv = ["--train", str(train), "--test", str(test), "--val", str(val), "--epochs", "5", "--json", str(out)]
    argv += ["--workdir", str(tmp_path / "work")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "DIET epochs=5" in printed and "chosen threshold" in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["engine"] == "rasa"
    assert result["epochs_override"] == 5
    assert result["chosen_by"] == "validation (best MCC)"
    keys = {"threshold", "accuracy", "inscope_accuracy", "oos_recall", "weighted_f1", "mcc"}
    assert [row["threshold"] for row in result["sweep"]] == [round(0.1 * i, 1) for i in range(1, 10)]
    assert all(set(row) == keys for row in [*result["sweep"], *result["selection"]["sweep"], result["chosen"]])
    assert (result["n_train"], result["n_labels"], result["n_test"], result["n_oos"]) == (24, 3, 3, 1)
    assert result["train_seconds"] > 0 and result["parse_seconds"] > 0 and result["trainings"] == 1
    assert [(p["text"], p["gold"]) for p in result["predictions"]] == [
        (t, g if "NO_" not in g else OOS) for t, g in test_rows
    ]
    assert all(p["label"] in {*INTENTS, OOS} and 0 <= p["confidence"] <= 1 for p in result["predictions"])
    assert not list((tmp_path / "work").iterdir())  # the temporary project is removed
