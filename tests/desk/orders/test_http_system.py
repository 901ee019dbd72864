"""The HTTP connector to a merchant's order system when things go wrong, against the fake merchant
server (bench/fakes/order_system.py): time limits, retries, the circuit breaker, answers that do not
follow the contract, and the token kept out of every log line. (What it reads when things go right
is in test_order_system_contract.py.)"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
import structlog
from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.orders import OrderOut
from bench.fakes.order_system import FakeOrderSystem, running_fake_order_system
from bench.system import free_port
from desk.orders.connection import order_system
from desk.orders.http_system import RETRY_PAUSE_SECONDS, HttpOrderSystem, Limits
from desk.orders.store import OrderStore
from desk.orders.system import OrderSystemUnavailable
from desk.settings import DeskSettings
from tests.desk.orders.test_order_system_contract import FULL_ORDER, FULL_REPAIR

TOKEN = "s3cret-merchant-token-4f9a"
NUMBER = FULL_ORDER.number
# Short limits, so the failures below take fractions of a second.
LIMITS = Limits(
    connect_seconds=0.5,
    read_seconds=0.3,
    total_seconds=1.0,
    retries=1,
    breaker_failures=3,
    breaker_reset_seconds=0.5,
)
# What a call that fails fast may take: no request, no wait (a call that waited would take at least
# the 0.3 s read timeout; the margin is for a loaded machine).
FAST_SECONDS = 0.1


@pytest.fixture(scope="module")
def served() -> Iterator[FakeOrderSystem]:
    with running_fake_order_system(TOKEN) as fake:
        yield fake


@pytest.fixture
def fake(served: FakeOrderSystem) -> FakeOrderSystem:
    served.reset()
    served.orders[NUMBER] = FULL_ORDER
    served.repairs[FULL_REPAIR.rma_number] = FULL_REPAIR
    return served


@pytest.fixture
def system(fake: FakeOrderSystem) -> Iterator[HttpOrderSystem]:
    connector = HttpOrderSystem(fake.base_url, SecretStr(TOKEN), LIMITS)
    yield connector
    connector.close()


def timed_failure(system: HttpOrderSystem, number: str = NUMBER) -> tuple[OrderSystemUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(OrderSystemUnavailable) as failure:
        system.order(number)
    return failure.value, time.monotonic() - started


# -- answers -------------------------------------------------------------------------------------------


def test_an_unknown_order_is_none_after_one_request(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    assert system.order("LM209901010001") is None
    assert system.repair("RMA00000001") is None
    assert len(fake.requests) == 2
    assert all(seen.authorized for seen in fake.requests)


def test_unknown_numbers_do_not_open_the_circuit(system: HttpOrderSystem) -> None:
    for _ in range(LIMITS.breaker_failures + 2):
        assert system.order("LM209901010001") is None
    assert system.circuit == "closed"


def test_a_404_that_is_not_the_contracts_is_a_failure_not_unknown(fake: FakeOrderSystem) -> None:
    # A wrong base URL: the server's own "Not Found", which must not read as "no such order".
    wrong = HttpOrderSystem(fake.base_url.rsplit("/", 1)[0] + "/wrong", SecretStr(TOKEN), LIMITS)
    try:
        failure, _ = timed_failure(wrong)
    finally:
        wrong.close()
    assert "DESK_ORDER_SYSTEM_URL" in str(failure)
    assert len(fake.requests) == 1


def test_members_the_contract_does_not_name_are_ignored(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.answer_next(with_extra_members(NUMBER))

    assert system.order(NUMBER) == FULL_ORDER


# -- time limits -----------------------------------------------------------------------------------------


def test_a_slow_system_times_out_is_tried_again_and_fails(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.delay_seconds = 2.0

    failure, seconds = timed_failure(system)

    assert "timed out" in str(failure)
    assert len(fake.seen("/orders/")) == 2  # the first attempt and one retry
    # Two reads of 0.3 s and the pause between them, well inside the total limit.
    assert 2 * LIMITS.read_seconds <= seconds <= LIMITS.total_seconds + 0.2


def test_a_slow_first_answer_then_a_quick_one_is_read(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.delay_seconds = 0.6
    first = time.monotonic()

    # The first attempt times out; switch the fake to quick while the connector pauses.
    def quick_soon() -> None:
        time.sleep(LIMITS.read_seconds + 0.05)
        fake.delay_seconds = 0.0

    threading.Thread(target=quick_soon, daemon=True).start()

    assert system.order(NUMBER) == FULL_ORDER
    assert time.monotonic() - first < LIMITS.total_seconds
    assert len(fake.seen("/orders/")) == 2


def test_no_lookup_outlasts_the_total_limit_even_a_trickled_answer(
    system: HttpOrderSystem, fake: FakeOrderSystem
) -> None:
    # Every byte arrives within the read timeout, so only the total limit can end it.
    fake.trickle_seconds = 0.05

    failure, seconds = timed_failure(system)

    assert f"{LIMITS.total_seconds:g} s" in str(failure)
    assert LIMITS.total_seconds - 0.05 <= seconds <= LIMITS.total_seconds + 0.25
    assert len(fake.seen("/orders/")) == 1


def test_lookups_run_side_by_side(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    # The breaker holds no lock while a lookup waits: five slow answers take one answer's time.
    fake.delay_seconds = 0.2
    with ThreadPoolExecutor(max_workers=5) as pool:
        started = time.monotonic()
        results = list(pool.map(lambda _: system.order(NUMBER), range(5)))
        seconds = time.monotonic() - started
    assert results == [FULL_ORDER] * 5
    assert seconds < 3 * fake.delay_seconds  # one after another: 1.0 s


def test_the_default_worst_case_keeps_a_wechat_reply_inside_five_seconds() -> None:
    settings = DeskSettings()
    limits = Limits.of(settings)
    assert limits == Limits(max_connections=limits.max_connections)  # the settings' defaults are these
    # connect 0.5 + send 0.5 + read 1.0 = 2.0 s per attempt; two attempts and a 0.1 s pause: 4.1 s,
    # cut at the 2.5 s total. WeChat's 4.5 s reply budget keeps 2 s for Rasa and the action.
    assert limits.worst_case_seconds == 2.5
    assert limits.worst_case_seconds <= 4.5 - 2.0


# -- retries ---------------------------------------------------------------------------------------------


def test_a_500_is_tried_again_once_then_unavailable(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.fail_next(2, status=500)

    failure, _ = timed_failure(system)

    assert "HTTP 500" in str(failure)
    assert len(fake.requests) == 2


def test_a_single_500_is_covered_by_the_retry(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.fail_next(1, status=503)
    started = time.monotonic()

    assert system.order(NUMBER) == FULL_ORDER
    assert len(fake.requests) == 2
    assert time.monotonic() - started >= RETRY_PAUSE_SECONDS


def test_a_dropped_connection_is_tried_again(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.drop_next(1)

    assert system.repair(FULL_REPAIR.rma_number) == FULL_REPAIR
    assert len(fake.requests) == 2


def test_two_dropped_connections_are_unavailable(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.drop_next(2)

    failure, _ = timed_failure(system)

    assert "connection failed" in str(failure)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [400, 403, 409, 422, 429])
def test_a_4xx_is_never_tried_again(system: HttpOrderSystem, fake: FakeOrderSystem, status: int) -> None:
    fake.fail_next(2, status=status)

    failure, _ = timed_failure(system)

    assert f"HTTP {status}" in str(failure)
    assert len(fake.requests) == 1


def test_no_retries_when_none_are_configured(fake: FakeOrderSystem) -> None:
    connector = HttpOrderSystem(fake.base_url, SecretStr(TOKEN), replace(LIMITS, retries=0))
    fake.fail_next(1, status=500)
    try:
        timed_failure(connector)
    finally:
        connector.close()
    assert len(fake.requests) == 1


def test_an_unreachable_system_is_unavailable_quickly(served: FakeOrderSystem) -> None:
    connector = HttpOrderSystem(f"http://127.0.0.1:{free_port()}/lumio/v1", SecretStr(TOKEN), LIMITS)
    try:
        failure, seconds = timed_failure(connector)
    finally:
        connector.close()
    assert "connection failed (ConnectError)" in str(failure)
    assert seconds < LIMITS.total_seconds


# -- answers that do not follow the contract --------------------------------------------------------------


def order_answer(number: str = NUMBER, **changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(OrderOut.of(FULL_ORDER).model_dump_json())
    answer["order_number"] = number
    answer.update(changes)
    return answer


def with_extra_members(number: str) -> str:
    answer = order_answer(number, merchant_internal_id=991, warehouse={"code": "SZ-3"})
    answer["items"][0]["margin"] = "12.5"
    answer["customer"]["vip"] = True
    return json.dumps(answer)


GARBAGE = {
    "not JSON": "<html><body>Bad gateway</body></html>",
    "truncated JSON": json.dumps(order_answer())[:-20],
    "JSON but not an object": "[1, 2, 3]",
    "no status": json.dumps({k: v for k, v in order_answer().items() if k != "status"}),
    "an unknown status": json.dumps(order_answer(status="lost_in_space")),
    "a time without an offset": json.dumps(order_answer(paid_at="2026-11-26T10:15:00")),
    "a price with three decimals": json.dumps(order_answer(items=[{**order_answer()["items"][0], "price": "1.005"}])),
    "a quantity as a string": json.dumps(order_answer(items=[{**order_answer()["items"][0], "quantity": "1"}])),
    "another order's number": json.dumps(order_answer(number="LM202611260002")),
    "no number": json.dumps({k: v for k, v in order_answer().items() if k != "order_number"}),
    "not UTF-8": b"\xff\xfe\x00garbage",
}


@pytest.mark.parametrize("body", list(GARBAGE.values()), ids=list(GARBAGE))
def test_an_answer_that_does_not_follow_the_contract_is_unavailable(
    system: HttpOrderSystem, fake: FakeOrderSystem, body: str | bytes
) -> None:
    fake.answer_next(body)

    with structlog.testing.capture_logs() as logs:
        failure, _ = timed_failure(system)

    assert "does not follow the contract" in str(failure)
    assert len(fake.requests) == 1, "a bad answer is not asked for again"
    logged = [entry for entry in logs if entry["event"] == "order system lookup failed"]
    assert len(logged) == 1 and logged[0]["kind"] == "orders"
    # The reason names what was wrong, never the customer's data in the answer.
    assert "13800138000" not in str(logs) and "张三" not in str(logs)


def test_a_huge_answer_is_refused(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.answer_next(b"[" + b"1," * 600_000 + b"1]")

    failure, _ = timed_failure(system)

    assert "larger than" in str(failure)


# -- the token --------------------------------------------------------------------------------------------


def test_a_wrong_token_is_unavailable_and_the_token_never_logged(
    fake: FakeOrderSystem, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_token = "wrong-token-7d1c"
    connector = HttpOrderSystem(fake.base_url, SecretStr(wrong_token), LIMITS)
    caplog.set_level(logging.DEBUG)
    try:
        with structlog.testing.capture_logs() as logs:
            failure, _ = timed_failure(connector)
            # And a good one, with the library's own logging on too.
            connector_ok = HttpOrderSystem(fake.base_url, SecretStr(TOKEN), LIMITS)
            assert connector_ok.order(NUMBER) == FULL_ORDER
            connector_ok.close()
    finally:
        connector.close()

    assert "HTTP 401" in str(failure) and "DESK_ORDER_SYSTEM_TOKEN" in str(failure)
    assert [seen.authorized for seen in fake.requests] == [False, True], "a 401 is not tried again"
    logged = [entry for entry in logs if entry["event"] == "order system lookup failed"]
    assert logged and "HTTP 401" in logged[0]["reason"]
    everything = str(logs) + caplog.text + str(failure) + repr(failure)
    assert wrong_token not in everything
    assert TOKEN not in everything


def test_the_token_is_not_in_the_settings_repr() -> None:
    settings = DeskSettings(
        order_system="http", order_system_url="https://orders.example.com/v1", order_system_token=SecretStr(TOKEN)
    )
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


# -- the circuit breaker ------------------------------------------------------------------------------------


def fail_until_open(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.fail_next(2 * LIMITS.breaker_failures, status=500)
    for _ in range(LIMITS.breaker_failures):
        timed_failure(system)
    assert system.circuit == "open"


def test_the_circuit_opens_after_n_failures_and_then_fails_fast(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.delay_seconds = 2.0  # each of the first lookups waits for its timeouts
    for _ in range(LIMITS.breaker_failures - 1):
        timed_failure(system)
        assert system.circuit == "closed"
    timed_failure(system)
    assert system.circuit == "open"
    requests_before = len(fake.requests)

    for _ in range(20):
        failure, seconds = timed_failure(system)
        assert seconds < FAST_SECONDS, "an open circuit does not wait"
        assert "paused" in str(failure)
    assert len(fake.requests) == requests_before, "an open circuit sends nothing"


def test_repairs_share_the_circuit(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fail_until_open(system, fake)
    requests_before = len(fake.requests)

    with pytest.raises(OrderSystemUnavailable):
        system.repair(FULL_REPAIR.rma_number)
    assert len(fake.requests) == requests_before


def test_a_success_resets_the_count(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fake.fail_next(2 * (LIMITS.breaker_failures - 1), status=500)
    for _ in range(LIMITS.breaker_failures - 1):
        timed_failure(system)
    assert system.order(NUMBER) == FULL_ORDER

    fake.fail_next(2 * (LIMITS.breaker_failures - 1), status=500)
    for _ in range(LIMITS.breaker_failures - 1):
        timed_failure(system)
    assert system.circuit == "closed"


def test_after_the_reset_period_one_good_trial_closes_the_circuit(
    system: HttpOrderSystem, fake: FakeOrderSystem
) -> None:
    fail_until_open(system, fake)
    fake.reset()
    fake.orders[NUMBER] = FULL_ORDER
    time.sleep(LIMITS.breaker_reset_seconds + 0.05)

    assert system.order(NUMBER) == FULL_ORDER
    assert system.circuit == "closed"
    assert len(fake.requests) == 1
    assert system.order(NUMBER) == FULL_ORDER


def test_a_failed_trial_opens_the_circuit_again(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    fail_until_open(system, fake)
    time.sleep(LIMITS.breaker_reset_seconds + 0.05)
    fake.reset()
    fake.fail_next(2, status=502)

    timed_failure(system)  # the trial: one lookup (with its retry) goes out and fails

    assert system.circuit == "open"
    assert len(fake.requests) == 2
    _, seconds = timed_failure(system)
    assert seconds < FAST_SECONDS
    assert len(fake.requests) == 2


def test_the_circuit_is_logged_when_it_opens(system: HttpOrderSystem, fake: FakeOrderSystem) -> None:
    with structlog.testing.capture_logs() as logs:
        fail_until_open(system, fake)
    opened = [entry for entry in logs if entry["event"].startswith("order system circuit open")]
    assert len(opened) == 1 and opened[0]["log_level"] == "warning"


# -- settings and the factory ----------------------------------------------------------------------------------


def test_http_without_its_url_and_token_stops_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_ORDER_SYSTEM", "http")
    with pytest.raises(ValidationError) as refused:
        DeskSettings()
    assert "DESK_ORDER_SYSTEM_URL and DESK_ORDER_SYSTEM_TOKEN" in str(refused.value)

    monkeypatch.setenv("DESK_ORDER_SYSTEM_URL", "https://orders.example.com/lumio/v1")
    monkeypatch.setenv("DESK_ORDER_SYSTEM_TOKEN", "   ")
    with pytest.raises(ValidationError) as refused:
        DeskSettings()
    assert "needs DESK_ORDER_SYSTEM_TOKEN" in str(refused.value)


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DESK_ORDER_SYSTEM", "soap"),
        ("DESK_ORDER_SYSTEM_URL", "ftp://orders.example.com"),
        ("DESK_ORDER_SYSTEM_CONNECT_SECONDS", "0"),
        ("DESK_ORDER_SYSTEM_READ_SECONDS", "-1"),
        ("DESK_ORDER_SYSTEM_TOTAL_SECONDS", "31"),
        ("DESK_ORDER_SYSTEM_RETRIES", "4"),
        ("DESK_ORDER_SYSTEM_BREAKER_FAILURES", "0"),
        ("DESK_ORDER_SYSTEM_BREAKER_RESET_SECONDS", "0"),
        ("DESK_ORDER_SYSTEM_CONNECT_SECONDS", "3"),  # longer than the 2.5 s total
    ],
)
def test_settings_out_of_bounds_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        DeskSettings()


def test_the_factory_gives_the_store_by_default_and_the_connector_for_http(tmp_path: Any) -> None:
    sessions: sessionmaker[Session] = sessionmaker()
    assert isinstance(order_system(DeskSettings(), sessions), OrderStore)

    settings = DeskSettings(
        order_system="http",
        order_system_url="https://orders.example.com/lumio/v1/",
        order_system_token=SecretStr(TOKEN),
        order_system_read_seconds=0.8,
        order_system_breaker_failures=7,
    )
    connector = order_system(settings, sessions)
    assert isinstance(connector, HttpOrderSystem)
    connector.close()
    assert connector.limits.read_seconds == 0.8 and connector.limits.breaker_failures == 7
