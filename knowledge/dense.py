"""Dense nearest-neighbour search over phrasing vectors (the only module that imports FAISS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.embedder import Vectors

# An exact (flat) search reads every vector: 16 ms for 40k × 384 on this machine's cores. Beyond
# this many vectors an inverted-file index reads only the `NPROBE` lists nearest to the query.
FLAT_MAX_VECTORS = 20_000
NPROBE = 16
# k-means of the coarse quantizer: a sample of this many points per list and few iterations keep
# training to seconds; the lists only have to be good enough to probe.
TRAINING_POINTS_PER_LIST = 40
TRAINING_ITERATIONS = 10


def _ivf_lists(n_vectors: int) -> int:
    return int(2 * np.sqrt(n_vectors))


class DenseIndex:
    """Inner-product search over L2-normalised vectors, i.e. cosine similarity."""

    def __init__(self, vectors: Vectors) -> None:
        import faiss

        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = data.shape[1]
        if len(data) <= FLAT_MAX_VECTORS:
            self._index: faiss.Index = faiss.IndexFlatIP(dimension)
        else:
            lists = _ivf_lists(len(data))
            quantizer = faiss.IndexFlatIP(dimension)
            ivf = faiss.IndexIVFFlat(quantizer, dimension, lists, faiss.METRIC_INNER_PRODUCT)
            ivf.cp.niter = TRAINING_ITERATIONS
            ivf.cp.max_points_per_centroid = TRAINING_POINTS_PER_LIST
            ivf.cp.seed = 13
            ivf.train(data)
            ivf.nprobe = NPROBE
            self._index = ivf
        self._index.add(data)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def kind(self) -> str:
        return type(self._index).__name__

    @property
    def nbytes(self) -> int:
        """Memory of the stored vectors, plus the ids and list centroids of an inverted file."""
        import faiss

        index = self._index
        if isinstance(index, faiss.IndexIVF):
            return int(index.code_size + 8) * self.size + 4 * index.d * int(index.nlist)
        return 4 * int(index.d) * self.size

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
