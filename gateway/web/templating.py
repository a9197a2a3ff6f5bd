"""Jinja2 environment (autoescape always on), display filters, and the page render helper."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jinja2
from aiohttp import web

JINJA_KEY = web.AppKey("jinja", jinja2.Environment)
CLOCK_KEY = web.AppKey("clock", object)
FLASH_COOKIE = "opencx_flash"


def fmt_time(value: float | None) -> str:
    if not value:
        return "—"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gateway.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ts"] = fmt_time
    env.filters["duration"] = fmt_duration
    return env


def render(request: web.Request, name: str, context: dict[str, Any],
           *, status: int = 200) -> web.Response:
    """Render a page with the common context (CSRF token, flash note, current path)."""
    from gateway.web.auth import IDENTITY_KEY, get_auth  # auth imports this module

    app = request.app
    clock = app[CLOCK_KEY]
    ident = request.get(IDENTITY_KEY)
    flash = get_auth(request).read_flash(request)
    page = dict(context)
    page.setdefault("title", "")
    page.setdefault("nav", "")
    page.update(
        csrf=ident.csrf if ident is not None else None,
        flash=flash,
        path=request.path,
        now=clock() if callable(clock) else time.time(),
    )
    text = app[JINJA_KEY].get_template(name).render(page)
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(location: str) -> web.Response:
    """303 See Other (a POST is never repeated by the browser), returned, not raised."""
    return web.Response(status=303, headers={"Location": location})
