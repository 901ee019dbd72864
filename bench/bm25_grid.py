"""BM25 parameters and tokenisation, tuned on training data only: `python -m bench.bm25_grid`.

BM25 alone (the product's tokeniser, each entry scored by its best phrasing) ranks the right entry
first for how many questions: the development set per language, and 5-fold cross-validation on the
HINT3 v1 training sets (read by path, `--hint3 DIR`). Cheap (no embedding), so the whole grid runs in
a minute; it is the evidence behind keeping or changing bm25s's defaults (k1 1.5, b 0.75).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.results import write
from knowledge.entries import load_entries
from knowledge.evaluation import load_dev_set
from knowledge.language import Language
from knowledge.settings import get_settings
from knowledge.text import lexical_tokens

GRID = [(1.5, 0.75), (1.2, 0.75), (2.0, 0.75), (1.5, 0.9), (1.2, 0.3), (0.9, 0.4), (0.5, 0.5)]
HINT3 = ("sofmattress", "curekart", "powerplay11")
Query = tuple[str, Language, str]  # text, language, expected label


def top1(k1: float, b: float, documents: Sequence[Query], queries: Sequence[Query]) -> float:
    import bm25s

    index = bm25s.BM25(k1=k1, b=b)
    index.index([lexical_tokens(text, lang) for text, lang, _ in documents], show_progress=False)
    vocabulary = set(index.vocab_dict)
    labels = sorted({label for _, _, label in documents})
    owner = np.asarray([labels.index(label) for _, _, label in documents])
    right = 0
    for text, lang, expected in queries:
        tokens = [t for t in lexical_tokens(text, lang) if t in vocabulary]
        if tokens:
            per_label = np.zeros(len(labels))
            np.maximum.at(per_label, owner, index.get_scores(tokens))
            right += labels[int(per_label.argmax())] == expected
    return right / max(1, len(queries))


def cross_validated(k1: float, b: float, rows: Sequence[tuple[str, str]], folds: int = 5) -> float:
    fold_of = np.random.default_rng(1).integers(0, folds, len(rows))
    scores = []
    for fold in range(folds):
        train: list[Query] = [(text, "en", label) for (text, label), f in zip(rows, fold_of, strict=True) if f != fold]
        test: list[Query] = [(text, "en", label) for (text, label), f in zip(rows, fold_of, strict=True) if f == fold]
        scores.append(top1(k1, b, train, test))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hint3", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/hint3/v1")
    args = parser.parse_args()
    settings = get_settings()
    documents = [(text, lang, e.id) for e in load_entries(settings.faq_dir) for lang, text in e.phrasings()]
    dev = [(q.text, q.language, q.expected) for q in load_dev_set(settings.dev_set) if q.expected]
    hint3 = {
        name: [(r["sentence"], r["label"]) for r in csv.DictReader((args.hint3 / f"{name}_train.csv").open())]
        for name in HINT3
        if (args.hint3 / f"{name}_train.csv").exists()
    }
    rows = []
    for k1, b in GRID:
        row: dict[str, float] = {"k1": k1, "b": b}
        for lang in ("zh", "en"):
            row[f"dev_{lang}"] = round(top1(k1, b, documents, [q for q in dev if q[1] == lang]), 3)
        for name, data in hint3.items():
            row[f"{name}_cv"] = round(cross_validated(k1, b, data), 3)
        print(row, flush=True)
        rows.append(row)
    write("bm25_grid", {"metric": "BM25-only top-1", "grid": rows})


if __name__ == "__main__":
    main()
