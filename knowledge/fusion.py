"""Fusing the signal columns into one calibrated confidence per entry.

Each entry gets five raw columns: dense cosine and log BM25 against its phrasings and against its
answer texts (answers hold the keywords customers use), and the classifier probability. Raw scores
alone do not compare across queries (a short Chinese query has low BM25 everywhere), so every column
is also given per query as the gap to that column's best entry and as a reciprocal rank. A logistic
model per language over these features is learned at build time from the knowledge base alone: each
phrasing is held out in turn (k folds), scored against signals built from the other phrasings, and
labelled by whether the candidate is its own entry. The output reads as "probability that this entry
answers the question". Feature form and C were chosen by cross-validation over the phrasings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from knowledge.language import LANGUAGES, Language

# Raw columns of the signal matrix, and the public signals (Hit.signals) each column belongs to.
COLUMNS = ("dense", "dense_answer", "lexical", "lexical_answer", "supervised")
SIGNALS = ("dense", "lexical", "supervised")
SIGNAL_COLUMNS = {name: [i for i, column in enumerate(COLUMNS) if column.split("_")[0] == name] for name in SIGNALS}
FEATURES_PER_COLUMN = 3  # raw, gap to the column's best entry, reciprocal rank

Features = npt.NDArray[np.float32]  # shape (n_entries, len(COLUMNS)): raw signals of one query


def lexical_feature(bm25: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.log1p(np.maximum(bm25, 0.0)).astype(np.float32)


def signal_summary(features: Features, row: int) -> dict[str, float]:
    """The public per-signal view of one entry: the best of the signal's columns."""
    return {name: float(features[row, columns].max()) for name, columns in SIGNAL_COLUMNS.items()}


def expand(features: Features) -> npt.NDArray[np.float32]:
    """Per-query features: raw columns, gaps to each column's best, reciprocal ranks."""
    gap = features - features.max(axis=0, keepdims=True)
    ranks = np.argsort(np.argsort(-features, axis=0, kind="stable"), axis=0)
    reciprocal = 1.0 / (1.0 + ranks.astype(np.float32))
    return np.hstack([features, gap, reciprocal]).astype(np.float32)


def _default_weights() -> list[float]:
    raw = {"dense": 2.0, "dense_answer": 2.0, "lexical": 0.5, "lexical_answer": 0.5, "supervised": 6.0}
    return [raw[c] for c in COLUMNS] + [0.0] * (len(COLUMNS) * (FEATURES_PER_COLUMN - 1))


@dataclass
class FusionWeights:
    """Per language: a weight per expanded feature and a bias; score = sigmoid(expand(f) · w + b)."""

    weights: dict[Language, list[float]] = field(default_factory=lambda: {lang: _default_weights() for lang in LANGUAGES})
    bias: dict[Language, float] = field(default_factory=lambda: {lang: -6.0 for lang in LANGUAGES})

    def score(self, features: Features, language: Language) -> npt.NDArray[np.float32]:
        logits = expand(features) @ np.asarray(self.weights[language], dtype=np.float32) + self.bias[language]
        confidence: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return confidence

    def to_json(self) -> dict[str, object]:
        return {"columns": list(COLUMNS), "weights": self.weights, "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FusionWeights:
        if data.get("columns") != list(COLUMNS):
            raise ValueError("fusion weights were learned for other signal columns; rebuild the index")
        weights = data["weights"]
        bias = data["bias"]
        assert isinstance(weights, dict) and isinstance(bias, dict)
        return cls(weights={k: list(v) for k, v in weights.items()}, bias={k: float(v) for k, v in bias.items()})


def fit_fusion(
    samples: dict[Language, tuple[list[Features], list[npt.NDArray[np.bool_]]]],
) -> FusionWeights:
    """Learn weights per language from held-out queries (all entries of each are candidates);
    a language without data keeps the defaults."""
    fused = FusionWeights()
    for lang, (feature_blocks, label_blocks) in samples.items():
        if not feature_blocks:
            continue
        x = np.vstack([expand(block) for block in feature_blocks])
        y = np.concatenate(label_blocks)
        if y.all() or not y.any():
            continue
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(x, y)
        fused.weights[lang] = [float(w) for w in model.coef_[0]]
        fused.bias[lang] = float(model.intercept_[0])
    return fused
