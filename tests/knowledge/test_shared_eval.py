"""`eval-intents` end to end with the real model on a slice of a public data set, read by path from
`../shared/eval` (or `EVAL_DATA_DIR`); skipped, saying why, where the data sets are not present."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from knowledge.cli import main
from knowledge.datasets import Role, read_dataset

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = Path(os.environ.get("EVAL_DATA_DIR", ROOT.parent / "shared" / "eval"))
SOFMATTRESS = EVAL_DIR / "hint3" / "v1" / "sofmattress_train.csv"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SOFMATTRESS.exists(), reason=f"public data sets not found at {EVAL_DIR} (EVAL_DATA_DIR)"),
]


def hint3_slice(path: Path, labels: int, per_label: int) -> Path:
    """The first `labels` labels of SOFMattress with `per_label` sentences each, as a HINT3 CSV."""
    kept: dict[str, list[str]] = {}
    with SOFMATTRESS.open(encoding="utf-8") as source:
        for row in csv.DictReader(source):
            group = kept.setdefault(row["label"], []) if len(kept) < labels or row["label"] in kept else None
            if group is not None and len(group) < per_label:
                group.append(row["sentence"])
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["sentence", "label"])
        writer.writerows((sentence, label) for label, sentences in kept.items() for sentence in sentences)
    return path


@pytest.mark.parametrize("adapt", [False, True], ids=["base", "adapted"])
def test_eval_intents_on_a_hint3_slice(tmp_path: Path, adapt: bool) -> None:
    data = hint3_slice(tmp_path / "slice.csv", labels=6, per_label=6)
    out = tmp_path / "result.json"
    extra = ["--adapt", "--rounds", "1"] if adapt else []
    assert (
        main(["eval-intents", "--train", str(data), "--test", str(data), "--folds", "2", "--json", str(out), *extra])
        == 0
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert [row["threshold"] for row in result["sweep"]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert result["n_test"] == 36 and result["n_oos"] == 0 and result["adapted"] is adapt
    assert result["chosen_by"].startswith("2-fold cross-validation")
    for row in [*result["sweep"], result["chosen"], *result["selection"]["sweep"]]:
        for key in ("accuracy", "inscope_accuracy", "weighted_f1"):
            assert 0.0 <= row[key] <= 1.0
    # In-sample (test = train): every sentence is one of its label's own phrasings.
    assert result["sweep"][0]["inscope_accuracy"] >= 0.9


@pytest.mark.parametrize(
    ("relative", "roles"),
    [
        *(
            (f"hint3/{v}/{name}", ("train",))
            for v in ("v1", "v2")
            for name in ("sofmattress_train.csv", "curekart_train.csv", "powerplay11_train.csv")
        ),
        ("banking77/train.csv", ("train",)),
        ("clinc150/train_val.json", ("train", "val")),
    ],
)
def test_every_public_training_file_is_read_as_published(relative: str, roles: tuple[Role, ...]) -> None:
    """As their authors published them, quirks and all (HINT3 v2's Powerplay11 has a blank third column)."""
    for role in roles:
        data = read_dataset(EVAL_DIR / relative, role)
        assert len(data.utterances) > 300 and len(data.labels) > 10
