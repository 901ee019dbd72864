"""`bench.cluster_turns`: its schedule, CPU accounting and balancer reading (no cluster, no timing)."""

from __future__ import annotations

from bench.cluster_turns import (
    SINGLE,
    balancer_states,
    by_kind,
    cpu_deltas,
    expected_states,
    kind_of,
    markdown,
    replicas,
    schedule,
    total_cpu_ms,
)


def test_schedule_is_abba_and_restarts_a_replica_only_on_the_way_up() -> None:
    assert schedule(1) == [SINGLE, "2×2", "2×1", "1×1"]
    assert schedule(2) == [SINGLE, "2×2", "2×1", "1×1", "1×1", "2×1", "2×2", SINGLE]
    for rounds in (1, 2, 3):
        order = schedule(rounds)
        assert all(order.count(config) == rounds for config in (SINGLE, "1×1", "2×1", "2×2"))


def test_configurations_name_their_replicas() -> None:
    assert replicas("2×1") == (2, 1)
    assert expected_states("2×1", (2, 2)) == {"app1": True, "app2": True, "rasa1": True, "rasa2": False}
    assert expected_states("1×1", (2, 2)) == {"app1": True, "app2": False, "rasa1": True, "rasa2": False}


def test_process_names_map_to_kinds() -> None:
    assert [kind_of(n) for n in ("app1", "app12", "app", "rasa2", "balancer", "postgres", "redis")] == [
        "app", "app", "app", "rasa", "haproxy", "postgres", "redis",
    ]  # fmt: skip
    assert kind_of("load generator") == "load generator"
    assert kind_of("application") == "application"


def test_cpu_deltas_count_new_processes_from_zero_and_never_a_reused_pid_twice() -> None:
    before = {("app1", 10, 1.0): 5.0, ("postgres", 20, 1.0): 2.0, ("postgres", 21, 1.0): 1.0}
    after = {
        ("app1", 10, 1.0): 7.5,  # 2.5 s in the phase
        ("postgres", 20, 1.0): 2.5,  # 0.5
        # pid 21 ended; pid 21 again is another process (started later): from zero
        ("postgres", 21, 9.0): 0.25,
        ("postgres", 22, 9.0): 0.25,  # a new backend
    }
    deltas = cpu_deltas(before, after)
    assert deltas == {"app1": 2.5, "postgres": 1.0}
    assert by_kind({"app1": 1.0, "app2": 2.0, "rasa1": 3.0, "balancer": 0.5}) == {
        "app": 3.0, "rasa": 3.0, "haproxy": 0.5,
    }  # fmt: skip


def test_balancer_states_from_haproxys_csv() -> None:
    text = (
        "# pxname,svname,qcur,status\n"
        "public,FRONTEND,,OPEN\n"
        "app,app1,0,UP\n"
        "app,app2,0,DOWN\n"
        "app,BACKEND,0,UP\n"
        "rasa,rasa1,0,UP 1/3\n"
        "stats,FRONTEND,,OPEN\n"
    )
    assert balancer_states(text) == {"app1": "UP", "app2": "DOWN", "rasa1": "UP 1/3"}


def test_totals_with_and_without_the_shared_servers() -> None:
    figures = {"cpu_ms_per_turn": {"app": 20.0, "rasa": 50.0, "postgres": 8.0, "redis": 1.0}}
    assert total_cpu_ms(figures) == 79.0
    assert total_cpu_ms(figures, include_shared=False) == 70.0


def test_markdown_has_a_row_per_configuration() -> None:
    figures = {
        "turns_per_s": 12.0, "p50_ms": 900.0, "p95_ms": 2000.0, "turns": 500, "errors": 0,
        "load_average": [[2.5, 2.0, 1.5]], "cpu_ms_per_turn": {"app": 20.0, "rasa": 50.0},
        "cpu_utilisation": {"app": 0.24, "rasa": 0.6}, "cpu_ms_per_turn_total": 70.0,
        "cpu_ms_per_turn_without_shared": 70.0,
    }  # fmt: skip
    record = {
        "settings": {"concurrency": 16, "order": [SINGLE, "2×2"]},
        "configs": {SINGLE: figures, "2×2": figures},
        "phases": [{"config": "2×2", "turns_per_s": 11.0}, {"config": "2×2", "turns_per_s": 13.0}],
    }
    lines = markdown(record)
    assert any(line.startswith("| single process (SQLite) | 12.0 | 900.0 / 2000.0 | 500 | 0 | – |") for line in lines)
    assert any(line.startswith("| 2×2 | 12.0 | 900.0 / 2000.0 | 500 | 0 | 11.0, 13.0 | 2.5 |") for line in lines)
    assert any(
        line.startswith("| 2×2 | 20.0 (0.24) | 50.0 (0.60) | – |") and line.endswith("| 0.84 |") for line in lines
    )
