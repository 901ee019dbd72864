"""Measuring the retriever on the development set, and choosing the abstention thresholds on it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict

from knowledge.abstention import Calibration, Decision, Thresholds
from knowledge.fusion import COLUMNS
from knowledge.language import LANGUAGES, Language
from knowledge.retriever import HybridRetriever

# Utility of each outcome when choosing thresholds: a wrong answer costs more than a question
# sent back, and answering an out-of-scope question costs most (it misleads the customer).
UTILITY = {
    ("in", Decision.ANSWER, True): 1.0,
    ("in", Decision.ANSWER, False): -2.0,
    ("in", Decision.CLARIFY, True): 0.5,
    ("in", Decision.CLARIFY, False): -0.25,
    # An abstention scores 0 whether or not the top entry happened to be right.
    ("in", Decision.ABSTAIN, True): 0.0,
    ("in", Decision.ABSTAIN, False): 0.0,
    ("out", Decision.ANSWER, False): -3.0,
    ("out", Decision.CLARIFY, False): -0.5,
    ("out", Decision.ABSTAIN, False): 1.0,
}
MAX_OUT_OF_SCOPE_ANSWERED = 0.05
CLARIFY_OPTIONS = 3


class DevQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    language: Language
    expected: str | None


def load_dev_set(path: Path) -> list[DevQuestion]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [DevQuestion.model_validate(q) for q in document.get("questions", [])]


@dataclass(frozen=True)
class Scored:
    """One dev question as the retriever saw it."""

    question: DevQuestion
    ranked_ids: list[str]
    scores: list[float]
    signal_top: dict[str, str]  # signal column -> the entry that column alone ranks first

    @property
    def confidence(self) -> float:
        return self.scores[0] if self.scores else 0.0

    @property
    def runner_up(self) -> float:
        return self.scores[1] if len(self.scores) > 1 else 0.0

    def outcome(self, thresholds: Thresholds) -> tuple[str, Decision, bool]:
        decision = thresholds.decide(self.confidence, self.runner_up)
        expected = self.question.expected
        if expected is None:
            return "out", decision, False
        if decision == Decision.CLARIFY:
            return "in", decision, expected in self.ranked_ids[:CLARIFY_OPTIONS]
        return "in", decision, bool(self.ranked_ids) and self.ranked_ids[0] == expected


def score_dev_set(retriever: HybridRetriever, questions: Sequence[DevQuestion]) -> list[Scored]:
    scored = []
    for question in questions:
        result = retriever.search(question.text, question.language, k=CLARIFY_OPTIONS + 2)
        vector = retriever.embedder.encode([question.text])[0]
        features = retriever.signals.features(question.text, vector, question.language)
        signal_top = {name: retriever.entries[int(np.argmax(features[:, j]))].id for j, name in enumerate(COLUMNS)}
        scored.append(
            Scored(question, [h.entry.id for h in result.hits], [h.score for h in result.hits], signal_top)
        )
    return scored


def report(scored: Sequence[Scored], calibration: Calibration) -> dict[str, dict[str, float]]:
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
            for name in COLUMNS:
                row[f"top1_{name}_only"] = _rate(s.signal_top[name] == s.question.expected for s in inside)
            outcomes = [s.outcome(calibration[lang]) for s in inside]
            row["answered_correct"] = _rate(d == Decision.ANSWER and ok for _, d, ok in outcomes)
            row["answered_wrong"] = _rate(d == Decision.ANSWER and not ok for _, d, ok in outcomes)
            row["clarified"] = _rate(d == Decision.CLARIFY for _, d, _ in outcomes)
            row["abstained"] = _rate(d == Decision.ABSTAIN for _, d, _ in outcomes)
        if outside:
            decisions = [s.outcome(calibration[lang])[1] for s in outside]
            row["out_of_scope_answered"] = _rate(d == Decision.ANSWER for d in decisions)
            row["out_of_scope_clarified"] = _rate(d == Decision.CLARIFY for d in decisions)
        out[lang] = row
    return out


def choose_thresholds(scored: Sequence[Scored]) -> Calibration:
    """Per language, the thresholds of highest utility that answer at most 5 % of out-of-scope questions."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    margins = np.round(np.arange(0.0, 0.51, 0.05), 2)
    chosen: Calibration = {}
    for lang in LANGUAGES:
        mine = [s for s in scored if s.question.language == lang]
        outside = [s for s in mine if s.question.expected is None]
        best: tuple[float, Thresholds] | None = None
        for answer, margin, clarify in itertools.product(grid, margins, grid):
            if clarify > answer:
                continue
            candidate = Thresholds(float(answer), float(margin), float(clarify))
            outcomes = [s.outcome(candidate) for s in mine]
            if outside:
                answered_out = sum(1 for s in outside if s.outcome(candidate)[1] == Decision.ANSWER)
                if answered_out / len(outside) > MAX_OUT_OF_SCOPE_ANSWERED:
                    continue
            utility = sum(UTILITY[o] for o in outcomes)
            if best is None or utility > best[0]:
                best = (utility, candidate)
        chosen[lang] = best[1] if best else Thresholds()
    return chosen


def _rate(values: object) -> float:
    items = list(values)  # type: ignore[call-overload]
    return round(sum(1 for v in items if v) / len(items), 4) if items else 0.0
