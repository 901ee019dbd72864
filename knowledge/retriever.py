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
from knowledge.text import lexical_tokens, normalise, own_script_tokens

DENSE_CANDIDATES = 128  # phrasings
LEXICAL_CANDIDATES = 64  # entries


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
    """The three raw signals for a query, from one set of phrasings.

    A small knowledge base is scored in full. A big one is scored on candidates: the entries of the
    `DENSE_CANDIDATES` nearest phrasings and the `LEXICAL_CANDIDATES` best entries by BM25. Every other
    entry has all three signals at 0, as it would have in full (outside the dense neighbours, with
    no word of the query), up to the classifier, which is then only asked about the candidates."""

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
        pairs = list(zip(phrasings.texts, phrasings.languages, strict=True))
        tokens = [lexical_tokens(t, lang) for t, lang in pairs]
        self.lexical = LexicalIndex(tokens)
        # Tokenising is most of the build: the classifier reuses BM25's tokens where it can.
        normalised = [normalise(t) for t in phrasings.texts]
        words = [own_script_tokens(n, own, lang) for own, n, (_, lang) in zip(tokens, normalised, pairs, strict=True)]
        self.classifier = PhrasingClassifier(
            phrasings.texts, phrasings.entry_of_row.tolist(), n_entries, normalised=normalised, words=words
        )
        owners = phrasings.entry_of_row
        # Rows come grouped by entry (`Phrasings.of`, and subsets of it): a per-entry maximum is then
        # one `reduceat` over the rows instead of an unbuffered `maximum.at`.
        self._grouped = bool(np.all(owners[1:] >= owners[:-1]))
        self._owners_present, self._first_rows = np.unique(owners, return_index=True)

    def _per_entry_max(self, row_scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = np.zeros(self.n_entries, dtype=np.float32)
        if len(row_scores) == 0:
            return out
        if self._grouped:
            out[self._owners_present] = np.maximum(np.maximum.reduceat(row_scores, self._first_rows), 0.0)
        else:
            np.maximum.at(out, self.phrasings.entry_of_row, row_scores)
        return out

    def candidates(
        self, query: str, query_vector: npt.NDArray[np.float32] | None, language: Language
    ) -> tuple[npt.NDArray[np.int64], Features]:
        """The entries worth scoring (ascending positions) and their signals: dense cosine (0 without
        a query vector), log BM25, classifier probability."""
        owners = self.phrasings.entry_of_row
        near_entries = np.zeros(0, dtype=np.int64)
        near_scores = np.zeros(0, dtype=np.float32)
        if query_vector is not None and self.dense.size:
            scores, rows = self.dense.search(query_vector.reshape(1, -1), DENSE_CANDIDATES)
            valid = rows[0] >= 0
            near_entries = owners[rows[0][valid]]
            near_scores = np.maximum(scores[0][valid], 0.0)
        tokens = lexical_tokens(query, language)
        bm25 = self._per_entry_max(self.lexical.scores(tokens))
        if self.classifier.exhaustive:
            entries = np.arange(self.n_entries, dtype=np.int64)
        else:
            top = min(LEXICAL_CANDIDATES, self.n_entries)
            lexical_top = np.argpartition(-bm25, top - 1)[:top]
            entries = np.union1d(near_entries, lexical_top[bm25[lexical_top] > 0]).astype(np.int64)
        dense = np.zeros(len(entries), dtype=np.float32)
        np.maximum.at(dense, np.searchsorted(entries, near_entries), near_scores)
        words = own_script_tokens(normalise(query), tokens, language)
        supervised = self.classifier.probabilities(query, None if self.classifier.exhaustive else entries, words)
        return entries, np.stack([dense, lexical_feature(bm25[entries]), supervised], axis=1)

    def features(self, query: str, query_vector: npt.NDArray[np.float32] | None, language: Language) -> Features:
        """One row per entry (all 0 outside the candidates)."""
        entries, candidate_features = self.candidates(query, query_vector, language)
        out = np.zeros((self.n_entries, len(SIGNALS)), dtype=np.float32)
        out[entries] = candidate_features
        return out


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
        # The assistant's turns always name the language (decided once per turn); tools may leave it out.
        lang = language or detect_language(query)
        if not self.entries or not query.strip():
            return SearchResult(query, lang, [], Decision.ABSTAIN)
        entries, candidate_features = self.signals.candidates(query, self.query_vector(query, lang), lang)
        # Entries outside the candidates all have zero signals: one zero row scores them all, and the
        # first k of them compete for the hits (in entry order, as a stable sort of all would have it).
        others = self._first_outside(entries, k)
        features = np.vstack([candidate_features, np.zeros((len(others), len(SIGNALS)), dtype=np.float32)])
        positions = np.concatenate([entries, others])
        scores = self.fusion.score(features, lang)
        order = np.lexsort((positions, -scores))[:k]
        hits = [
            Hit(
                self.entries[positions[i]],
                float(scores[i]),
                {name: float(features[i, j]) for j, name in enumerate(SIGNALS)},
            )
            for i in order
        ]
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        decision = self.calibration.thresholds[lang].decide(hits[0].score, runner_up)
        return SearchResult(query, lang, hits, decision)

    def _first_outside(self, entries: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int64]:
        """The first `k` entry positions that are not in `entries` (ascending)."""
        limit = min(len(self.entries), len(entries) + k)
        taken = np.zeros(limit, dtype=bool)
        taken[entries[entries < limit]] = True
        return np.flatnonzero(~taken)[:k]
