"""When to answer, when to ask "did you mean", when to say nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# A "did you mean" offers at most this many entries, each scoring at least this share of the first's:
# entries that really compete, not the tail of the ranking.
CLARIFY_OPTIONS = 3
OPTION_SHARE = 0.25


class Decision(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class Thresholds:
    """`answer`: lowest confidence answered outright; `margin`: lowest lead over the runner-up
    answered outright; `clarify`: lowest confidence still offered as a "did you mean" option."""

    answer: float = 0.5
    margin: float = 0.1
    clarify: float = 0.3

    def decide(self, confidence: float, runner_up: float) -> Decision:
        if confidence < self.clarify:
            return Decision.ABSTAIN
        if confidence >= self.answer and confidence - runner_up >= self.margin:
            return Decision.ANSWER
        if runner_up < confidence * OPTION_SHARE:
            return Decision.ANSWER  # nothing competes: a "did you mean" would offer this one entry alone
        return Decision.CLARIFY


def offered(scores: Sequence[float]) -> int:
    """How many of the ranked candidates (their scores, best first) a "did you mean" offers."""
    if not scores:
        return 0
    return sum(1 for score in scores[:CLARIFY_OPTIONS] if score >= scores[0] * OPTION_SHARE)
