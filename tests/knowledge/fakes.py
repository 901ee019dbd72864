"""A deterministic embedder without a model, for unit tests of everything around the embedder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from knowledge.embedder import Vectors
from knowledge.text import normalise

DIMENSION = 256


class HashingEmbedder:
    """Character 1–2-grams hashed into a fixed number of buckets, L2-normalised."""

    name = "hashing-test-embedder"
    dimension = DIMENSION

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            clean = normalise(text).replace(" ", "")
            grams = list(clean) + [clean[i : i + 2] for i in range(len(clean) - 1)]
            for gram in grams:
                bucket = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
                out[row, bucket % DIMENSION] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
