"""HTTP plumbing of the HubSpot emulator: errors, auth, scopes, rate limits, faults, call log."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import web

from gateway.hubspot.emulator.state import EmulatorState, Json

if TYPE_CHECKING:
    from gateway.hubspot.emulator.webhooks import Webhooks

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Scopes = tuple[str, ...] | Callable[[web.Request], tuple[str, ...]]

CATEGORIES = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
              404: "OBJECT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 409: "CONFLICT",
              413: "TOO_LARGE", 429: "RATE_LIMITS"}
AUTH_MISSING = ("Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
BAD_HAPIKEY = ("The API key provided is invalid. View or manage your API key here: "
               "https://app.hubspot.com/l/api-key/")
SCOPES_MESSAGE = ("This app hasn't been granted all required scopes to make this call. "
                  "Read more about required scopes here: https://developers.hubspot.com/scopes.")
WINDOW_SECONDS = 10.0

log = logging.getLogger(__name__)


class HubSpotHTTPError(Exception):
    """An error the emulator answers with HubSpot's JSON error body (HUBSPOT.md §5.4)."""

    def __init__(self, status: int, message: str, category: str | None = None, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category or CATEGORIES.get(status, "INTERNAL_ERROR")
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> Json:
        """``{status, message, correlationId, category, ...extra}``."""
        return {"status": "error", "message": self.message,
                "correlationId": str(uuid.uuid4()), "category": self.category, **self.extra}

    def response(self) -> web.Response:
        """The error as an aiohttp response."""
        return json_response(self.body(), status=self.status, headers=self.headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """Compact JSON with HubSpot's content type."""
    return web.Response(text=json.dumps(data, separators=(",", ":")), status=status,
                        content_type="application/json", charset="utf-8", headers=headers)


def rate_limit_body(policy: str) -> Json:
    """HubSpot's 429 body for ``TEN_SECONDLY_ROLLING`` or ``SECONDLY`` (search)."""
    message = ("You have reached your secondly limit." if policy == "SECONDLY"
               else f"You have reached your {policy.lower()} limit.")
    return {"status": "error", "message": message, "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()), "policyName": policy,
            "requestId": str(uuid.uuid4())}


def default_error_body(status: int) -> Json:
    """The body ``fail_next`` sends when the test gives none."""
    if status == 429:
        return rate_limit_body("TEN_SECONDLY_ROLLING")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return HubSpotHTTPError(status, phrase).body()


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or 400 like HubSpot's ``Invalid input JSON``."""
    raw = await request.read()
    try:
        return json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"Invalid input JSON on line {getattr(exc, 'lineno', 1)}: {exc}"
        raise HubSpotHTTPError(400, message, "VALIDATION_ERROR") from exc


@dataclass(frozen=True)
class ApiMeta:
    """How a route authenticates and what it needs (read by the middleware)."""

    auth: str = "token"
    scopes: Scopes = ()
    search: bool = False


def api(*, scopes: Scopes = (), auth: str = "token", search: bool = False
        ) -> Callable[[Handler], Handler]:
    """Mark a handler: ``auth`` is ``token`` (Bearer) or ``hapikey`` (developer key)."""

    def mark(handler: Handler) -> Handler:
        handler.hubspot_meta = ApiMeta(auth, scopes, search)  # type: ignore[attr-defined]
        return handler

    return mark


class Call(NamedTuple):
    """One API call as the emulator saw it; ``status`` 0 means the connection was dropped."""

    method: str
    path: str
    status: int


@dataclass
class FaultRule:
    """A queued failure: answer ``status`` (fail) or close the connection (drop)."""

    method: str
    pattern: re.Pattern[str]
    count: int
    action: str
    status: int = 0
    body: Any = None
    retry_after: float | None = None
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None


@dataclass
class Controls:
    """Fault injection, latency, rate-limit counters and the call log."""

    rules: list[FaultRule] = field(default_factory=list)
    latency: list[tuple[re.Pattern[str] | None, float]] = field(default_factory=list)
    arrivals: list[tuple[str, str]] = field(default_factory=list)  # delayed calls, read in full
    calls: list[Call] = field(default_factory=list)
    hits: dict[str, deque[float]] = field(default_factory=dict)
    search_hits: dict[str, deque[float]] = field(default_factory=dict)

    def add_rule(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def take(self, method: str, path: str, action: str, after: bool = False
             ) -> FaultRule | None:
        """Consume one matching rule, if any."""
        for rule in self.rules:
            if rule.action == action and rule.after == after and rule.matches(method, path):
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def set_latency(self, seconds: float, path_regex: str | None = None) -> None:
        """Delay matching requests by ``seconds`` (0 removes the rule for that pattern)."""
        key = path_regex or None
        self.latency = [(p, s) for p, s in self.latency if (p.pattern if p else None) != key]
        if seconds > 0:
            self.latency.append((re.compile(path_regex) if path_regex else None, seconds))

    def delay_for(self, path: str) -> float:
        return max((s for p, s in self.latency if p is None or p.search(path)), default=0.0)


@dataclass
class Context:
    """Everything a handler needs; stored on the app under :data:`CTX`."""

    state: EmulatorState
    controls: Controls
    webhooks: Webhooks
    auth: Any = None  # gateway.hubspot.emulator.auth.AuthModel: token kinds, OAuth


CTX: web.AppKey[Context] = web.AppKey("hubspot_emulator", Context)
GRANT = web.RequestKey("hubspot_grant", object)


def _window(hits: deque[float], now: float, width: float) -> deque[float]:
    while hits and hits[0] <= now - width:
        hits.popleft()
    return hits


def rate_limit(ctx: Context, key: str, search: bool) -> dict[str, str]:
    """Count one call for ``key``; raise 429 if over budget; return the RateLimit headers."""
    settings, now = ctx.state.settings, ctx.state.now()
    limit = settings.rate_limit_per_10s
    hits = _window(ctx.controls.hits.setdefault(key, deque()), now, WINDOW_SECONDS)
    headers = {"X-HubSpot-RateLimit-Max": str(limit),
               "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(WINDOW_SECONDS * 1000))}
    if len(hits) >= limit:
        wait = max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
        headers |= {"X-HubSpot-RateLimit-Remaining": "0", "Retry-After": str(wait)}
        raise _limited("TEN_SECONDLY_ROLLING", headers)
    searches = _window(ctx.controls.search_hits.setdefault(key, deque()), now, 1.0)
    if search and len(searches) >= settings.search_per_second:
        headers |= {"X-HubSpot-RateLimit-Remaining": str(limit - len(hits)), "Retry-After": "1"}
        raise _limited("SECONDLY", headers)
    hits.append(now)
    if search:
        searches.append(now)
    headers["X-HubSpot-RateLimit-Remaining"] = str(limit - len(hits))
    return headers


class RateLimitedError(HubSpotHTTPError):
    """429 with HubSpot's rate-limit body (``errorType``/``policyName``, no ``category``)."""

    def __init__(self, policy: str, headers: dict[str, str]) -> None:
        self.policy = policy
        super().__init__(429, rate_limit_body(policy)["message"], headers=headers)

    def body(self) -> Json:
        return rate_limit_body(self.policy)


def _limited(policy: str, headers: dict[str, str]) -> HubSpotHTTPError:
    return RateLimitedError(policy, headers)


def authenticate(ctx: Context, request: web.Request, meta: ApiMeta) -> str:
    """Check Bearer token or ``hapikey``; return the rate-limit key. Raises 401."""
    settings = ctx.state.settings
    if meta.auth == "hapikey":
        if request.query.get("hapikey") != settings.developer_api_key:
            raise HubSpotHTTPError(401, BAD_HAPIKEY, "INVALID_AUTHENTICATION")
        ctx.auth.check_developer(request.method, request.path, request.query.get("appId"),
                                 ctx.state.channels)
        return "hapikey:" + settings.developer_api_key
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HubSpotHTTPError(401, AUTH_MISSING, "INVALID_AUTHENTICATION")
    grant = ctx.auth.resolve(token.strip(), ctx.state.now())  # 401 invalid or expired
    request[GRANT] = grant
    return str(grant.rate_key(token.strip()))


def check_scopes(ctx: Context, request: web.Request, meta: ApiMeta) -> None:
    """403 MISSING_SCOPES unless the granted scopes cover the route's needs."""
    if meta.auth != "token":
        return
    grant = request[GRANT]
    ctx.auth.check(grant, request.path, ctx.state.channels)  # token kind, channel ownership
    granted = ctx.state.settings.scopes if grant.scopes is None else grant.scopes
    needed = meta.scopes(request) if callable(meta.scopes) else meta.scopes
    missing = [s for s in needed if s not in granted]
    if missing:
        raise HubSpotHTTPError(
            403, SCOPES_MESSAGE, "MISSING_SCOPES",
            errors=[{"message": "One or more of the following scopes are required.",
                     "context": {"requiredGranularScopes": missing}}],
            links={"scopes": "https://developers.hubspot.com/scopes"})


def _drop(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


def _fail(rule: FaultRule) -> web.Response:
    headers = {"Retry-After": str(math.ceil(rule.retry_after))} if rule.retry_after else {}
    body = default_error_body(rule.status) if rule.body is None else rule.body
    if isinstance(body, str):
        return web.Response(text=body, status=rule.status, headers=headers)
    return json_response(body, status=rule.status, headers=headers)


async def _dispatch(ctx: Context, request: web.Request, handler: Handler
                    ) -> web.StreamResponse:
    meta: ApiMeta | None = getattr(request.match_info.handler, "hubspot_meta", None)
    headers: dict[str, str] = {}
    try:
        if meta is None:
            return await handler(request)
        key = authenticate(ctx, request, meta)
        headers = rate_limit(ctx, key, meta.search)
        check_scopes(ctx, request, meta)
        response = await handler(request)
    except HubSpotHTTPError as exc:
        response = exc.response()
    except web.HTTPException as exc:
        response = HubSpotHTTPError(exc.status, exc.reason).response()
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.info("emulator rejected malformed input path=%s error=%s", request.path,
                 type(exc).__name__)
        response = HubSpotHTTPError(400, f"Invalid input: {type(exc).__name__}").response()
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


async def _serve(ctx: Context, request: web.Request, handler: Handler
                 ) -> tuple[web.StreamResponse, bool]:
    delay = ctx.controls.delay_for(request.path)
    if delay:
        await request.read()  # the request has arrived: a client dying now does not undo it
        ctx.controls.arrivals.append((request.method, request.path))
        await asyncio.sleep(delay)
    method, path = request.method, request.path
    if ctx.controls.take(method, path, "drop"):
        return _drop(request), True
    rule = ctx.controls.take(method, path, "fail")
    if rule:
        return _fail(rule), False
    response = await _dispatch(ctx, request, handler)
    if ctx.controls.take(method, path, "drop", after=True):
        return _drop(request), True
    return response, False


@web.middleware
async def hubspot_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Faults, auth, rate limits, scopes and the call log around every API route."""
    ctx = request.app[CTX]
    if request.path.startswith("/_emulator"):
        return await handler(request)
    response, dropped = await _serve(ctx, request, handler)
    ctx.controls.calls.append(Call(request.method, request.path, 0 if dropped else response.status))
    return response
