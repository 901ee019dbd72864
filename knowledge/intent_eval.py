"""The intent-detection harness: the product's own retriever on a labelled-utterance data set.

Each in-scope label becomes one knowledge-base entry whose phrasings are its training utterances
(`datasets.to_entries`); the retriever is built with `index.build_retriever`, so the embedder, the
signals, the fusion learned from the phrasings and the abstention code are those of production.
Each test utterance is searched; the top hit's label and the retriever's confidence are the
prediction, and a confidence below the threshold makes it out-of-scope (`intent_metrics`). The
product's calibrated abstention thresholds also decide every query, and their decision rates are
reported; the product's calibrated *fusion* weights are not used, since they were fitted on the
product's own knowledge base; the fusion is learned from the data set's phrasings as at build time.

Choosing the threshold never looks at the test set (`choose_threshold`):

- with a validation set that has out-of-scope queries, the sweep threshold of highest MCC on it
  (ties: the lowest threshold);
- otherwise (no validation set, or one without out-of-scope queries) by k-fold cross-validation on
  the training data: utterances are split into k folds stratified by label, and for each fold a
  retriever is built from the other folds and queried with this fold. When the training data has
  out-of-scope rows they are queries only (never indexed); when it has none (HINT3's training sets),
  out-of-scope is simulated: the labels are split into k groups and in fold i the labels of group i
  are left out of the index entirely, so this fold's utterances of those labels are pseudo-OOS
  queries (about 1/k of the queries). The threshold of highest MCC over the pooled cross-validated
  predictions is chosen (ties: the lowest threshold): MCC rewards in-scope accuracy and OOS
  recall together, so this is in-scope accuracy traded against the simulated OOS recall.

With `--adapt` (`IntentRun.adapt_from`), every retriever's embedding model is first fine-tuned on the
utterances that retriever indexes (`adaptation.fine_tune`): in cross-validation, on the folds it is
built from, so neither the threshold nor the test figures see a model trained on what it is scored on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from knowledge.abstention import Decision
from knowledge.adaptation import AdaptationConfig, fine_tune
from knowledge.calibration import Calibration
from knowledge.datasets import OOS, Utterance, to_entries
from knowledge.embedder import Embedder, SentenceTransformerEmbedder, Vectors
from knowledge.index import build_retriever
from knowledge.intent_metrics import THRESHOLDS, Prediction, Row, best_by_mcc, metrics_at, sweep
from knowledge.language import Language
from knowledge.retriever import HybridRetriever

Progress = Callable[[str], None]
T = TypeVar("T")


def _silent(_: str) -> None:
    return None


class CachingEmbedder:
    """Wraps an embedder so that each distinct text is embedded once across every fold and query;
    `prefetch` embeds many texts in batches (what the model is fast at)."""

    def __init__(self, inner: Embedder, batch: int = 512, show_progress: bool = False) -> None:
        self._inner = inner
        self._cache: dict[str, np.ndarray] = {}
        self._batch = batch
        self._show_progress = show_progress

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def prefetch(self, texts: Iterable[str], what: str = "embedding") -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        batches = range(0, len(missing), self._batch)
        for start in progress_bar(batches, what, self._show_progress):
            chunk = missing[start : start + self._batch]
            for text, vector in zip(chunk, self._inner.encode(chunk), strict=True):
                self._cache[text] = vector

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.prefetch(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)


def progress_bar(items: Sequence[T], what: str, show: bool) -> Iterator[T]:
    if not show or len(items) < 2:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=what, file=sys.stderr, leave=False, mininterval=1.0)


@dataclass
class IntentRun:
    """What one harness run needs besides the data: the production pieces, injected."""

    embedder: Embedder
    calibration: Calibration = field(default_factory=Calibration)
    dense_languages: tuple[Language, ...] = ("en",)
    folds: int = 5
    seed: int = 13
    progress: Progress = _silent
    show_progress: bool = False
    # A model reference to fine-tune on each retriever's training utterances (None: no adaptation).
    adapt_from: str | None = None
    adaptation: AdaptationConfig = field(default_factory=AdaptationConfig)


@dataclass(frozen=True)
class Classified:
    predictions: list[Prediction]
    decisions: dict[str, float]  # share of queries per abstention decision


def build_intent_retriever(train: Sequence[Utterance], run: IntentRun) -> tuple[HybridRetriever, dict[str, str]]:
    entries, label_of = to_entries(train)
    if len(entries) < 2:
        raise ValueError(f"the training data needs at least 2 in-scope labels, found {len(entries)}")
    # Production fusion learning and abstention thresholds, without the product's calibrated fusion.
    calibration = Calibration(dict(run.calibration.thresholds), None)
    embedder = run.embedder if run.adapt_from is None else adapted_embedder(train, run)
    retriever = build_retriever(entries, embedder, calibration, _silent, run.dense_languages)
    return retriever, label_of


def adapted_embedder(train: Sequence[Utterance], run: IntentRun) -> Embedder:
    """The base model fine-tuned on these utterances, wrapped to embed each text once."""
    assert run.adapt_from is not None
    groups: dict[str, list[str]] = {}
    for u in train:
        if u.label != OOS and u.language in run.dense_languages:
            groups.setdefault(u.label, []).append(u.text)
    model, _ = fine_tune(run.adapt_from, groups, run.adaptation, run.progress, run.show_progress)
    name = f"{run.embedder.name} adapted to {len(train)} utterances (seed {run.adaptation.seed})"
    embedder = CachingEmbedder(SentenceTransformerEmbedder.of_model(model, name), show_progress=run.show_progress)
    embedder.prefetch((u.text for u in train if u.language in run.dense_languages), "embedding phrasings")
    return embedder


def classify(
    retriever: HybridRetriever, label_of: dict[str, str], queries: Sequence[Utterance], run: IntentRun
) -> Classified:
    """Each query through `HybridRetriever.search`, as a customer's question would go."""
    if isinstance(retriever.embedder, CachingEmbedder):
        retriever.embedder.prefetch((q.text for q in queries if q.language in run.dense_languages), "embedding queries")
    predictions: list[Prediction] = []
    counts = dict.fromkeys((d.value for d in Decision), 0)
    for query in progress_bar(queries, "classifying", run.show_progress):
        result = retriever.search(query.text, query.language, k=2)
        label = label_of[result.top.entry.id] if result.top else OOS
        predictions.append(Prediction(query.label, label, result.confidence))
        counts[result.decision.value] += 1
    total = max(1, len(queries))
    return Classified(predictions, {k: round(v / total, 4) for k, v in counts.items()})


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """A fold number per row: each label's rows shuffled and dealt round-robin from a random start."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(labels), dtype=np.int64)
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    for rows in by_label.values():
        start = int(rng.integers(folds))
        for position, row in enumerate(rng.permutation(rows)):
            out[row] = (start + position) % folds
    return out


def cross_validated_predictions(train: Sequence[Utterance], run: IntentRun) -> list[Prediction]:
    """Every training utterance predicted by a retriever built without its fold (see the module doc)."""
    if run.folds < 2:
        raise ValueError(f"--folds must be at least 2, got {run.folds}")
    labels = [u.label for u in train]
    fold_of = stratified_folds(labels, run.folds, run.seed)
    in_scope = list(dict.fromkeys(label for label in labels if label != OOS))
    simulate = len(in_scope) == len(set(labels))  # no real out-of-scope rows
    group_of: dict[str, int] = {}
    if simulate:
        if len(in_scope) < 3:
            raise ValueError("too few labels to simulate out-of-scope queries by leaving labels out")
        for position, label in enumerate(np.random.default_rng(run.seed + 1).permutation(in_scope)):
            group_of[str(label)] = position % run.folds
    predictions: list[Prediction] = []
    for fold in range(run.folds):
        held_labels = {label for label, group in group_of.items() if group == fold}
        index_rows = [u for u, f in zip(train, fold_of, strict=True) if f != fold and u.label not in held_labels]
        queries = [
            Utterance(u.text, OOS if u.label in held_labels else u.label, u.language)
            for u, f in zip(train, fold_of, strict=True)
            if f == fold
        ]
        run.progress(
            f"fold {fold + 1}/{run.folds}: indexing {len(index_rows)} utterances, "
            f"querying {len(queries)} ({sum(1 for q in queries if q.label == OOS)} out-of-scope)"
        )
        retriever, label_of = build_intent_retriever(index_rows, run)
        predictions += classify(retriever, label_of, queries, run).predictions
    return predictions


def choose_threshold(
    train: Sequence[Utterance],
    val: Sequence[Utterance] | None,
    run: IntentRun,
    built: tuple[HybridRetriever, dict[str, str]] | None = None,
) -> tuple[Row, list[Row], str]:
    """The chosen threshold's row on the selection data, that data's sweep, and how it was chosen
    (`built`: the retriever already built on all of `train`, if any)."""
    if val is not None and any(u.label == OOS for u in val):
        retriever, label_of = built or build_intent_retriever(train, run)
        run.progress(f"choosing the threshold on the validation set ({len(val)} utterances)")
        rows = sweep(classify(retriever, label_of, val, run).predictions)
        return best_by_mcc(rows), rows, "validation (best MCC)"
    how = "validation set has no out-of-scope queries; " if val is not None else ""
    run.progress(f"{how}choosing the threshold by {run.folds}-fold cross-validation on the training data")
    rows = sweep(cross_validated_predictions(train, run))
    return best_by_mcc(rows), rows, f"{run.folds}-fold cross-validation on training data (best MCC)"


def evaluate_intents(
    train: Sequence[Utterance],
    test: Sequence[Utterance],
    run: IntentRun,
    val: Sequence[Utterance] | None = None,
) -> dict[str, object]:
    """The sweep on the test set and the metrics at the threshold chosen without it (JSON-ready)."""
    started = time.perf_counter()
    run = IntentRun(**{**run.__dict__, "embedder": _caching(run.embedder, run.show_progress)})
    if isinstance(run.embedder, CachingEmbedder) and run.adapt_from is None:
        texts = [u.text for u in (*train, *(val or ()), *test) if u.language in run.dense_languages]
        run.progress(f"embedding {len(set(texts))} distinct utterances with {run.embedder.name}")
        run.embedder.prefetch(texts)
    run.progress(f"building the retriever on all {len(train)} training utterances")
    retriever, label_of = build_intent_retriever(train, run)
    chosen_selection, selection_rows, how = choose_threshold(train, val, run, (retriever, label_of))
    threshold = float(chosen_selection["threshold"] or 0.0)
    run.progress(f"chosen threshold {threshold:.1f}; classifying the {len(test)} test utterances")
    classified = classify(retriever, label_of, test, run)
    return {
        "sweep": sweep(classified.predictions, THRESHOLDS),
        "chosen": metrics_at(classified.predictions, threshold),
        "chosen_by": how,
        "selection": {"chosen": chosen_selection, "sweep": selection_rows},
        "decisions": classified.decisions,
        "abstention_rate": classified.decisions[Decision.ABSTAIN.value],
        "n_train": len(train),
        "n_labels": len(label_of),
        "n_test": len(test),
        "n_oos": sum(1 for u in test if u.label == OOS),
        "embedder": retriever.embedder.name,
        "adapted": run.adapt_from is not None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _caching(embedder: Embedder, show_progress: bool) -> Embedder:
    return embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder, show_progress=show_progress)
