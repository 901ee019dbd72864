"""Fusing the three signals into one calibrated confidence per entry.

A logistic model per language over (dense cosine, log BM25, classifier probability) is learned at
build time from the knowledge base alone: each phrasing is held out in turn (k folds), scored
against signals built from the other phrasings, and labelled by whether the candidate is its own
entry. The output reads as "probability that this entry answers the question".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from knowledge.language import LANGUAGES, Language

SIGNALS = ("dense", "lexical", "supervised")
# What the fusion weighs: each signal, then each signal's gap to the query's best entry (`expand`).
FEATURES = (*SIGNALS, *(f"{name}_gap" for name in SIGNALS))

Features = npt.NDArray[np.float32]  # shape (n_candidates, len(SIGNALS))


def lexical_feature(bm25: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.log1p(np.maximum(bm25, 0.0)).astype(np.float32)


def expand(features: Features) -> Features:
    """Each signal as it is and as its gap to the query's best entry: raw scores are not comparable
    across queries (a short query has low BM25 everywhere), the gap to the best one is."""
    if len(features) == 0:
        return np.zeros((0, 2 * features.shape[1]), dtype=np.float32)
    return np.hstack([features, features - features.max(axis=0, keepdims=True)]).astype(np.float32)


@dataclass
class FusionWeights:
    """Per language: a weight per signal and a bias; score = sigmoid(features · weights + bias)."""

    weights: dict[Language, list[float]] = field(
        default_factory=lambda: {lang: [4.0, 1.0, 6.0, 4.0, 1.0, 6.0] for lang in LANGUAGES}
    )
    bias: dict[Language, float] = field(default_factory=lambda: {lang: -6.0 for lang in LANGUAGES})

    def score(self, features: Features, language: Language) -> npt.NDArray[np.float32]:
        logits: npt.NDArray[np.float32] = expand(features) @ np.asarray(self.weights[language], dtype=np.float32)
        return np.asarray(1.0 / (1.0 + np.exp(-(logits + self.bias[language]))), dtype=np.float32)

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), "weights": self.weights, "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FusionWeights:
        if data.get("features") != list(FEATURES):
            raise ValueError(f"fusion weights for features {data.get('features')}, expected {list(FEATURES)}: rebuild")
        weights = data["weights"]
        bias = data["bias"]
        assert isinstance(weights, dict) and isinstance(bias, dict)
        return cls(weights={k: list(v) for k, v in weights.items()}, bias={k: float(v) for k, v in bias.items()})


Samples = dict[Language, tuple[list[Features], list[npt.NDArray[np.bool_]]]]


def fit_fusion(samples: Samples, start: FusionWeights | None = None) -> FusionWeights:
    """Learn weights per language from labelled candidates (features already `expand`ed: is this
    candidate the right entry?); a language without both labels keeps the starting weights."""
    fused = FusionWeights() if start is None else FusionWeights(dict(start.weights), dict(start.bias))
    for lang, (feature_blocks, label_blocks) in samples.items():
        if not feature_blocks:
            continue
        x = np.vstack(feature_blocks)
        y = np.concatenate(label_blocks)
        if y.all() or not y.any():
            continue
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(x, y)
        fused.weights[lang] = [float(w) for w in model.coef_[0]]
        fused.bias[lang] = float(model.intercept_[0])
    return fused
