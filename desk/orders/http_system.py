"""The merchant's own order system over HTTP: `GET {base}/orders/{order_number}` and
`GET {base}/repairs/{rma_number}` with the merchant's bearer token, as docs/order-system.openapi.yaml
describes them (docs/order-system.md says how to connect).

A lookup never takes longer than the total time limit (`DESK_ORDER_SYSTEM_TOTAL_SECONDS`, 2.5 s by
default), whatever the merchant's server does:
- each attempt has connect and read time limits, cut down to the time the lookup has left;
- a connection error, a timeout or a 5xx is tried again (`DESK_ORDER_SYSTEM_RETRIES`, 1 by default:
  a GET is idempotent) when enough time is left; a 4xx never is;
- the attempt runs in a worker thread and the caller stops waiting at the deadline, so even a server
  that trickles its answer a byte at a time cannot hold a turn (the worker stops at its next read);
- after `DESK_ORDER_SYSTEM_BREAKER_FAILURES` failed lookups in a row a circuit breaker (pybreaker)
  fails lookups at once for `DESK_ORDER_SYSTEM_BREAKER_RESET_SECONDS`; then a trial lookup decides.

404 with the contract's `not_found` error body is "no such order" (None). Everything else that is
not a valid answer (401/403, 429, another 4xx, a 5xx after the retry, a timeout, a body that is not
JSON, does not validate or names another number, a 404 without the contract's body, which is what a
wrong base URL gives) raises `OrderSystemUnavailable`: the customer is told the lookup is unavailable
and offered a human, never shown a guessed status. Failures are logged with their reason; the token
is only ever in the request's Authorization header, never in a log line or an exception.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pybreaker
import structlog
from pydantic import SecretStr, ValidationError

from desk.orders.records import Order, Repair, order_number, rma_number
from desk.orders.system import OrderSystemUnavailable
from desk.orders.wire import AnotherNumber, order_from_json, repair_from_json
from desk.settings import DeskSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

# The largest answer read: an order with its items and tracking is a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024
# Between two attempts: long enough for a restarting server's listener, short for the budget.
RETRY_PAUSE_SECONDS = 0.1
# Another attempt starts only with at least this much of the total time left.
MIN_ATTEMPT_SECONDS = 0.2
# Sending a GET is a few hundred bytes; waiting for a pooled connection should be as short.
WRITE_SECONDS = 0.5
POOL_SECONDS = 0.5


@dataclass(frozen=True)
class Limits:
    """The connector's time limits (seconds), retries and circuit breaker (see the module's doc)."""

    connect_seconds: float = 0.5
    read_seconds: float = 1.0
    total_seconds: float = 2.5
    retries: int = 1
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0
    max_connections: int = 10

    @classmethod
    def of(cls, settings: DeskSettings) -> Limits:
        return cls(
            connect_seconds=settings.order_system_connect_seconds,
            read_seconds=settings.order_system_read_seconds,
            total_seconds=settings.order_system_total_seconds,
            retries=settings.order_system_retries,
            breaker_failures=settings.order_system_breaker_failures,
            breaker_reset_seconds=settings.order_system_breaker_reset_seconds,
        )

    @property
    def worst_case_seconds(self) -> float:
        """The longest a lookup can take: every attempt at its connect and read limits, the pauses
        between them, cut at the total limit."""
        attempts = self.retries + 1
        uncut = attempts * (self.connect_seconds + WRITE_SECONDS + self.read_seconds)
        return min(self.total_seconds, uncut + self.retries * RETRY_PAUSE_SECONDS)


class _Failed(OrderSystemUnavailable):
    """One attempt failed; `retryable` when trying again may help (connection, timeout, 5xx)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class _BreakerLog(pybreaker.CircuitBreakerListener):
    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            log.warning(
                "order system circuit open: lookups fail at once",
                failures=cb.fail_counter,
                reset_seconds=cb.reset_timeout,
            )
        elif new_state.name == pybreaker.STATE_CLOSED:
            log.info("order system circuit closed: lookups resumed")


class HttpOrderSystem:
    """`OrderSystem` over the merchant's HTTP API. Thread-safe: one instance (its keep-alive pool
    and its circuit breaker) serves the whole process; `close()` ends it."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        limits: Limits | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._limits = limits or Limits()
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("the order system's URL must be an http(s) URL")
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"},
            timeout=self._timeout(self._limits.total_seconds),
            limits=httpx.Limits(
                max_connections=self._limits.max_connections,
                max_keepalive_connections=self._limits.max_connections,
                keepalive_expiry=30.0,
            ),
            follow_redirects=False,
            transport=transport,
        )
        # Attempts run here, so that a caller stops waiting at the deadline whatever the socket does.
        self._workers = ThreadPoolExecutor(max_workers=self._limits.max_connections, thread_name_prefix="order-system")
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=self._limits.breaker_failures,
            reset_timeout=self._limits.breaker_reset_seconds,
            listeners=[_BreakerLog()],
            name="order-system",
            # The failure that trips the breaker keeps its own reason.
            throw_new_error_on_trip=False,
        )

    @classmethod
    def from_settings(cls, settings: DeskSettings) -> HttpOrderSystem:
        if settings.order_system_url is None or settings.order_system_token is None:
            raise ValueError("the HTTP order system needs DESK_ORDER_SYSTEM_URL and DESK_ORDER_SYSTEM_TOKEN")
        return cls(settings.order_system_url, settings.order_system_token, Limits.of(settings))

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def circuit(self) -> str:
        """The breaker's state: "closed" (lookups go out), "open" (they fail at once), "half-open"."""
        return str(self._breaker.current_state)

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    # -- OrderSystem ------------------------------------------------------------------------------

    def order(self, number: str) -> Order | None:
        normalised = order_number(number)
        if normalised is None:
            return None
        return self._lookup("orders", normalised, order_from_json)

    def repair(self, rma_number_: str) -> Repair | None:
        normalised = rma_number(rma_number_)
        if normalised is None:
            return None
        return self._lookup("repairs", normalised, repair_from_json)

    # -- one lookup -------------------------------------------------------------------------------

    def _lookup(self, kind: str, number: str, parse: Callable[[str, bytes], T]) -> T | None:
        started = time.monotonic()
        try:
            with self._breaker.calling():
                body = self._get(f"{kind}/{number}", started + self._limits.total_seconds)
                if body is None:
                    return None
                try:
                    return parse(number, body)
                except (ValueError, RecursionError) as error:  # pydantic's ValidationError is a ValueError
                    raise _Failed(
                        f"the answer does not follow the contract: {_summary(error)}", retryable=False
                    ) from None
        except pybreaker.CircuitBreakerError as error:
            log.info("order system lookup skipped: circuit open", kind=kind)
            raise OrderSystemUnavailable("the order system is failing; lookups are paused") from error
        except _Failed as failure:
            log.warning(
                "order system lookup failed",
                kind=kind,
                number=number,
                reason=failure.reason,
                seconds=round(time.monotonic() - started, 3),
                circuit=self.circuit,
            )
            raise OrderSystemUnavailable(f"order system lookup failed: {failure.reason}") from None

    def _get(self, path: str, deadline: float) -> bytes | None:
        """The body of a 200, None for the contract's 404; `_Failed` otherwise, after the retries."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt_until(path, deadline)
            except _Failed as failure:
                left = deadline - time.monotonic() - RETRY_PAUSE_SECONDS
                if not failure.retryable or attempt > self._limits.retries or left < MIN_ATTEMPT_SECONDS:
                    raise
                log.info("order system attempt failed, trying again", path=path, attempt=attempt, reason=failure.reason)
                time.sleep(RETRY_PAUSE_SECONDS)

    def _attempt_until(self, path: str, deadline: float) -> bytes | None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Failed("no time left", retryable=False)
        future: Future[bytes | None] = self._workers.submit(self._attempt, path, deadline)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            future.cancel()  # still queued: never sent; running: it stops at its next read
            raise _Failed(f"no answer within {self._limits.total_seconds:g} s", retryable=False) from None

    def _attempt(self, path: str, deadline: float) -> bytes | None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Failed("no time left", retryable=False)
        try:
            with self._client.stream("GET", path, timeout=self._timeout(left)) as response:
                body = _read_until(response, deadline)
        except httpx.TimeoutException as error:
            raise _Failed(f"timed out ({type(error).__name__})", retryable=True) from None
        except httpx.TransportError as error:
            raise _Failed(f"connection failed ({type(error).__name__})", retryable=True) from None
        except httpx.HTTPError as error:  # e.g. a body whose content encoding does not decode
            raise _Failed(f"the answer could not be read ({type(error).__name__})", retryable=False) from None
        status = response.status_code
        if status == 200:
            return body
        if status == 404 and _error_code(body) == "not_found":
            return None
        if status >= 500:
            raise _Failed(f"HTTP {status}{_code_suffix(body)}", retryable=True)
        if status in (401, 403):
            raise _Failed(f"HTTP {status}: the token was refused (check DESK_ORDER_SYSTEM_TOKEN)", retryable=False)
        if status == 404:
            raise _Failed(
                "HTTP 404 without the contract's not_found body (check DESK_ORDER_SYSTEM_URL)", retryable=False
            )
        raise _Failed(f"HTTP {status}{_code_suffix(body)}", retryable=False)

    def _timeout(self, left: float) -> httpx.Timeout:
        return httpx.Timeout(
            connect=min(self._limits.connect_seconds, left),
            read=min(self._limits.read_seconds, left),
            write=min(WRITE_SECONDS, left),
            pool=min(POOL_SECONDS, left),
        )


def _read_until(response: httpx.Response, deadline: float) -> bytes:
    """The body, read while the deadline allows and up to `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Failed(f"the answer is larger than {MAX_BODY_BYTES} bytes", retryable=False)
        if time.monotonic() > deadline:
            raise _Failed("the answer came too slowly", retryable=False)
        chunks.append(chunk)
    return b"".join(chunks)


def _error_code(body: bytes) -> str | None:
    """`error.code` of a contract error body (`{"error": {"code", "message"}}`), else None."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _code_suffix(body: bytes) -> str:
    code = _error_code(body)
    return f" ({code[:64]})" if code else ""


def _summary(error: Exception) -> str:
    """What was wrong with a body, without its values (they may hold a customer's name or phone)."""
    if isinstance(error, ValidationError):
        problems = [".".join(str(part) for part in e["loc"]) + ": " + e["type"] for e in error.errors()[:5]]
        return "; ".join(problems)
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        return "not JSON"
    if isinstance(error, AnotherNumber):
        return str(error)
    return type(error).__name__
