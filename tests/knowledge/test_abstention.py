from __future__ import annotations

from pathlib import Path

from knowledge.abstention import Decision, Thresholds, load_calibration, save_calibration


def test_decision_from_confidence_and_margin() -> None:
    thresholds = Thresholds(answer=0.6, margin=0.2, clarify=0.3)
    assert thresholds.decide(0.9, 0.1) == Decision.ANSWER
    assert thresholds.decide(0.9, 0.8) == Decision.CLARIFY  # a near tie
    assert thresholds.decide(0.5, 0.0) == Decision.CLARIFY  # not sure enough to answer
    assert thresholds.decide(0.2, 0.0) == Decision.ABSTAIN


def test_calibration_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "calibration.yml"
    save_calibration(path, {"zh": Thresholds(0.7, 0.1, 0.2), "en": Thresholds(0.5, 0.05, 0.25)}, "test")
    loaded = load_calibration(path)
    assert loaded["zh"] == Thresholds(0.7, 0.1, 0.2)
    assert loaded["en"] == Thresholds(0.5, 0.05, 0.25)


def test_missing_calibration_falls_back_to_defaults(tmp_path: Path) -> None:
    assert load_calibration(tmp_path / "absent.yml")["zh"] == Thresholds()
