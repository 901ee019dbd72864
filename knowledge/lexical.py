"""BM25 over phrasings (bm25s), tokenised by the text layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class LexicalIndex:
    """BM25 scores of one query against every document."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        import bm25s  # imported on first index: rasa-sdk imports every action module at start

        self._bm25 = bm25s.BM25()
        self._bm25.index([list(doc) for doc in documents], show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict)
        self._size = len(documents)

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        known = [t for t in query_tokens if t in self._vocabulary]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
