"""Grouping similar customer questions, so that a lead sees "asked 14 times" instead of 14 rows.

Questions are compared as character 1–3-gram TF-IDF vectors (`char_wb`): no word segmentation,
so Chinese and English are handled alike. Groups come from complete-linkage agglomerative
clustering over cosine similarity: every two questions in a group are at least `threshold` alike,
so one odd question cannot chain two unrelated topics together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from knowledge.text import normalise

if TYPE_CHECKING:
    import numpy.typing as npt

# Chosen with `measure_thresholds` on the FAQ seed phrasings (knowledge/faq: 88 entries, 1,756
# phrasings; the phrasings of one entry in one language form one true group, since character
# n-grams cannot pair a Chinese question with its English twin). Pairwise precision / recall:
#   0.10: 0.19 / 0.22   0.15: 0.24 / 0.19   0.20: 0.29 / 0.17   0.25: 0.34 / 0.14
#   0.30: 0.43 / 0.11   0.35: 0.46 / 0.09   0.40: 0.49 / 0.06   0.50: 0.60 / 0.04
# The value is the best F0.5 (0.272; next 0.266 at 0.25): precision counts double because a group
# mixing two topics misleads the lead and pre-fills a wrong FAQ draft, while a topic split in two
# only shows as two rows. (Best F1 would be 0.20: 0.213.) The seed phrasings are paraphrases
# written to differ; customers repeating a question differ less. Chinese pairs score lower than
# English ones (at 0.30 recall is 0.04 in Chinese, 0.22 in English): a per-language threshold is
# the next step if Chinese groups stay too fine. tests/knowledge/test_grouping.py re-measures this.
SIMILARITY_THRESHOLD = 0.30

# Complete linkage needs the full similarity matrix: beyond this many questions the caller
# should pass the most recent ones only (2,000 take about 0.4 s and some 100 MB of matrices).
MAX_QUESTIONS = 2000


@dataclass(frozen=True)
class QuestionGroup:
    """Positions in the grouped questions: the most typical member first, then by frequency."""

    members: tuple[int, ...]

    @property
    def representative(self) -> int:
        return self.members[0]


@dataclass(frozen=True)
class PairScores:
    """How a grouping agrees with known groups, counted over pairs of questions."""

    threshold: float
    precision: float
    recall: float
    groups: int

    def f_score(self, beta: float = 1.0) -> float:
        """F-beta: beta < 1 weighs precision more (0.5: precision counts twice as much as recall)."""
        b2 = beta * beta
        total = b2 * self.precision + self.recall
        return (1 + b2) * self.precision * self.recall / total if total else 0.0


def group_questions(questions: Sequence[str], threshold: float = SIMILARITY_THRESHOLD) -> list[QuestionGroup]:
    """Groups of similar questions, largest first. Questions equal after normalisation always share
    a group; the representative is the one most similar to the rest of its group."""
    if len(questions) > MAX_QUESTIONS:
        raise ValueError(f"group at most {MAX_QUESTIONS} questions at once (got {len(questions)})")
    keys, positions = _distinct(questions)
    similarity = _similarities(keys)
    weights = np.array([len(p) for p in positions], dtype=np.float64)
    groups = []
    for cluster in _clusters(similarity, threshold):
        # Most typical: the highest similarity to the group's questions, each counted as often as asked.
        typicality = similarity[np.ix_(cluster, cluster)] @ weights[cluster]
        order = sorted(range(len(cluster)), key=lambda i: (-typicality[i], -weights[cluster[i]], cluster[i]))
        representative = cluster[order[0]]
        rest = sorted(
            (cluster[i] for i in order[1:]),
            key=lambda k: (-weights[k], -similarity[representative, k], k),
        )
        members = [p for k in (representative, *rest) for p in positions[k]]
        groups.append(QuestionGroup(tuple(members)))
    groups.sort(key=lambda g: (-len(g.members), min(g.members)))
    return groups


def pairwise_scores(groups: Sequence[QuestionGroup], truth: Sequence[Hashable], threshold: float) -> PairScores:
    """Precision: of the pairs put together, the share that belong together; recall: of the pairs
    that belong together, the share put together."""
    predicted = {p: g for g, group in enumerate(groups) for p in group.members}
    together = Counter((predicted[p], truth[p]) for p in range(len(truth)))
    true_positive = sum(_pairs(n) for n in together.values())
    predicted_pairs = sum(_pairs(len(g.members)) for g in groups)
    true_pairs = sum(_pairs(n) for n in Counter(truth).values())
    return PairScores(
        threshold,
        true_positive / predicted_pairs if predicted_pairs else 1.0,
        true_positive / true_pairs if true_pairs else 1.0,
        len(groups),
    )


def measure_thresholds(
    questions: Sequence[str], truth: Sequence[Hashable], thresholds: Sequence[float]
) -> list[PairScores]:
    """Pairwise scores of the grouping at each threshold, against known groups (`truth[i]` is the
    group of `questions[i]`): how `SIMILARITY_THRESHOLD` was chosen. No size limit: it is meant for
    a whole knowledge base."""
    if len(questions) != len(truth):
        raise ValueError("one known group per question")
    keys, positions = _distinct(questions)
    similarity = _similarities(keys)
    scores = []
    for threshold in thresholds:
        groups = [
            QuestionGroup(tuple(p for k in cluster for p in positions[k]))
            for cluster in _clusters(similarity, threshold)
        ]
        scores.append(pairwise_scores(groups, truth, threshold))
    return scores


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _distinct(questions: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    """The distinct normalised questions, and where each occurs."""
    index: dict[str, int] = {}
    positions: list[list[int]] = []
    for position, question in enumerate(questions):
        key = normalise(question)
        if key not in index:
            index[key] = len(positions)
            positions.append([])
        positions[index[key]].append(position)
    return list(index), positions


def _similarities(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Cosine similarity of every pair of texts (TF-IDF rows are L2-normalised)."""
    # scikit-learn loads on first use: rasa-sdk imports every action module at start.
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return np.ones((len(texts), len(texts)))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    try:
        vectors = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but empty texts: no vocabulary
        return np.eye(len(texts))
    similarity = np.asarray((vectors @ vectors.T).toarray(), dtype=np.float64)
    np.fill_diagonal(similarity, 1.0)
    return np.clip(similarity, 0.0, 1.0)


def _clusters(similarity: npt.NDArray[np.float64], threshold: float) -> list[list[int]]:
    """Complete-linkage clusters: every pair inside a cluster has similarity at least `threshold`."""
    n = similarity.shape[0]
    if n < 2:
        return [[i] for i in range(n)]
    from sklearn.cluster import AgglomerativeClustering

    # Merging stops at distances at or above the threshold; a tiny margin keeps "at least" inclusive.
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="complete", distance_threshold=1.0 - threshold + 1e-9
    )
    labels = model.fit_predict(1.0 - similarity)
    clusters: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(position)
    return list(clusters.values())
