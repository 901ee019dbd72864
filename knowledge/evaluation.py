"""Measuring the retriever on the development set, and calibrating it there.

Calibration fits, per language, the fusion weights (a logistic model over the three signals, on the
dev questions' candidates) and the abstention thresholds (a grid search for the least cost, `COSTS`). The
dev set is also what we report on, so `cross_validate` gives the honest figure: every question is
scored by weights and thresholds fitted without it (k folds).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict

from knowledge.abstention import CLARIFY_OPTIONS, Decision, Thresholds, offered
from knowledge.calibration import Calibration
from knowledge.conversation_sets import Conversation, Turn, conversations_of
from knowledge.follow_ups import Ranked, leans_on_previous, read_after, reads_better
from knowledge.fusion import SIGNALS, FusionWeights, Samples, expand, fit_fusion
from knowledge.language import LANGUAGES, Language, detect_language
from knowledge.retriever import HybridRetriever

# What each outcome costs the customer, as the end-to-end evaluation scores a turn (docs/e2e-evaluation.md);
# the thresholds chosen cost least in all. A right answer costs nothing. A "did you mean" with the right
# entry among its options costs a click (a needless one when the first was right). Asked to rephrase, the
# customer must write again and may give up. A "did you mean" without the right entry costs that and a
# wrong lead. A wrong answer misleads: it costs most, answering an out-of-scope question more still; a
# "did you mean" on one costs more than a miss on an in-scope one (the customer is led on for nothing).
COSTS = {
    ("in", Decision.ANSWER, True): 0.0,
    ("in", Decision.CLARIFY, True): 0.5,
    ("in", Decision.ABSTAIN, True): 1.0,
    ("in", Decision.ABSTAIN, False): 1.0,
    ("in", Decision.CLARIFY, False): 1.25,
    ("in", Decision.ANSWER, False): 3.0,
    ("out", Decision.ABSTAIN, False): 0.0,
    ("out", Decision.CLARIFY, False): 1.5,
    ("out", Decision.ANSWER, False): 4.0,
}
MAX_OUT_OF_SCOPE_ANSWERED = 0.05
# A question the running system keeps from the knowledge base (a greeting, a lookup, a decline): in scope,
# the customer got no answer, as when asked to rephrase; out of scope, nothing was answered.
ROUTED_AWAY = {"in": 1.0, "out": 0.0}
FOLDS = 5
SEED = 7


class DevQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    language: Language
    expected: str | None
    # Other entries that answer it as well (the end-to-end sets name every entry that does).
    also: tuple[str, ...] = ()
    # The question a follow-up leans on: the app searches it read after that one as well (follow_ups.py).
    previous: str | None = None

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.expected, *self.also)) if self.expected is not None else frozenset()


# Whether the running system hands a question to the knowledge base when the retriever decides so with
# that confidence: Rasa's routing step weighs it against DIET's intent (bench.routed_calibration replays
# it). Without one, every question reaches the knowledge base: the retriever measured alone.
Routing = Callable[[DevQuestion, Decision, float], bool]


def load_dev_set(path: Path) -> list[DevQuestion]:
    """The questions of a dev-format file (`questions:`), or of an end-to-end set (`conversations:`)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "conversations" in document:
        return conversation_questions(conversations_of(document))
    return [DevQuestion.model_validate(q) for q in document.get("questions", [])]


def conversation_questions(conversations: Sequence[Conversation]) -> list[DevQuestion]:
    """An end-to-end set's questions for the retriever: each conversation's first message when it is a
    knowledge-base question (with the entries that answer it) or out of scope (a later message leans
    on the earlier ones; a case, a lookup or a handoff is not the retriever's to answer)."""
    return [q for conversation in conversations if (q := _question(conversation.turns[0])) is not None]


def conversation_turns(conversations: Sequence[Conversation]) -> list[DevQuestion]:
    """Every knowledge-base question (with the entries that answer it) and out-of-scope message of an
    end-to-end set: a follow-up that leans on a knowledge-base question just before it carries that
    question (`previous`). The app reads a follow-up after the previous question only when that one was
    answered or clarified; here whenever it was labelled a knowledge-base question (docs/routing.md)."""
    questions = []
    for conversation in conversations:
        for before, turn in zip((None, *conversation.turns), conversation.turns, strict=False):
            follows = before is not None and before.expect == "answer"
            leaning = follows and leans_on_previous(turn.text, detect_language(turn.text))
            previous = before.text if leaning and before is not None else None
            if (question := _question(turn, previous)) is not None:
                questions.append(question)
    return questions


def _question(turn: Turn, previous: str | None = None) -> DevQuestion | None:
    """A turn as a question for the retriever: a knowledge-base question or out of scope, else None."""
    language = detect_language(turn.text)
    if turn.expect == "answer" and turn.entries:
        expected, also = turn.entries[0], turn.entries[1:]
        return DevQuestion(text=turn.text, language=language, expected=expected, also=also, previous=previous)
    if turn.expect == "decline":
        return DevQuestion(text=turn.text, language=language, expected=None, previous=previous)
    return None


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
    kept = [q for q in questions if q.accepted <= set(entry_ids)]
    return kept, [q for q in questions if not q.accepted <= set(entry_ids)]


@dataclass(frozen=True)
class Featurised:
    """A dev question's three raw signals for every entry, computed once."""

    question: DevQuestion
    features: npt.NDArray[np.float32]  # (entries, signals)
    accepted: frozenset[int]  # rows of the entries that answer it (none: out of scope)
    joined: npt.NDArray[np.float32] | None = None  # a follow-up's signals read after the previous question


@dataclass(frozen=True)
class Scored:
    """One dev question ranked by a fusion, with the thresholds that decide it."""

    question: DevQuestion
    ranked_ids: list[str]
    scores: list[float]
    signal_top: dict[str, str]  # signal name -> the entry that signal alone ranks first
    thresholds: Thresholds
    joined: Scored | None = None  # a follow-up ranked read after the previous question

    @property
    def confidence(self) -> float:
        return self.scores[0] if self.scores else 0.0

    @property
    def runner_up(self) -> float:
        return self.scores[1] if len(self.scores) > 1 else 0.0

    def decision(self, thresholds: Thresholds | None = None) -> Decision:
        return (thresholds or self.thresholds).decide(self.confidence, self.runner_up)

    def reading(self, thresholds: Thresholds | None = None) -> Scored:
        """The ranking the app goes on: a follow-up's joined one when it reads better (engine/routing_evidence.py)."""
        alone = self.decision(thresholds)
        if self.joined is None or alone == Decision.ANSWER:
            return self
        together = self.joined.decision(thresholds)
        chosen = reads_better(
            Ranked(together, self.joined.ranked_ids, self.joined.scores), Ranked(alone, self.ranked_ids, self.scores)
        )
        return self.joined if chosen else self

    def outcome(self, thresholds: Thresholds | None = None) -> tuple[str, Decision, bool]:
        reading = self.reading(thresholds)
        if reading is not self:
            return reading.outcome(thresholds)
        decision = self.decision(thresholds)
        accepted = self.question.accepted
        if not accepted:
            return "out", decision, False
        if decision == Decision.CLARIFY:
            return "in", decision, bool(accepted & set(self.ranked_ids[: offered(self.scores)]))
        return "in", decision, bool(self.ranked_ids) and self.ranked_ids[0] in accepted


def featurise(retriever: HybridRetriever, questions: Sequence[DevQuestion]) -> list[Featurised]:
    rows = {entry.id: row for row, entry in enumerate(retriever.entries)}

    def features(text: str, language: Language) -> npt.NDArray[np.float32]:
        return retriever.signals.features(text, retriever.query_vector(text, language), language)

    return [
        Featurised(
            q,
            features(q.text, q.language),
            frozenset(rows[entry] for entry in q.accepted if entry in rows),
            features(read_after(q.previous, q.text), q.language) if q.previous else None,
        )
        for q in questions
    ]


def rank(
    retriever: HybridRetriever, items: Sequence[Featurised], fusion: FusionWeights, calibration: Calibration
) -> list[Scored]:
    ids = [e.id for e in retriever.entries]

    def ranked(question: DevQuestion, features: npt.NDArray[np.float32], joined: Scored | None = None) -> Scored:
        scores = fusion.score(features, question.language)
        order = np.argsort(-scores, kind="stable")[: CLARIFY_OPTIONS + 2]
        return Scored(
            question,
            [ids[i] for i in order],
            [float(scores[i]) for i in order],
            {name: ids[int(np.argmax(features[:, j]))] for j, name in enumerate(SIGNALS)},
            calibration.thresholds[question.language],
            joined,
        )

    return [
        ranked(item.question, item.features, None if item.joined is None else ranked(item.question, item.joined))
        for item in items
    ]


def fit_fusion_on(items: Sequence[Featurised], start: FusionWeights) -> FusionWeights:
    """Per language, whether each candidate is the expected entry; out-of-scope questions contribute
    only negatives, which teaches the fusion to give them low confidence."""
    samples: Samples = {lang: ([], []) for lang in LANGUAGES}
    for item in items:
        features, labels = samples[item.question.language]
        features.append(expand(item.features))
        labels.append(np.isin(np.arange(len(item.features)), list(item.accepted)))
    return fit_fusion(samples, start)


def choose_thresholds(scored: Sequence[Scored], routing: Routing | None = None) -> dict[Language, Thresholds]:
    """Per language, the thresholds of least cost (`COSTS`, `ROUTED_AWAY`) that answer at most 5 % of
    out-of-scope questions, on what reaches the knowledge base through `routing`."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    margins = np.round(np.arange(0.0, 0.51, 0.05), 2)
    chosen: dict[Language, Thresholds] = {}
    for lang in LANGUAGES:
        mine = [s for s in scored if s.question.language == lang]
        reaching = _reaching(mine, routing)
        outside = [i for i, s in enumerate(mine) if s.question.expected is None]
        best: tuple[float, Thresholds] | None = None
        for answer, margin, clarify in itertools.product(grid, margins, grid):
            if clarify > answer:
                continue
            candidate = Thresholds(float(answer), float(margin), float(clarify))
            readings = [s.reading(candidate) for s in mine]
            outcomes = [r.outcome(candidate) for r in readings]
            reached = [reaching[i, r is not mine[i], outcomes[i][1]] for i, r in enumerate(readings)]
            if outside:
                answered_out = sum(1 for i in outside if outcomes[i][1] == Decision.ANSWER and reached[i])
                if answered_out / len(outside) > MAX_OUT_OF_SCOPE_ANSWERED:
                    continue
            cost = sum(COSTS[outcome] if reached[i] else ROUTED_AWAY[outcome[0]] for i, outcome in enumerate(outcomes))
            if best is None or cost < best[0]:
                best = (cost, candidate)
        chosen[lang] = best[1] if best else Thresholds()
    return chosen


def total_cost(scored: Sequence[Scored], routing: Routing | None = None) -> dict[Language, float]:
    """Per language, what the decisions of each question's own thresholds cost in all (`COSTS`, `ROUTED_AWAY`)."""
    totals: dict[Language, float] = dict.fromkeys(LANGUAGES, 0.0)
    for s in scored:
        scope, decision, right = _routed_outcome(s, routing)
        totals[s.question.language] += ROUTED_AWAY[scope] if decision is None else COSTS[scope, decision, right]
    return totals


def _reaching(scored: Sequence[Scored], routing: Routing | None) -> dict[tuple[int, bool, Decision], bool]:
    """Whether each question (by position) reaches the knowledge base under each decision the thresholds
    may give it, read alone or (a follow-up) joined: each reading's confidence is fixed, so a few calls a
    question serve the whole grid."""
    return {
        (i, joined, decision): routing is None or routing(s.question, decision, reading.confidence)
        for i, s in enumerate(scored)
        for joined, reading in ((False, s), (True, s.joined))
        if reading is not None
        for decision in Decision
    }


def calibrate(retriever: HybridRetriever, items: Sequence[Featurised], routing: Routing | None = None) -> Calibration:
    """Fusion weights, then thresholds on the scores that fusion gives (through `routing` when given)."""
    fusion = fit_fusion_on(items, retriever.learned_fusion)
    scored = rank(retriever, items, fusion, Calibration())
    return Calibration(choose_thresholds(scored, routing), fusion)


def cross_validate(
    retriever: HybridRetriever, items: Sequence[Featurised], folds: int = FOLDS, routing: Routing | None = None
) -> list[Scored]:
    """Every question scored by a calibration fitted on the other folds."""
    order = np.random.default_rng(SEED).permutation(len(items))
    out: list[Scored] = []
    for fold in np.array_split(order, folds):
        held = set(fold.tolist())
        calibration = calibrate(retriever, [items[i] for i in range(len(items)) if i not in held], routing)
        assert calibration.fusion is not None
        out += rank(retriever, [items[i] for i in sorted(held)], calibration.fusion, calibration)
    return out


def report(scored: Sequence[Scored], routing: Routing | None = None) -> dict[str, dict[str, float]]:
    """Per language: ranking accuracy (fused and per signal), what the decisions did, out-of-scope.
    Through `routing`, a question the running system keeps from the knowledge base counts as `routed_away`."""
    out: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        mine = [s for s in scored if s.question.language == lang]
        inside = [s for s in mine if s.question.expected is not None]
        outside = [s for s in mine if s.question.expected is None]
        row: dict[str, float] = {"questions": len(inside), "out_of_scope_questions": len(outside)}
        if inside:
            row["top1"] = _rate(s.ranked_ids[0] in s.question.accepted for s in inside)
            row["top3"] = _rate(bool(s.question.accepted & set(s.ranked_ids[:3])) for s in inside)
            for name in SIGNALS:
                row[f"top1_{name}_only"] = _rate(s.signal_top[name] in s.question.accepted for s in inside)
            outcomes = [_routed_outcome(s, routing) for s in inside]
            row["answered_correct"] = _rate(d == Decision.ANSWER and ok for _, d, ok in outcomes)
            row["answered_wrong"] = _rate(d == Decision.ANSWER and not ok for _, d, ok in outcomes)
            row["clarified"] = _rate(d == Decision.CLARIFY for _, d, _ in outcomes)
            row["clarified_with_right_option"] = _rate(d == Decision.CLARIFY and ok for _, d, ok in outcomes)
            row["abstained"] = _rate(d == Decision.ABSTAIN for _, d, _ in outcomes)
            if routing is not None:
                row["routed_away"] = _rate(d is None for _, d, _ in outcomes)
        if outside:
            decisions = [_routed_outcome(s, routing)[1] for s in outside]
            row["out_of_scope_answered"] = _rate(d == Decision.ANSWER for d in decisions)
            row["out_of_scope_clarified"] = _rate(d == Decision.CLARIFY for d in decisions)
            if routing is not None:
                row["out_of_scope_routed_away"] = _rate(d is None for d in decisions)
        out[lang] = row
    return out


def _routed_outcome(scored: Scored, routing: Routing | None) -> tuple[str, Decision | None, bool]:
    """The outcome with the thresholds in use; its decision None when `routing` keeps it from the knowledge base."""
    scope, decision, right = scored.outcome()
    if routing is not None and not routing(scored.question, decision, scored.reading().confidence):
        return scope, None, False
    return scope, decision, right


def _rate(values: object) -> float:
    items = list(values)  # type: ignore[call-overload]
    return round(sum(1 for v in items if v) / len(items), 4) if items else 0.0
