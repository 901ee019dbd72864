"""Intent-detection metrics under the HINT3 protocol.

A prediction is a label and a confidence; below the threshold it becomes out-of-scope (`OOS`).
Accuracy is over every query, in-scope accuracy over queries whose gold label is in scope, OOS
recall is the share of out-of-scope queries predicted out-of-scope (None without any), weighted F1
and MCC (scikit-learn) treat out-of-scope as one more class. Rates are fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.datasets import OOS

THRESHOLDS: tuple[float, ...] = tuple(round(0.1 * step, 1) for step in range(1, 10))
METRIC_KEYS = ("threshold", "accuracy", "inscope_accuracy", "oos_recall", "weighted_f1", "mcc")

Row = dict[str, float | None]


@dataclass(frozen=True)
class Prediction:
    gold: str
    label: str  # the top hit's label, before any threshold
    confidence: float


def apply_threshold(predictions: Sequence[Prediction], threshold: float) -> list[str]:
    return [p.label if p.confidence >= threshold else OOS for p in predictions]


def metrics_at(predictions: Sequence[Prediction], threshold: float) -> Row:
    """The metrics of one threshold (rounded to 4 decimals)."""
    from sklearn.metrics import f1_score

    if not predictions:
        raise ValueError("no predictions to measure")
    gold = [p.gold for p in predictions]
    predicted = apply_threshold(predictions, threshold)
    pairs = list(zip(gold, predicted, strict=True))
    inside = [(g, p) for g, p in pairs if g != OOS]
    outside = [(g, p) for g, p in pairs if g == OOS]
    return {
        "threshold": round(threshold, 4),
        "accuracy": _rate(g == p for g, p in pairs),
        "inscope_accuracy": _rate(g == p for g, p in inside) if inside else None,
        "oos_recall": _rate(p == OOS for _, p in outside) if outside else None,
        "weighted_f1": round(float(f1_score(gold, predicted, average="weighted", zero_division=0)), 4),
        "mcc": round(_mcc(gold, predicted), 4),
    }


def sweep(predictions: Sequence[Prediction], thresholds: Sequence[float] = THRESHOLDS) -> list[Row]:
    return [metrics_at(predictions, t) for t in thresholds]


def best_by_mcc(rows: Sequence[Row]) -> Row:
    """The row of highest MCC; ties go to the lowest threshold (it answers more)."""
    return max(rows, key=lambda r: (r["mcc"] or 0.0, -(r["threshold"] or 0.0)))


def _mcc(gold: list[str], predicted: list[str]) -> float:
    # A constant prediction or gold makes MCC undefined: scikit-learn returns 0 for it, so do we,
    # without its warning.
    if len(set(gold)) < 2 and len(set(predicted)) < 2:
        return 0.0
    import warnings

    from sklearn.metrics import matthews_corrcoef

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(matthews_corrcoef(gold, predicted))


def _rate(values: object) -> float:
    items = list(values)  # type: ignore[call-overload]
    return round(sum(1 for v in items if v) / len(items), 4) if items else 0.0


def metric_line(row: Row, keys: Sequence[str] = METRIC_KEYS) -> str:
    """One printed row of the sweep table (– where a metric is undefined, e.g. no OOS queries)."""
    return "  ".join(
        f"{value:>16.4f}" if isinstance(value, float) else f"{'–':>16}" for value in (row[k] for k in keys)
    )


def print_report(result: Mapping[str, Any], test_name: object) -> None:
    """The selection data's sweep, the test sweep and the chosen threshold's row, as both harnesses print them."""
    selection = result["selection"]
    for title, rows in (
        (f"selection data: {result['chosen_by']}", selection["sweep"]),
        (f"test: {test_name} ({result['n_test']} utterances, {result['n_oos']} out-of-scope)", result["sweep"]),
    ):
        print(title)
        print("  ".join(f"{key:>16}" for key in METRIC_KEYS))
        for row in rows:
            print(metric_line(row))
    print(f"chosen threshold {result['chosen']['threshold']} by {result['chosen_by']}:")
    print(metric_line(result["chosen"]))
