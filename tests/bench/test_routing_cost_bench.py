"""The routing cost benchmark's arithmetic (bench/routing_cost.py); the run itself needs both systems."""

from __future__ import annotations

from bench.routing_cost import SYSTEMS, TARGET_MS, figures


def measured(
    evidence_faq: list[float], diet_faq: list[float], mismatches: list[str] | None = None
) -> dict[str, object]:
    greeting = [10.0, 12.0, 14.0]
    return {
        "times": {
            "evidence": {"faq": evidence_faq, "greeting": greeting},
            "diet_only": {"faq": diet_faq, "greeting": greeting},
        },
        "mismatches": mismatches or [],
    }


def test_the_added_p50_against_the_target() -> None:
    within = figures(measured([80.0, 90.0, 100.0], [78.0, 85.0, 95.0]))
    assert within["faq_p50_added_ms"] == 5.0 and within["faq_within_target"] is True
    assert within["greeting_p50_added_ms"] == 0.0
    over = figures(measured([120.0, 130.0, 140.0], [80.0, 90.0, 100.0], ["diet_only: 'hi' → fallback"]))
    assert over["faq_p50_added_ms"] == 40.0 > TARGET_MS and over["faq_within_target"] is False
    assert over["mismatches"] == 1


def test_no_timed_turn_is_no_figure() -> None:
    assert figures(measured([], [80.0]))["faq_within_target"] is False


def test_the_second_system_routes_on_diet_alone() -> None:
    assert SYSTEMS["evidence"] == {} and SYSTEMS["diet_only"] == {"APP_ROUTING_EVIDENCE": "false"}
