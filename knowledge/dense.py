"""Dense nearest-neighbour search over phrasing vectors (the only module that imports FAISS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.embedder import Vectors


class DenseIndex:
    """Inner-product search over L2-normalised vectors, i.e. cosine similarity."""

    def __init__(self, vectors: Vectors) -> None:
        import faiss

        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        self._index: faiss.Index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def search(self, query: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Scores and row numbers of the `k` nearest rows for each query row."""
        k = min(k, self.size)
        scores, rows = self._index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return scores, rows

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        instance = cls.__new__(cls)
        instance._index = faiss.read_index(str(path))
        return instance
