"""When to answer, when to ask "did you mean", when to say nothing: thresholds per language.

The thresholds are chosen on the development set by `python -m knowledge calibrate` and kept in
`knowledge/calibration.yml`, reviewable in git.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from knowledge.language import LANGUAGES, Language


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


Calibration = dict[Language, Thresholds]


def default_calibration() -> Calibration:
    return {lang: Thresholds() for lang in LANGUAGES}


def load_calibration(path: Path) -> Calibration:
    """Thresholds per language from YAML; languages the file does not name keep the defaults."""
    calibration = default_calibration()
    if not path.exists():
        return calibration
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for lang in LANGUAGES:
        values = (document.get("thresholds") or {}).get(lang)
        if values:
            calibration[lang] = Thresholds(**{k: float(v) for k, v in values.items()})
    return calibration


def save_calibration(path: Path, calibration: Calibration, note: str) -> None:
    document = {"note": note, "thresholds": {lang: asdict(t) for lang, t in calibration.items()}}
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
