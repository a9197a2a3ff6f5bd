"""The retry rules shared by the urllib3 and aiohttp transports."""

from __future__ import annotations

import pytest

from gateway.hubspot.policy import CallStats, HubSpotRetry, RetryPolicy, retryable


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [("POST", 429, True), ("GET", 429, True), ("POST", 500, False), ("POST", 503, False),
     ("GET", 503, True), ("PATCH", 502, True), ("PUT", 504, True), ("DELETE", 500, True),
     ("GET", 501, False), ("GET", 404, False), ("POST", 409, False)],
)
def test_retryable(method: str, status: int, expected: bool) -> None:
    assert retryable(method, status) is expected


def test_wait_for_honours_header_backoff_and_budget() -> None:
    policy = RetryPolicy(total=3, backoff=0.5, max_wait=4.0)
    assert policy.wait_for("POST", 429, "2", 0) == 2.0
    assert [policy.wait_for("GET", 503, None, n) for n in range(3)] == [0.5, 1.0, 2.0]
    assert policy.wait_for("GET", 503, None, 3) is None  # budget spent
    assert policy.wait_for("POST", 429, "5", 0) is None  # longer than max_wait: caller waits
    assert policy.wait_for("POST", 500, None, 0) is None  # never repeat a POST after a 5xx
    assert RetryPolicy(backoff=8.0, max_wait=4.0).backoff_for(2) == 4.0


def test_urllib3_retry_keeps_policy_across_increments() -> None:
    seen: list[int] = []
    retry = HubSpotRetry.build(RetryPolicy(total=2, backoff=0.25), seen.append)
    assert retry.is_retry("POST", 429) and not retry.is_retry("POST", 500)
    assert retry.is_retry("GET", 500) and retry.allowed_methods is None
    copy = retry.new(total=1)
    assert copy.policy is retry.policy and copy.observer is retry.observer
    assert not copy.raise_on_status and copy.read is False and copy.connect is False


def test_call_stats_counts() -> None:
    from gateway.hubspot.errors import HubSpotRateLimited

    stats = CallStats()
    stats.call("GET", "/x/{id}")
    stats.call("GET", "/x/{id}")
    stats.retry(429)
    stats.error("GET", "/x/{id}", HubSpotRateLimited("r", retry_after=1.0))
    snap = stats.snapshot()
    assert snap["calls"] == {("GET", "/x/{id}"): 2}
    assert snap["errors"] == {("GET", "/x/{id}", "HubSpotRateLimited"): 1}
    assert stats.rate_limited == 2


def test_urllib3_retry_reads_fractional_and_refuses_long_retry_after() -> None:
    from urllib3 import HTTPResponse
    from urllib3.exceptions import MaxRetryError

    retry = HubSpotRetry.build(RetryPolicy(total=3, max_wait=5.0), None)
    assert retry.get_retry_after(HTTPResponse(headers={"Retry-After": "0.5"}, status=429)) == 0.5
    long_wait = HTTPResponse(headers={"Retry-After": "60"}, status=429)
    with pytest.raises(MaxRetryError):
        retry.increment("POST", "/crm/v3/objects/tickets", response=long_wait)
    after = retry.increment("POST", "/x", response=HTTPResponse(status=429))
    assert after.total == 2 and after.get_backoff_time() == 1.0
