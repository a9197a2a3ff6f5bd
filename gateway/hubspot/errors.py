"""HubSpot client errors: one tree for CRM and conversations calls, built from HTTP responses."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

# Seconds to wait after a 429 that carries no Retry-After header, by HubSpot's `policyName`.
# TEN_SECONDLY_ROLLING / SECONDLY follow HubSpot's own Node client; DAILY resets at midnight
# in the portal's time zone, which we cannot see, so we wait an hour and try again.
POLICY_WAIT = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0, "DAILY": 3600.0}
DEFAULT_RATE_WAIT = 10.0
TEMPORARY_4XX = frozenset({408, 423, 425})
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_SCOPE_KEYS = re.compile(r"scope", re.IGNORECASE)


class HubSpotError(Exception):
    """A HubSpot call failed; `temporary` tells a caller whether retrying later can help."""

    temporary = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.correlation_id = correlation_id
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "no response", self.message]
        if self.category:
            parts.append(f"category={self.category}")
        if self.correlation_id:
            parts.append(f"correlationId={self.correlation_id}")
        return " ".join(parts)


class HubSpotConnectionError(HubSpotError):
    """No usable response: connection refused or reset, or the call timed out."""

    temporary = True


class HubSpotRateLimited(HubSpotError):
    """429 after the client's own retries; wait `retry_after` seconds (policy: HubSpot's name)."""

    temporary = True

    def __init__(self, message: str, *, retry_after: float, policy: str = "", **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)
        self.policy = policy


class HubSpotServerError(HubSpotError):
    """5xx from HubSpot (502/504 processing limits, 503, 521-524 ...)."""

    temporary = True


class HubSpotAuthError(HubSpotError):
    """401 (bad or expired token) or 403 (forbidden): no retry helps until an operator acts."""


class HubSpotScopeError(HubSpotAuthError):
    """403 because the token lacks scopes; `missing_scopes` lists them when the body says."""

    def __init__(self, message: str, *, missing_scopes: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.missing_scopes = missing_scopes


class HubSpotNotFound(HubSpotError):
    """404: the object (or the path) does not exist."""


class HubSpotConflict(HubSpotError):
    """409: e.g. a contact with that email exists; `existing_id` when the message names it."""

    def __init__(self, message: str, *, existing_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.existing_id = existing_id


class HubSpotBadRequest(HubSpotError):
    """Any other 4xx (400 validation, 405, 414 ...): permanent, except 408/423/425."""

    @property  # type: ignore[override]
    def temporary(self) -> bool:
        return self.status in TEMPORARY_4XX


def parse_body(raw: bytes | str | None) -> Any:
    """Decode an error body: JSON when it is JSON, else the text (or None when empty)."""
    if raw is None or raw in (b"", ""):
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_body(raw: bytes, status: int) -> Any:
    """Decode a 2xx body (None when empty); a non-JSON 2xx (a proxy page) is a server error."""
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise HubSpotServerError("response is not JSON", status=status) from exc


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - (time.time() if now is None else now))


def missing_scopes(body: Any) -> list[str]:
    """Scopes a 403 body names, from `context` / `errors[].context` keys mentioning "scope"."""
    if not isinstance(body, dict):
        return []
    contexts = [body.get("context")]
    contexts += [e.get("context") for e in body.get("errors") or [] if isinstance(e, dict)]
    found: list[str] = []
    for ctx in contexts:
        if not isinstance(ctx, dict):
            continue
        for key, values in ctx.items():
            if _SCOPE_KEYS.search(key) and isinstance(values, list):
                found += [str(v) for v in values if str(v) not in found]
    return found


def _is_scope_error(body: Any, scopes: list[str]) -> bool:
    if scopes:
        return True
    if not isinstance(body, dict):
        return False
    return body.get("category") == "MISSING_SCOPES" or "scope" in str(body.get("message", ""))


def error_from_response(
    status: int, raw_body: bytes | str | None, headers: Mapping[str, str] | None = None
) -> HubSpotError:
    """Translate one non-2xx HubSpot response into the matching HubSpotError subclass."""
    body = parse_body(raw_body)
    info = body if isinstance(body, dict) else {}
    message = str(info.get("message") or (body if isinstance(body, str) else "") or "")[:500]
    kw: dict[str, Any] = {
        "status": status,
        "category": info.get("category") or info.get("errorType"),
        "correlation_id": info.get("correlationId"),
        "body": body,
    }
    if status == 429:
        policy = str(info.get("policyName") or "")
        header = parse_retry_after((headers or {}).get("Retry-After"))
        wait = header if header is not None else POLICY_WAIT.get(policy, DEFAULT_RATE_WAIT)
        return HubSpotRateLimited(message or "rate limited", retry_after=wait, policy=policy, **kw)
    if status == 401:
        return HubSpotAuthError(message or "unauthorized", **kw)
    if status == 403:
        scopes = missing_scopes(body)
        if _is_scope_error(body, scopes):
            return HubSpotScopeError(message or "missing scopes", missing_scopes=scopes, **kw)
        return HubSpotAuthError(message or "forbidden", **kw)
    if status == 404:
        return HubSpotNotFound(message or "not found", **kw)
    if status == 409:
        match = _EXISTING_ID.search(message)
        existing = match.group(1) if match else None
        return HubSpotConflict(message or "conflict", existing_id=existing, **kw)
    if status >= 500:
        return HubSpotServerError(message or "server error", **kw)
    return HubSpotBadRequest(message or "bad request", **kw)
