"""The supervised layer: a linear model over character n-grams and words, trained on the phrasings.

It learns in about a second, so it is retrained whenever the knowledge base changes, and it gives
Chinese a strong signal that the offline English embedding model cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from knowledge.text import lexical_tokens, normalise

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


class PhrasingClassifier:
    """Probability of each label for a text, from character 1–3-grams and words."""

    def __init__(self, texts: Sequence[str], labels: Sequence[int], n_labels: int, c: float = 20.0) -> None:
        if not texts:
            raise ValueError("the classifier needs at least one phrasing")
        # scikit-learn loads on first use: rasa-sdk imports every action module at start.
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        self._words = TfidfVectorizer(analyzer=lambda text: lexical_tokens(text), sublinear_tf=True)
        normalised = [normalise(t) for t in texts]
        features = hstack([self._chars.fit_transform(normalised), self._words.fit_transform(texts)]).tocsr()
        self._n_labels = n_labels
        present = sorted(set(labels))
        if len(present) == 1:
            self._model: LogisticRegression | None = None
            self._only = present[0]
            return
        self._model = LogisticRegression(C=c, max_iter=2000)
        self._model.fit(features, list(labels))
        self._classes = np.asarray(self._model.classes_, dtype=np.int64)

    def probabilities(self, text: str) -> npt.NDArray[np.float32]:
        """One probability per label (labels without phrasings get 0)."""
        out = np.zeros(self._n_labels, dtype=np.float32)
        if self._model is None:
            out[self._only] = 1.0
            return out
        from scipy.sparse import hstack

        features = hstack([self._chars.transform([normalise(text)]), self._words.transform([text])]).tocsr()
        out[self._classes] = self._model.predict_proba(features)[0]
        return out
