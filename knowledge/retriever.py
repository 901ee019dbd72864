"""The retriever contract and the hybrid retriever: dense + BM25 + supervised layer, fused.

Each entry is matched through its phrasings and, as weaker extra documents, its answer texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from knowledge.abstention import Calibration, Decision, default_calibration
from knowledge.classifier import PhrasingClassifier
from knowledge.dense import DenseIndex
from knowledge.embedder import Embedder
from knowledge.entries import FaqEntry
from knowledge.fusion import Features, FusionWeights, lexical_feature, signal_summary
from knowledge.language import Language, detect_language
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
    """Every phrasing of the enabled entries, with the row → entry mapping shared by all signals,
    and every answer text with its own row → entry mapping."""

    texts: list[str]
    languages: list[Language]
    entry_of_row: npt.NDArray[np.int64]
    answers: list[str]
    answer_languages: list[Language]
    entry_of_answer: npt.NDArray[np.int64]

    @classmethod
    def of(cls, entries: Sequence[FaqEntry]) -> Phrasings:
        texts: list[str] = []
        languages: list[Language] = []
        owners: list[int] = []
        answers: list[str] = []
        answer_languages: list[Language] = []
        answer_owners: list[int] = []
        for position, entry in enumerate(entries):
            for lang, text in entry.phrasings():
                texts.append(text)
                languages.append(lang)
                owners.append(position)
            for lang, text in entry.answer.items():
                answers.append(text)
                answer_languages.append(lang)
                answer_owners.append(position)
        return cls(
            texts,
            languages,
            np.asarray(owners, dtype=np.int64),
            answers,
            answer_languages,
            np.asarray(answer_owners, dtype=np.int64),
        )

    def without(self, rows: npt.NDArray[np.int64]) -> Phrasings:
        """The same knowledge base with some phrasings held out (answers stay)."""
        keep = np.setdiff1d(np.arange(len(self.texts)), rows)
        return Phrasings(
            [self.texts[i] for i in keep],
            [self.languages[i] for i in keep],
            self.entry_of_row[keep],
            self.answers,
            self.answer_languages,
            self.entry_of_answer,
        )


def _best_per_entry(n_entries: int, owners: npt.NDArray[np.int64], values: npt.NDArray[np.float32]) -> Features:
    out = np.zeros(n_entries, dtype=np.float32)
    np.maximum.at(out, owners, values)
    return out


class SignalModel:
    """The raw signal columns (fusion.COLUMNS) for a query over every entry, from one set of phrasings."""

    def __init__(
        self,
        n_entries: int,
        phrasings: Phrasings,
        vectors: npt.NDArray[np.float32],
        answer_vectors: npt.NDArray[np.float32],
        dense: DenseIndex | None = None,
        dense_answers: DenseIndex | None = None,
    ) -> None:
        self.n_entries = n_entries
        self.phrasings = phrasings
        self.dense = dense or DenseIndex(vectors)
        self.dense_answers = dense_answers or DenseIndex(answer_vectors)
        self.lexical = LexicalIndex([lexical_tokens(t, lang) for t, lang in zip(phrasings.texts, phrasings.languages)])
        self.lexical_answers = LexicalIndex(
            [lexical_tokens(t, lang) for t, lang in zip(phrasings.answers, phrasings.answer_languages)]
        )
        # Answers are extra training texts of their entry: they hold the words customers use.
        self.classifier = PhrasingClassifier(
            phrasings.texts + phrasings.answers,
            phrasings.entry_of_row.tolist() + phrasings.entry_of_answer.tolist(),
            n_entries,
        )

    def _dense(self, index: DenseIndex, owners: npt.NDArray[np.int64], query: npt.NDArray[np.float32]) -> Features:
        scores, rows = index.search(query.reshape(1, -1), DENSE_CANDIDATES)
        valid = rows[0] >= 0
        return _best_per_entry(self.n_entries, owners[rows[0][valid]], np.maximum(scores[0][valid], 0.0))

    def features(self, query: str, query_vector: npt.NDArray[np.float32], language: Language) -> Features:
        p = self.phrasings
        tokens = lexical_tokens(query, language)
        columns = [
            self._dense(self.dense, p.entry_of_row, query_vector),
            self._dense(self.dense_answers, p.entry_of_answer, query_vector),
            lexical_feature(_best_per_entry(self.n_entries, p.entry_of_row, self.lexical.scores(tokens))),
            lexical_feature(_best_per_entry(self.n_entries, p.entry_of_answer, self.lexical_answers.scores(tokens))),
            self.classifier.probabilities(query),
        ]
        return np.stack(columns, axis=1)


class HybridRetriever:
    """Dense, lexical and supervised signals fused per language, then the abstention decision."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        embedder: Embedder,
        signals: SignalModel,
        fusion: FusionWeights,
        calibration: Calibration | None = None,
    ) -> None:
        self.entries = list(entries)
        self._by_id = {e.id: e for e in self.entries}
        self.embedder = embedder
        self.signals = signals
        self.fusion = fusion
        self.calibration = calibration or default_calibration()

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def search(self, query: str, language: Language | None = None, k: int = 5) -> SearchResult:
        lang = language or detect_language(query)
        if not self.entries or not query.strip():
            return SearchResult(query, lang, [], Decision.ABSTAIN)
        vector = self.embedder.encode([query])[0]
        features = self.signals.features(query, vector, lang)
        scores = self.fusion.score(features, lang)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [
            Hit(self.entries[i], float(scores[i]), signal_summary(features, int(i)))
            for i in order
        ]
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        decision = self.calibration[lang].decide(hits[0].score, runner_up)
        return SearchResult(query, lang, hits, decision)
