"""The supervised layer: a linear model over character n-grams and words, trained on the phrasings.

It learns in seconds, so it is retrained whenever the knowledge base changes, and it gives Chinese a
strong signal that the offline English embedding model cannot. Character 1–4-grams, word uni- and
bigrams, and the entries' answers as extra training texts were chosen by cross-validation over the
phrasings (answers carry the domain words that phrasings of other customers will use).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.text import lexical_tokens, normalise


def _words_and_bigrams(text: str) -> list[str]:
    tokens = lexical_tokens(text)
    # Adjacent word pairs keep some order ("退 差价" vs "差价 退"); character bigrams (#..) are skipped.
    words = [t for t in tokens if not t.startswith("#")]
    return tokens + [f"{a} {b}" for a, b in zip(words, words[1:])]


class PhrasingClassifier:
    """Probability of each label for a text, from character 1–4-grams and words."""

    def __init__(self, texts: Sequence[str], labels: Sequence[int], n_labels: int, c: float = 20.0) -> None:
        if not texts:
            raise ValueError("the classifier needs at least one phrasing")
        self._chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True)
        self._words = TfidfVectorizer(analyzer=_words_and_bigrams, sublinear_tf=True)
        features = self._fit_features(texts)
        self._n_labels = n_labels
        present = sorted(set(labels))
        if len(present) == 1:
            self._model: LogisticRegression | None = None
            self._only = present[0]
            return
        self._model = LogisticRegression(C=c, max_iter=3000)
        self._model.fit(features, list(labels))
        self._classes = np.asarray(self._model.classes_, dtype=np.int64)

    def _fit_features(self, texts: Sequence[str]) -> csr_matrix:
        chars = self._chars.fit_transform([normalise(t) for t in texts])
        return hstack([chars, self._words.fit_transform(texts)]).tocsr()

    def probabilities(self, text: str) -> npt.NDArray[np.float32]:
        """One probability per label (labels without phrasings get 0)."""
        out = np.zeros(self._n_labels, dtype=np.float32)
        if self._model is None:
            out[self._only] = 1.0
            return out
        features = hstack([self._chars.transform([normalise(text)]), self._words.transform([text])]).tocsr()
        out[self._classes] = self._model.predict_proba(features)[0]
        return out
