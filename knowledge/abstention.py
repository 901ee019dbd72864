"""When to answer, when to ask "did you mean", when to say nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
        return Decision.CLARIFY
