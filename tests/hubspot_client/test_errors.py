"""error_from_response maps HubSpot's statuses and bodies onto the client's error tree."""

from __future__ import annotations

import json

import pytest

from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotBadRequest,
    HubSpotConflict,
    HubSpotConnectionError,
    HubSpotNotFound,
    HubSpotRateLimited,
    HubSpotScopeError,
    HubSpotServerError,
    error_from_response,
    parse_retry_after,
)


def body(**fields: object) -> bytes:
    return json.dumps({"status": "error", "correlationId": "c-1", **fields}).encode()


def test_conflict_parses_existing_id() -> None:
    raw = body(message="Contact already exists. Existing ID: 12345", category="CONFLICT")
    err = error_from_response(409, raw)
    assert isinstance(err, HubSpotConflict)
    assert err.existing_id == "12345"
    assert (err.status, err.category, err.correlation_id) == (409, "CONFLICT", "c-1")
    assert not err.temporary


def test_conflict_without_id() -> None:
    err = error_from_response(409, body(message="Property already exists"))
    assert isinstance(err, HubSpotConflict) and err.existing_id is None


def test_rate_limit_uses_header_then_policy() -> None:
    raw = body(message="You have reached your secondly limit.", policyName="SECONDLY")
    with_header = error_from_response(429, raw, {"Retry-After": "7"})
    assert isinstance(with_header, HubSpotRateLimited)
    assert (with_header.retry_after, with_header.policy) == (7.0, "SECONDLY")
    assert with_header.temporary
    assert error_from_response(429, raw).retry_after == 1.0
    daily = body(message="daily", policyName="DAILY")
    assert error_from_response(429, daily).retry_after == 3600.0
    assert error_from_response(429, b"").retry_after == 10.0


def test_scope_error_lists_scopes() -> None:
    raw = body(message="This app hasn't been granted all required scopes to make this call.",
               category="MISSING_SCOPES",
               errors=[{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": ["tickets", "crm.x.read"]}}])
    err = error_from_response(403, raw)
    assert isinstance(err, HubSpotScopeError) and isinstance(err, HubSpotAuthError)
    assert err.missing_scopes == ["tickets", "crm.x.read"]
    assert not err.temporary


def test_plain_403_and_401_are_auth_errors() -> None:
    forbidden = error_from_response(403, body(message="Forbidden", category="FORBIDDEN"))
    assert type(forbidden) is HubSpotAuthError
    unauthorized = error_from_response(401, body(message="Authentication credentials not found"))
    assert type(unauthorized) is HubSpotAuthError and unauthorized.status == 401


@pytest.mark.parametrize(
    ("status", "cls", "temporary"),
    [(404, HubSpotNotFound, False), (400, HubSpotBadRequest, False),
     (414, HubSpotBadRequest, False), (423, HubSpotBadRequest, True),
     (500, HubSpotServerError, True), (503, HubSpotServerError, True)],
)
def test_status_classes(status: int, cls: type, temporary: bool) -> None:
    err = error_from_response(status, body(message="m", category="C"))
    assert type(err) is cls
    assert err.temporary is temporary
    assert err.message == "m" and err.category == "C"


def test_non_json_body_is_kept_as_text() -> None:
    err = error_from_response(502, b"<html>Bad gateway</html>")
    assert isinstance(err, HubSpotServerError)
    assert err.body == "<html>Bad gateway</html>"
    assert "Bad gateway" in err.message


def test_connection_error_is_temporary() -> None:
    assert HubSpotConnectionError("timed out").temporary


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now=1767225600.0) == 10.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now=1767225700.0) == 0.0
