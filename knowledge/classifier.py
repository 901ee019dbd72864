"""The supervised layer: a linear model over character n-grams and words, trained on the phrasings.

It learns in about a second, so it is retrained whenever the knowledge base changes, and it gives
Chinese a strong signal that the offline English embedding model cannot.

A multinomial logistic regression has one weight vector per entry: beyond `LOGISTIC_MAX_LABELS`
entries its training time and memory grow with entries × features (1,000 entries already take a
minute and a half). Bigger knowledge bases get a nearest-centroid classifier over the same features,
built in one sparse product and scored only for the candidate entries the retriever asks about.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from knowledge.text import lexical_tokens, normalise

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

LOGISTIC_MAX_LABELS = 200
# Softmax temperature over centroid cosines: a lead of 0.1 in cosine is a probability ratio of e².
CENTROID_TEMPERATURE = 0.05


class _QueryFeatures:
    """One text's TF-IDF weights as a fitted vectorizer computes them (sublinear tf, idf, L2 norm),
    without its per-call validation, which costs milliseconds for a single query."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self._vocabulary: Mapping[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._offset = offset

    def weights(self, grams: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        counts = Counter(self._vocabulary[g] for g in grams if g in self._vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
        values = tf * self._idf[columns]
        norm = float(np.sqrt(values @ values))
        return columns + self._offset, values / norm if norm else values


class PhrasingClassifier:
    """Probability of each label for a text, from character 1–3-grams and words."""

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[int],
        n_labels: int,
        c: float = 20.0,
        *,
        normalised: Sequence[str] | None = None,
        words: Sequence[Sequence[str] | None] | None = None,
    ) -> None:
        """`normalised` (`normalise(text)`) and `words` (`lexical_tokens(text)`, None where unknown)
        spare computing them again when the caller has them: tokenising is most of the fitting time."""
        if not texts:
            raise ValueError("the classifier needs at least one phrasing")
        # scikit-learn loads on first use: rasa-sdk imports every action module at start.
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import normalize

        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        word_vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True)
        if normalised is None:
            normalised = [normalise(t) for t in texts]
        known = words or [None] * len(texts)
        tokens = [lexical_tokens(t) if w is None else list(w) for t, w in zip(texts, known, strict=True)]
        features = hstack([chars.fit_transform(normalised), word_vectorizer.fit_transform(tokens)]).tocsr()
        self._char_grams: Callable[[str], list[str]] = chars.build_analyzer()
        self._chars = _QueryFeatures(chars, 0)
        self._words = _QueryFeatures(word_vectorizer, len(chars.vocabulary_))
        self._n_features = features.shape[1]
        self._n_labels = n_labels
        self._coef: npt.NDArray[np.float64] | None = None
        self._centroids: csr_matrix | None = None
        present = sorted(set(labels))
        self._only = present[0]
        if len(present) == 1:
            return
        if len(present) > LOGISTIC_MAX_LABELS:
            rows = np.arange(len(labels))
            membership = csr_matrix((np.ones(len(labels)), (np.asarray(labels), rows)), shape=(n_labels, len(labels)))
            self._centroids = csr_matrix(normalize(membership @ normalize(features)), dtype=np.float32)
            return
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(features, list(labels))
        self._classes = np.asarray(model.classes_, dtype=np.int64)
        self._coef = np.asarray(model.coef_, dtype=np.float64)
        self._intercept = np.asarray(model.intercept_, dtype=np.float64)

    @property
    def exhaustive(self) -> bool:
        """Whether every label's probability comes at once and cheaply (a small knowledge base)."""
        return self._centroids is None

    def _features(
        self, text: str, words: Sequence[str] | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Columns and values of the text's feature row; `words` are its `lexical_tokens(text)` when
        the caller already has them."""
        char_columns, char_values = self._chars.weights(self._char_grams(normalise(text)))
        word_columns, word_values = self._words.weights(lexical_tokens(text) if words is None else words)
        return np.concatenate([char_columns, word_columns]), np.concatenate([char_values, word_values])

    def probabilities(
        self, text: str, labels: npt.NDArray[np.int64] | None = None, words: Sequence[str] | None = None
    ) -> npt.NDArray[np.float32]:
        """One probability per label (labels without phrasings get 0), or per label of `labels`.

        The nearest-centroid classifier spreads the probability over `labels` only: scoring every
        centroid of a big knowledge base is what the candidates are there to avoid."""
        columns, values = self._features(text, words)
        if self._centroids is not None:
            if labels is None:
                labels = np.arange(self._n_labels)
            if len(labels) == 0:
                return np.zeros(0, dtype=np.float32)
            query = np.zeros(self._n_features, dtype=np.float32)
            query[columns] = values
            cosines = np.asarray(self._centroids[labels] @ query, dtype=np.float64)
            weights = np.exp((cosines - cosines.max()) / CENTROID_TEMPERATURE)
            return np.asarray(weights / weights.sum(), dtype=np.float32)
        out = np.zeros(self._n_labels, dtype=np.float32)
        if self._coef is None:
            out[self._only] = 1.0
        else:
            # What LogisticRegression.predict_proba computes: softmax of the decision function,
            # or the logistic function of it with two classes.
            decision = self._coef[:, columns] @ values + self._intercept
            if len(self._classes) == 2:
                positive = 1.0 / (1.0 + math.exp(-float(decision[0])))
                out[self._classes] = (1.0 - positive, positive)
            else:
                exp = np.exp(decision - decision.max())
                out[self._classes] = exp / exp.sum()
        return out if labels is None else out[labels]
