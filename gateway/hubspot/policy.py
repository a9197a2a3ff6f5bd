"""When a HubSpot call is retried, how long we wait, and the per-call counters for metrics."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from gateway.hubspot.errors import parse_retry_after

# Methods whose repetition cannot create a second object. PATCH is included because the
# client only PATCHes absolute property values; POST (create, search, publish) is not.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# HubSpot's error-handling page: 502/504 "pause and retry", 503 and 521-524 "retry".
RETRY_5XX = frozenset({500, 502, 503, 504, 521, 522, 523, 524})


def retryable(method: str, status: int) -> bool:
    """429 is safe to repeat for any method (HubSpot did nothing); 5xx only when idempotent."""
    return status == 429 or (status in RETRY_5XX and method.upper() in IDEMPOTENT_METHODS)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """In-call retries. Longer waits are the caller's job (HubSpotRateLimited.retry_after)."""

    total: int = 3  # retries after the first attempt
    backoff: float = 1.0  # seconds before the 1st retry without Retry-After; doubles after
    max_wait: float = 10.0  # a Retry-After longer than this is not waited for in the call

    def backoff_for(self, attempt: int) -> float:
        """Wait before retry number `attempt` (0-based) when the server gave no Retry-After."""
        return min(self.max_wait, self.backoff * 2**attempt)

    def wait_for(
        self, method: str, status: int, retry_after: str | None, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying, or None when the call must fail now."""
        if attempt >= self.total or not retryable(method, status):
            return None
        header = parse_retry_after(retry_after)
        if header is None:
            return self.backoff_for(attempt)
        return header if header <= self.max_wait else None


class CallStats:
    """Thread-safe counters: calls by (method, path template), errors, and retries by status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.errors: Counter[tuple[str, str, str]] = Counter()
        self.retries: Counter[int] = Counter()

    def call(self, method: str, template: str) -> None:
        with self._lock:
            self.calls[(method, template)] += 1

    def error(self, method: str, template: str, exc: BaseException) -> None:
        with self._lock:
            self.errors[(method, template, type(exc).__name__)] += 1

    def retry(self, status: int) -> None:
        with self._lock:
            self.retries[status] += 1

    @property
    def rate_limited(self) -> int:
        """429 responses seen: those retried plus calls that ended rate-limited."""
        with self._lock:
            final = sum(n for key, n in self.errors.items() if key[2] == "HubSpotRateLimited")
            return self.retries[429] + final

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "errors": dict(self.errors),
                "retries": dict(self.retries),
            }


class HubSpotRetry(Retry):
    """urllib3 Retry that follows `retryable()`: never repeats a POST after a 5xx or a timeout.

    Connection and read errors are never retried here (a timed-out POST may have been applied;
    a retried GET would double the caller's timeout); they surface as HubSpotConnectionError.
    A Retry-After above `policy.max_wait` ends the call at once so that no executor thread
    sleeps for minutes; the 429 then becomes HubSpotRateLimited(retry_after=...).
    """

    policy: RetryPolicy = RetryPolicy()
    observer: Callable[[int], None] | None = None

    @classmethod
    def build(cls, policy: RetryPolicy, observer: Callable[[int], None] | None) -> HubSpotRetry:
        retry = cls(
            total=policy.total, connect=False, read=False, other=0, redirect=0,
            allowed_methods=None, status_forcelist=None, backoff_factor=policy.backoff,
            backoff_max=policy.max_wait, respect_retry_after_header=True, raise_on_status=False,
            raise_on_redirect=False,
        )
        retry.policy, retry.observer = policy, observer
        return retry

    def new(self, **kw: Any) -> HubSpotRetry:
        retry = super().new(**kw)
        retry.policy, retry.observer = self.policy, self.observer
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return retryable(method, status_code)

    def get_retry_after(self, response: Any) -> float | None:
        # urllib3's own parser raises on fractional seconds; use the one errors.py uses.
        return parse_retry_after(response.headers.get("Retry-After"))

    def get_backoff_time(self) -> float:
        # urllib3 retries the first time without waiting; HubSpot's 429s need a pause.
        return self.policy.backoff_for(max(0, len(self.history) - 1))

    def increment(self, method: str | None = None, url: str | None = None,
                  response: Any = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> HubSpotRetry:
        if response is not None and error is None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.policy.max_wait:
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f}s"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None and self.observer is not None:
            self.observer(response.status)
        return retry
