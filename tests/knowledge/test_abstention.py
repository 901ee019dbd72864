from __future__ import annotations

from pathlib import Path

from knowledge.abstention import Decision, Thresholds, offered
from knowledge.calibration import Calibration, language_notes, load_calibration, save_calibration
from knowledge.fusion import FusionWeights


def test_decision_from_confidence_and_margin() -> None:
    thresholds = Thresholds(answer=0.6, margin=0.2, clarify=0.3)
    assert thresholds.decide(0.9, 0.1) == Decision.ANSWER
    assert thresholds.decide(0.9, 0.8) == Decision.CLARIFY  # a near tie
    assert thresholds.decide(0.5, 0.2) == Decision.CLARIFY  # not sure enough to answer, and a rival
    assert thresholds.decide(0.5, 0.1) == Decision.ANSWER  # no rival: "did you mean" would offer one entry
    assert thresholds.decide(0.2, 0.0) == Decision.ABSTAIN


def test_a_did_you_mean_offers_the_entries_that_compete() -> None:
    assert offered([0.6, 0.5, 0.2, 0.1]) == 3  # at least a quarter of the first's score, at most three
    assert offered([0.6, 0.14]) == 1
    assert offered([]) == 0


def test_calibration_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "calibration.yml"
    fusion = FusionWeights(weights={"zh": [1.0, 2.0, 3.0], "en": [3.0, 2.0, 1.0]}, bias={"zh": -1.0, "en": -2.0})
    save_calibration(
        path, Calibration({"zh": Thresholds(0.7, 0.1, 0.2), "en": Thresholds(0.5, 0.05, 0.25)}, fusion), "test"
    )
    loaded = load_calibration(path)
    assert loaded.thresholds["zh"] == Thresholds(0.7, 0.1, 0.2)
    assert loaded.thresholds["en"] == Thresholds(0.5, 0.05, 0.25)
    assert loaded.fusion == fusion


def test_missing_calibration_falls_back_to_defaults(tmp_path: Path) -> None:
    assert load_calibration(tmp_path / "absent.yml") == Calibration()


def test_a_partial_refit_keeps_the_other_languages_notes() -> None:
    assert language_notes("zh: by calibrate\nen: through the routing") == {
        "zh": "by calibrate",
        "en": "through the routing",
    }
    assert language_notes("Fitted by calibrate on dev.yml") == dict.fromkeys(
        ("zh", "en"), "Fitted by calibrate on dev.yml"
    )
