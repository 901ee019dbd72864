"""`bench.report`: docs/benchmarks.md from results records, tolerant of missing ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import read_results, refresh, render
from bench.report_replicas import cluster_targets
from bench.report_single import retrieval_p50, retrieval_p50s, retrieval_targets, turn_targets

MACHINE = {"cpus": 2, "python": "3.11.2", "platform": "Linux-test"}


def figures(p50: float, rate: float) -> dict[str, Any]:
    return {
        "turns": 100, "errors": 0, "error_rate": 0.0, "p50_ms": p50, "p95_ms": p50 * 2, "p99_ms": p50 * 3,
        "mean_ms": p50, "wall_s": 10.0, "turns_per_s": rate, "error_kinds": {}, "outcomes": {"answered": 100},
        "cpu_ms_per_turn": {"app": 10.0, "rasa": 30.0}, "cpu_utilisation": {"app": 0.3, "rasa": 0.9},
        "rss_peak_mb": {"app": 900, "rasa": 1100, "total": 2000},
    }  # fmt: skip


def turns_record(ratio_at_16: float = 1.2, rate_at_16: float = 30.0, peak: int = 2000) -> dict[str, Any]:
    levels = []
    for concurrency, ratio in ((1, 1.1), (16, ratio_at_16)):
        levels.append(
            {
                "concurrency": concurrency,
                "product": figures(100 * ratio, rate_at_16 if concurrency == 16 else 8.0),
                "rasa": figures(100.0, 35.0),
                "product_over_rasa_p50": ratio,
                "product_over_rasa_p95": ratio,
                "product_over_rasa_throughput": 0.9,
            }
        )
    return {
        "benchmark": "turns", "measured_at": "2026-11-27T03:00:00Z", "commit": "abc1234", "machine": MACHINE,
        "settings": {"concurrency": [1, 16], "duration_s_per_phase": 12.0, "rounds": 2},
        "levels": levels,
        "rss_mb": {"rasa": {"idle": 1000, "peak": 1100, "end": 1100}, "app": {"idle": 800, "peak": 900, "end": 900},
                   "total": {"idle": 1800, "peak": peak, "end": 1990}},
        "plots": ["docs/benchmarks/turns-latency.png"],
        "scripts": [{"name": "zh-returns", "language": "zh", "turns": ["你好", "谢谢"]}],
    }  # fmt: skip


def statuses(record: dict[str, Any] | None) -> list[str]:
    return [t.status for t in turn_targets(record)]


def test_turn_targets_met_and_missed() -> None:
    assert statuses(turns_record()) == ["met", "met", "met"]
    assert statuses(turns_record(ratio_at_16=1.31, rate_at_16=24.9, peak=2561)) == ["missed", "missed", "missed"]
    assert statuses(None) == ["not run", "not run", "not run"]


def test_throughput_target_not_run_without_the_level() -> None:
    record = turns_record()
    record["levels"] = record["levels"][:1]
    assert statuses(record)[1] == "not run"


def test_retrieval_p50_is_found_by_size_and_prefers_the_whole_query() -> None:
    record = {
        "scales": [
            {"entries": 10_000, "embedding_only_ms": {"p50": 9.0}, "search_ms": {"p50": 4.2, "p95": 9.0}},
            {"entries": 100_000, "total_ms": {"p50": 25.0}, "by_language": {"zh": {"p50": 3.0}}},
        ]
    }
    assert retrieval_p50(record, 10_000) == 4.2
    assert retrieval_p50(record, 100_000) == 25.0
    assert retrieval_p50(record, 1_000_000) is None
    assert [t.status for t in retrieval_targets(record)] == ["met", "missed"]
    assert [t.status for t in retrieval_targets(None)] == ["not run", "not run"]
    assert [t.figure for t in retrieval_targets({"entries": 88, "search_ms": {"p50": 4.0}})] == [
        "not measured at this size",
        "not measured at this size",
    ]


def test_render_with_nothing_run_says_so() -> None:
    page = render(
        {"turns": None, "turns_cluster": None, "startup": None, "retrieval": None, "faults_cluster": None},
        "2026-11-27 03:00 UTC",
        "abc1234",
    )
    assert page.startswith("# Benchmarks")
    assert page.count("Not run (`python -m bench.") == 5
    assert "| not run |" in page


def test_a_refresh_writes_one_benchmarks_section_and_targets_and_keeps_the_rest() -> None:
    before = render({"turns": turns_record(rate_at_16=20.0), "retrieval": None}, "then", "abc1234")
    after = refresh(before, {"turns": turns_record(rate_at_16=30.0), "retrieval": None}, ["turns"])
    assert "| ≥ 25 turns/s at 16 conversations (product) | 30.0 turns/s (plain Rasa: 35.0) | met |" in after
    assert "20.0 turns/s" not in after
    # the other sections stay as they were, "not run" included, and the page keeps its order
    assert after.count("Not run (`python -m bench.retrieval`).") == 1
    assert [line for line in after.splitlines() if line.startswith("## ")] == [
        line for line in before.splitlines() if line.startswith("## ")
    ]
    assert refresh(after, {"turns": turns_record(rate_at_16=30.0)}, ["turns"]) == after


def test_render_with_results() -> None:
    startup = {
        "benchmark": "startup", "measured_at": "2026-11-27T03:10:00Z", "commit": "abc1234", "machine": MACHINE,
        "start": {"runs": [{"rasa_ready_s": 20.1, "healthy_s": 24.5, "idle_rss_mb": {"rasa": 1000, "app": 700}}]},
        "train": {"seconds": 80.2, "exit_code": 0, "model_mb": 25.0},
        "index": {"seconds": 15.0, "exit_code": 1, "error": "boom | bang"},
        "adapt": {"available": False, "reason": "invalid choice: 'adapt'"},
    }  # fmt: skip
    page = render({"turns": turns_record(), "startup": startup, "retrieval": None}, "now", "abc1234")
    assert "| 16 | 120.0 / 240.0 / 360.0 | 100.0 / 200.0 / 300.0 | 1.20 |" in page
    assert "![turns-latency.png](benchmarks/turns-latency.png)" in page
    assert "80.2 s, model 25.0 MiB" in page
    assert "failed (exit 1) after 15.0 s: boom \\| bang" in page
    assert "| adaptation | not available |" in page
    assert "plain Rasa with our actions" in page
    assert "Not run (`python -m bench.retrieval`)." in page


def test_missing_or_broken_results_files_read_as_not_run(tmp_path: Path) -> None:
    (tmp_path / "turns.json").write_text(json.dumps(turns_record()), encoding="utf-8")
    (tmp_path / "startup.json").write_text("{not json", encoding="utf-8")
    records = read_results(tmp_path)
    assert records["turns"] is not None
    assert records["startup"] is None and records["retrieval"] is None


def test_retrieval_p50_reads_the_per_language_with_embedding_figures() -> None:
    size = {
        "entries": 10_000,
        "build_s": {"total": 600.0, "embedding": 590.0},
        "search_ms_with_embedding": {"en": {"p50": 12.5, "p95": 40.0}, "zh": {"p50": 2.1, "p95": 9.0}},
        "search_ms_without_embedding": {"en": {"p50": 2.4}, "zh": {"p50": 2.1}},
    }
    record = {"sizes": [{"entries": 100, "search_ms_with_embedding": {"en": {"p50": 1.0}}}, size]}
    assert retrieval_p50s(record, 10_000) == {"en": 12.5, "zh": 2.1}
    targets = retrieval_targets(record)
    assert targets[0].figure == "en 12.5 ms, zh 2.1 ms" and targets[0].status == "missed"
    assert targets[1].status == "not run"


def test_errors_are_said_beside_the_latency_ratio() -> None:
    record = turns_record()
    record["levels"][1]["product"]["errors"] = 7
    target = turn_targets(record)[0]
    assert target.status == "met (with errors)" and "product errors: 7 at 16" in target.figure


def test_the_cluster_fault_section_shows_the_runs_table_and_recoveries() -> None:
    record = {
        "benchmark": "faults_cluster", "measured_at": "2026-12-07T09:30:00Z", "commit": "abc1234", "machine": MACHINE,
        "settings": {"customers": 12, "quiet_s": 20.0},
        "table": "| fault | messages sent |\n|---|---|\n| app1_killed | 500 |",
        "faults": [{"name": "app1_killed", "recovery": {"new_pid_s": 0.3, "ready_s": 84.3}}],
        "server_errors_without_retry_after": 0,
    }  # fmt: skip
    page = render(
        {"turns": None, "turns_cluster": None, "startup": None, "retrieval": None, "faults_cluster": record},
        "now",
        "abc1234",
    )
    assert "## Faults on a cluster" in page and "`python -m bench.faults.cluster --customers 12`" in page
    assert "| app1_killed | 500 |" in page
    assert "- app1_killed: new_pid_s 0.3, ready_s 84.3" in page
    assert "5xx without `Retry-After` seen by customers: 0." in page


def cluster_record(rates: dict[str, float], concurrency: int = 16) -> dict[str, Any]:
    configs = {name: figures(500.0, rate) for name, rate in rates.items()}
    for config in configs.values():
        config["load_average"] = [[2.0, 1.5, 1.0]]
    return {
        "benchmark": "turns_cluster", "measured_at": "2026-12-07T09:30:00Z", "commit": "abc1234", "machine": MACHINE,
        "settings": {"concurrency": concurrency, "duration_s_per_phase": 45.0, "rounds": 2, "order": list(rates)},
        "uptime_start": "load average: 1.0", "uptime_end": "load average: 2.0", "configs": configs,
    }  # fmt: skip


def test_cluster_targets() -> None:
    met = cluster_targets(cluster_record({"single": 16.0, "1×1": 16.5, "2×1": 18.0, "2×2": 25.0}))
    assert [t.status for t in met] == ["met", "met"]
    assert met[0].figure == "single 16.0; 1×1 16.5, 2×1 18.0, 2×2 25.0 turns/s at 16 conversations"
    missed = cluster_targets(cluster_record({"single": 16.0, "1×1": 15.0, "2×1": 18.0, "2×2": 20.0}))
    assert [t.status for t in missed] == ["missed", "missed"] and "(1×1 slower)" in missed[0].figure
    assert [t.status for t in cluster_targets(None)] == ["not run", "not run"]
    other_load = cluster_targets(cluster_record({"single": 10.0, "2×2": 30.0}, concurrency=4))
    assert [t.status for t in other_load] == ["met", "not run"]


def test_render_with_a_cluster_run() -> None:
    record = cluster_record({"single": 16.0, "1×1": 16.5, "2×1": 18.0, "2×2": 25.0})
    page = render(
        {"turns": None, "turns_cluster": record, "startup": None, "retrieval": None, "faults_cluster": None},
        "now",
        "abc1234",
    )
    assert "## Turns through several replicas" in page
    assert "| 2×2 | 25.0 | 500.0 / 1000.0 | 100 | 0 | – | 2.0 |" in page
