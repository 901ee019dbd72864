"""Measuring the retriever on the development set, and calibrating it there.

Calibration fits, per language, the fusion weights (a logistic model over the three signals, on the
dev questions' candidates) and the abstention thresholds (a grid search for the best utility). The
dev set is also what we report on, so `cross_validate` gives the honest figure: every question is
scored by weights and thresholds fitted without it (k folds).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict

from knowledge.abstention import Decision, Thresholds
from knowledge.calibration import Calibration
from knowledge.fusion import SIGNALS, FusionWeights, Samples, expand, fit_fusion
from knowledge.language import LANGUAGES, Language
from knowledge.retriever import HybridRetriever

# Utility of each outcome when choosing thresholds: a wrong answer costs more than a question
# sent back, and answering an out-of-scope question costs most (it misleads the customer).
UTILITY = {
    ("in", Decision.ANSWER, True): 1.0,
    ("in", Decision.ANSWER, False): -2.0,
    ("in", Decision.CLARIFY, True): 0.5,
    ("in", Decision.CLARIFY, False): -0.25,
    ("in", Decision.ABSTAIN, True): 0.0,
    ("in", Decision.ABSTAIN, False): 0.0,
    ("out", Decision.ANSWER, False): -3.0,
    ("out", Decision.CLARIFY, False): -0.5,
    ("out", Decision.ABSTAIN, False): 1.0,
}
MAX_OUT_OF_SCOPE_ANSWERED = 0.05
CLARIFY_OPTIONS = 3
FOLDS = 5
SEED = 7


class DevQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    language: Language
    expected: str | None


def load_dev_set(path: Path) -> list[DevQuestion]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [DevQuestion.model_validate(q) for q in document.get("questions", [])]


def load_dev_sets(path: Path, extra: Sequence[Path] = ()) -> list[DevQuestion]:
    """The dev set and extra files in its format (e.g. questions labelled in the console). A question
    of an extra file replaces the same words (blanks and case aside) met before: the later label wins."""
    questions = load_dev_set(path)
    position = {_words(q): i for i, q in enumerate(questions)}
    for extra_path in extra:
        for question in load_dev_set(extra_path):
            key = _words(question)
            if key in position:
                questions[position[key]] = question
            else:
                position[key] = len(questions)
                questions.append(question)
    return questions


def _words(question: DevQuestion) -> tuple[str, str]:
    return question.language, " ".join(question.text.split()).casefold()


def known_questions(
    questions: Sequence[DevQuestion], entry_ids: Collection[str]
) -> tuple[list[DevQuestion], list[DevQuestion]]:
    """The questions whose expected entry is in the knowledge base (or none is expected), and the
    others: scoring those would count every answer as wrong (an entry made in the console after the
    seed files were exported, say)."""
    kept = [q for q in questions if q.expected is None or q.expected in entry_ids]
    return kept, [q for q in questions if q.expected is not None and q.expected not in entry_ids]


@dataclass(frozen=True)
class Featurised:
    """A dev question's three raw signals for every entry, computed once."""

    question: DevQuestion
    features: npt.NDArray[np.float32]  # (entries, signals)
    expected: int | None  # row of the expected entry


@dataclass(frozen=True)
class Scored:
    """One dev question ranked by a fusion, with the thresholds that decide it."""

    question: DevQuestion
    ranked_ids: list[str]
    scores: list[float]
    signal_top: dict[str, str]  # signal name -> the entry that signal alone ranks first
    thresholds: Thresholds

    @property
    def confidence(self) -> float:
        return self.scores[0] if self.scores else 0.0

    @property
    def runner_up(self) -> float:
        return self.scores[1] if len(self.scores) > 1 else 0.0

    def outcome(self, thresholds: Thresholds | None = None) -> tuple[str, Decision, bool]:
        decision = (thresholds or self.thresholds).decide(self.confidence, self.runner_up)
        expected = self.question.expected
        if expected is None:
            return "out", decision, False
        if decision == Decision.CLARIFY:
            return "in", decision, expected in self.ranked_ids[:CLARIFY_OPTIONS]
        return "in", decision, bool(self.ranked_ids) and self.ranked_ids[0] == expected


def featurise(retriever: HybridRetriever, questions: Sequence[DevQuestion]) -> list[Featurised]:
    rows = {entry.id: row for row, entry in enumerate(retriever.entries)}
    return [
        Featurised(
            q,
            retriever.signals.features(q.text, retriever.query_vector(q.text, q.language), q.language),
            rows.get(q.expected or ""),
        )
        for q in questions
    ]


def rank(
    retriever: HybridRetriever, items: Sequence[Featurised], fusion: FusionWeights, calibration: Calibration
) -> list[Scored]:
    ids = [e.id for e in retriever.entries]
    scored = []
    for item in items:
        lang = item.question.language
        scores = fusion.score(item.features, lang)
        order = np.argsort(-scores, kind="stable")[: CLARIFY_OPTIONS + 2]
        signal_top = {name: ids[int(np.argmax(item.features[:, j]))] for j, name in enumerate(SIGNALS)}
        scored.append(
            Scored(
                item.question,
                [ids[i] for i in order],
                [float(scores[i]) for i in order],
                signal_top,
                calibration.thresholds[lang],
            )
        )
    return scored


def fit_fusion_on(items: Sequence[Featurised], start: FusionWeights) -> FusionWeights:
    """Per language, whether each candidate is the expected entry; out-of-scope questions contribute
    only negatives, which teaches the fusion to give them low confidence."""
    samples: Samples = {lang: ([], []) for lang in LANGUAGES}
    for item in items:
        features, labels = samples[item.question.language]
        features.append(expand(item.features))
        labels.append(np.arange(len(item.features)) == (item.expected if item.expected is not None else -1))
    return fit_fusion(samples, start)


def choose_thresholds(scored: Sequence[Scored]) -> dict[Language, Thresholds]:
    """Per language, the thresholds of highest utility that answer at most 5 % of out-of-scope questions."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    margins = np.round(np.arange(0.0, 0.51, 0.05), 2)
    chosen: dict[Language, Thresholds] = {}
    for lang in LANGUAGES:
        mine = [s for s in scored if s.question.language == lang]
        outside = [s for s in mine if s.question.expected is None]
        best: tuple[float, Thresholds] | None = None
        for answer, margin, clarify in itertools.product(grid, margins, grid):
            if clarify > answer:
                continue
            candidate = Thresholds(float(answer), float(margin), float(clarify))
            if outside:
                answered_out = sum(1 for s in outside if s.outcome(candidate)[1] == Decision.ANSWER)
                if answered_out / len(outside) > MAX_OUT_OF_SCOPE_ANSWERED:
                    continue
            utility = sum(UTILITY[s.outcome(candidate)] for s in mine)
            if best is None or utility > best[0]:
                best = (utility, candidate)
        chosen[lang] = best[1] if best else Thresholds()
    return chosen


def calibrate(retriever: HybridRetriever, items: Sequence[Featurised]) -> Calibration:
    """Fusion weights, then thresholds on the scores that fusion gives."""
    fusion = fit_fusion_on(items, retriever.learned_fusion)
    scored = rank(retriever, items, fusion, Calibration())
    return Calibration(choose_thresholds(scored), fusion)


def cross_validate(retriever: HybridRetriever, items: Sequence[Featurised], folds: int = FOLDS) -> list[Scored]:
    """Every question scored by a calibration fitted on the other folds."""
    order = np.random.default_rng(SEED).permutation(len(items))
    out: list[Scored] = []
    for fold in np.array_split(order, folds):
        held = set(fold.tolist())
        calibration = calibrate(retriever, [items[i] for i in range(len(items)) if i not in held])
        assert calibration.fusion is not None
        out += rank(retriever, [items[i] for i in sorted(held)], calibration.fusion, calibration)
    return out


def report(scored: Sequence[Scored]) -> dict[str, dict[str, float]]:
    """Per language: ranking accuracy (fused and per signal), what the decisions did, out-of-scope."""
    out: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        mine = [s for s in scored if s.question.language == lang]
        inside = [s for s in mine if s.question.expected is not None]
        outside = [s for s in mine if s.question.expected is None]
        row: dict[str, float] = {"questions": len(inside), "out_of_scope_questions": len(outside)}
        if inside:
            row["top1"] = _rate(s.ranked_ids[:1] == [s.question.expected] for s in inside)
            row["top3"] = _rate(s.question.expected in s.ranked_ids[:3] for s in inside)
            for name in SIGNALS:
                row[f"top1_{name}_only"] = _rate(s.signal_top[name] == s.question.expected for s in inside)
            outcomes = [s.outcome() for s in inside]
            row["answered_correct"] = _rate(d == Decision.ANSWER and ok for _, d, ok in outcomes)
            row["answered_wrong"] = _rate(d == Decision.ANSWER and not ok for _, d, ok in outcomes)
            row["clarified"] = _rate(d == Decision.CLARIFY for _, d, _ in outcomes)
            row["clarified_with_right_option"] = _rate(d == Decision.CLARIFY and ok for _, d, ok in outcomes)
            row["abstained"] = _rate(d == Decision.ABSTAIN for _, d, _ in outcomes)
        if outside:
            decisions = [s.outcome()[1] for s in outside]
            row["out_of_scope_answered"] = _rate(d == Decision.ANSWER for d in decisions)
            row["out_of_scope_clarified"] = _rate(d == Decision.CLARIFY for d in decisions)
        out[lang] = row
    return out


def _rate(values: object) -> float:
    items = list(values)  # type: ignore[call-overload]
    return round(sum(1 for v in items if v) / len(items), 4) if items else 0.0
