"""`bench.turns`: the figures it computes (no server, no timing)."""

from __future__ import annotations

import pytest

from bench.turns import (
    SCRIPTS,
    TARGETS,
    Phase,
    TurnRecord,
    combine,
    level_figures,
    parse_levels,
    phase_order,
    ratio,
    strongest_outcome,
    summarise,
)


def test_levels_are_parsed_and_checked() -> None:
    assert parse_levels("1,4, 16,64") == [1, 4, 16, 64]
    with pytest.raises(ValueError):
        parse_levels("0,4")
    with pytest.raises(ValueError):
        parse_levels("")


def test_phases_alternate_within_and_across_levels() -> None:
    assert phase_order(0, 2) == ["product", "rasa", "rasa", "product"]
    assert phase_order(1, 2) == ["rasa", "product", "product", "rasa"]
    assert phase_order(0, 1) == ["product", "rasa"]
    for rounds in (1, 2, 3):
        order = phase_order(0, rounds)
        assert all(order.count(target) == rounds for target in TARGETS)


def test_summary_percentiles_rate_and_errors() -> None:
    figures = summarise([float(v) for v in range(1, 101)], errors=5, wall_s=10.0)
    assert figures["turns"] == 100
    assert figures["p50_ms"] == 50.0 or figures["p50_ms"] == 51.0
    assert figures["p95_ms"] == 95.0 or figures["p95_ms"] == 96.0
    assert figures["p99_ms"] >= figures["p95_ms"] >= figures["p50_ms"]
    assert figures["turns_per_s"] == 10.0
    assert figures["error_rate"] == round(5 / 105, 4)


def test_summary_of_nothing_has_no_percentiles() -> None:
    figures = summarise([], errors=3, wall_s=2.0)
    assert figures["p50_ms"] is None and figures["turns"] == 0 and figures["error_rate"] == 1.0


def test_ratio_is_none_without_a_denominator() -> None:
    assert ratio(130.0, 100.0) == 1.3
    assert ratio(None, 100.0) is None
    assert ratio(1.0, 0.0) is None


def test_combined_rounds_add_turns_cpu_and_keep_the_peak() -> None:
    def phase(latencies: list[float], error: bool, rss: int) -> Phase:
        turns = [TurnRecord("s", v, "answered") for v in latencies]
        if error:
            turns.append(TurnRecord("s", 5.0, None, "HTTP 503"))
        return Phase("product", 4, turns, 2.0, {"app": 0.5, "rasa": 1.0}, {"app": rss, "total": rss})

    figures = combine([phase([10.0, 20.0], False, 100 * 1024 * 1024), phase([30.0, 40.0], True, 200 * 1024 * 1024)])
    assert figures["turns"] == 4 and figures["errors"] == 1
    assert figures["error_kinds"] == {"HTTP 503": 1}
    assert figures["outcomes"] == {"answered": 4}
    assert figures["turns_per_s"] == 1.0
    assert figures["cpu_ms_per_turn"] == {"app": 250.0, "rasa": 500.0}
    assert figures["cpu_utilisation"] == {"app": 0.25, "rasa": 0.5}
    assert figures["rss_peak_mb"] == {"app": 200, "total": 200}


def test_level_ratios() -> None:
    product = summarise([130.0] * 10, 0, 1.0)
    rasa = summarise([100.0] * 20, 0, 1.0)
    level = level_figures(16, product, rasa)
    assert level["product_over_rasa_p50"] == 1.3
    assert level["product_over_rasa_throughput"] == 0.5


def test_outcome_of_rasa_replies_is_the_apps_reading() -> None:
    replies = [
        {"text": "answer", "custom": {"turn": {"outcome": "answered", "faq_id": "x", "confidence": 0.9}}},
        {"custom": {"turn": {"outcome": "feedback"}}},
    ]
    assert strongest_outcome(replies) == "answered"
    assert strongest_outcome([{"text": "hi"}]) == "fallback"


def test_scripts_cover_both_languages_and_never_ask_for_a_human() -> None:
    assert {s.language for s in SCRIPTS} == {"zh", "en"}
    assert len({s.name for s in SCRIPTS}) == len(SCRIPTS)
    words = ("人工", "投诉", "human", "agent", "complain")
    assert not [t for s in SCRIPTS for t in s.turns if any(w in t.lower() for w in words)]


def test_each_conversation_keeps_its_own_balancer_cookie() -> None:
    """One client, many customers: a cookie set for one conversation never travels with another."""
    import asyncio

    import httpx

    from bench.turns import NoCookies, start

    served = iter(("app1", "app2"))
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        if request.url.path == "/api/v1/conversations":
            replica = next(served)
            body = {"conversation_id": replica, "access_key": "k"}
            return httpx.Response(201, json=body, headers={"set-cookie": f"SERVERID={replica}; path=/"})
        return httpx.Response(200, json={"turn": {"outcome": "answered"}})

    async def play() -> list[dict[str, str]]:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, cookies=NoCookies()) as client:
            first = await start(client, "product", "http://balancer")
            second = await start(client, "product", "http://balancer")
            await client.post("http://balancer/api/v1/conversations/app1/messages", headers=first.headers)
            return [first.headers, second.headers]

    first, second = asyncio.run(play())
    assert first["Cookie"] == "SERVERID=app1" and second["Cookie"] == "SERVERID=app2"
    assert seen == [None, None, "SERVERID=app1"]
