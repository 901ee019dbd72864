"""The retriever contract and the hybrid retriever: dense + BM25 + supervised layer, fused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from knowledge.abstention import Decision
from knowledge.calibration import Calibration
from knowledge.classifier import PhrasingClassifier
from knowledge.dense import DenseIndex
from knowledge.embedder import Embedder
from knowledge.entries import FaqEntry
from knowledge.fusion import SIGNALS, Features, FusionWeights, lexical_feature
from knowledge.language import LANGUAGES, Language, detect_language
from knowledge.lexical import LexicalIndex
from knowledge.text import lexical_tokens

DENSE_CANDIDATES = 128


@dataclass(frozen=True)
class Hit:
    entry: FaqEntry
    score: float
    signals: dict[str, float]


@dataclass(frozen=True)
class SearchResult:
    query: str
    language: Language
    hits: list[Hit]
    decision: Decision

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def confidence(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def margin(self) -> float:
        if not self.hits:
            return 0.0
        runner_up = self.hits[1].score if len(self.hits) > 1 else 0.0
        return self.hits[0].score - runner_up


@runtime_checkable
class Retriever(Protocol):
    """Ranks knowledge-base entries for a customer question and decides whether to answer."""

    def search(self, query: str, language: Language | None = None, k: int = 5) -> SearchResult: ...

    def entry(self, entry_id: str) -> FaqEntry | None: ...


@dataclass(frozen=True)
class Phrasings:
    """Every phrasing of the enabled entries, with the row → entry mapping shared by all signals."""

    texts: list[str]
    languages: list[Language]
    entry_of_row: npt.NDArray[np.int64]

    @classmethod
    def of(cls, entries: Sequence[FaqEntry]) -> Phrasings:
        texts: list[str] = []
        languages: list[Language] = []
        owners: list[int] = []
        for position, entry in enumerate(entries):
            for lang, text in entry.phrasings():
                texts.append(text)
                languages.append(lang)
                owners.append(position)
        return cls(texts, languages, np.asarray(owners, dtype=np.int64))


class SignalModel:
    """The three raw signals for a query over every entry, from one set of phrasings."""

    def __init__(
        self,
        n_entries: int,
        phrasings: Phrasings,
        vectors: npt.NDArray[np.float32],
        dense: DenseIndex | None = None,
    ) -> None:
        self.n_entries = n_entries
        self.phrasings = phrasings
        self.dense = dense or DenseIndex(vectors)
        self.lexical = LexicalIndex(
            [lexical_tokens(t, lang) for t, lang in zip(phrasings.texts, phrasings.languages, strict=True)]
        )
        self.classifier = PhrasingClassifier(phrasings.texts, phrasings.entry_of_row.tolist(), n_entries)

    def features(self, query: str, query_vector: npt.NDArray[np.float32] | None, language: Language) -> Features:
        """One row per entry: dense cosine (0 without a query vector), log BM25, classifier probability."""
        owners = self.phrasings.entry_of_row
        dense = np.zeros(self.n_entries, dtype=np.float32)
        if query_vector is not None:
            scores, rows = self.dense.search(query_vector.reshape(1, -1), DENSE_CANDIDATES)
            valid = rows[0] >= 0
            np.maximum.at(dense, owners[rows[0][valid]], np.maximum(scores[0][valid], 0.0))
        bm25 = np.zeros(self.n_entries, dtype=np.float32)
        np.maximum.at(bm25, owners, self.lexical.scores(lexical_tokens(query, language)))
        supervised = self.classifier.probabilities(query)
        return np.stack([dense, lexical_feature(bm25), supervised], axis=1)


class HybridRetriever:
    """Dense, lexical and supervised signals fused per language, then the abstention decision."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        embedder: Embedder,
        signals: SignalModel,
        fusion: FusionWeights,
        calibration: Calibration | None = None,
        dense_languages: Iterable[Language] = LANGUAGES,
    ) -> None:
        self.entries = list(entries)
        # The languages the embedding model understands; the others skip the embedding entirely.
        self.dense_languages = frozenset(dense_languages)
        self._by_id = {e.id: e for e in self.entries}
        self.embedder = embedder
        self.signals = signals
        self.calibration = calibration or Calibration()
        # Weights fitted on real questions (calibration) win over those learned from phrasings at build.
        self.learned_fusion = fusion
        self.fusion = self.calibration.fusion or fusion

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def query_vector(self, query: str, language: Language) -> npt.NDArray[np.float32] | None:
        return self.embedder.encode([query])[0] if language in self.dense_languages else None

    def search(self, query: str, language: Language | None = None, k: int = 5) -> SearchResult:
        lang = language or detect_language(query)
        if not self.entries or not query.strip():
            return SearchResult(query, lang, [], Decision.ABSTAIN)
        features = self.signals.features(query, self.query_vector(query, lang), lang)
        scores = self.fusion.score(features, lang)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [
            Hit(self.entries[i], float(scores[i]), {name: float(features[i, j]) for j, name in enumerate(SIGNALS)})
            for i in order
        ]
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        decision = self.calibration.thresholds[lang].decide(hits[0].score, runner_up)
        return SearchResult(query, lang, hits, decision)
