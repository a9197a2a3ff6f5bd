"""Builds the aiohttp application: middlewares (errors, auth, CSRF), security headers, routes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.errors import GatewayError, NotFound, StorageError
from gateway.web import api, health, metrics, pages
from gateway.web.auth import (
    AUTH_KEY,
    Auth,
    Handler,
    auth_middleware,
    is_api,
    login_page,
    login_submit,
    logout,
)
from gateway.web.model import InvalidInput
from gateway.web.templating import CLOCK_KEY, JINJA_KEY, make_env, render

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(gw: Any) -> web.Application:
    app = web.Application(client_max_size=gw.cfg.http.max_body_bytes,
                          middlewares=[error_middleware, auth_middleware])
    app[pages.GATEWAY_KEY] = gw
    app[AUTH_KEY] = Auth(gw.secret_key, gw.admin_token, session_hours=gw.cfg.web.session_hours,
                         secure=gw.cfg.http.secure_cookies, clock=gw.clock)
    env = make_env()
    env.globals["static"] = lambda name: str(app.router["static"].url_for(filename=name))
    app[JINJA_KEY] = env
    app[CLOCK_KEY] = gw.clock
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    pages.add_routes(app)
    api.add_routes(app)
    health.add_routes(app)
    metrics.install(app, gw)
    app.router.add_static("/static/", STATIC, append_version=True, name="static")
    return app


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, errors and static files included; a handler's own CSP wins."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


def error_status(exc: Exception) -> tuple[int, str]:
    """The one mapping from the gateway's errors to HTTP statuses."""
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, InvalidInput):
        return 400, str(exc)
    if isinstance(exc, StorageError):
        return 503, "the database is unavailable; try again shortly"
    if isinstance(exc, GatewayError):
        return 409, str(exc)
    return 500, "internal error (see the gateway log)"


def error_response(request: web.Request, status: int, reason: str) -> web.StreamResponse:
    if is_api(request.path) or request.path.startswith("/webhooks/"):
        return web.json_response({"error": reason, "status": status}, status=status)
    return render(request, "error.html", {"title": f"Error {status}", "status": status,
                                          "reason": reason, "nav": ""}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP boundary: exceptions become one consistent JSON (API) or HTML (pages) error."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(request, exc.status, exc.reason)
    except Exception as exc:  # HTTP boundary: map known errors, log the unexpected
        status, reason = error_status(exc)
        if status >= 500:
            log.exception("web error path=%s status=%d", request.path, status)
        return error_response(request, status, reason)
