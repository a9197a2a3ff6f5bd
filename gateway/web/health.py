"""/healthz (the process answers) and /readyz (database writable, SMTP listening, workers up)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gateway.errors import StorageError
from gateway.web.pages import gw_of

DB_TIMEOUT = 3.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def check_database(gw: Any) -> str | None:
    """A write transaction through the writer thread: BEGIN IMMEDIATE takes the write lock."""
    try:
        await asyncio.wait_for(gw.db.write(lambda c: c.execute("SELECT 1").fetchone()),
                               DB_TIMEOUT)
    except TimeoutError:
        return f"the database writer did not answer within {DB_TIMEOUT:.0f} s"
    except StorageError as exc:
        return f"the database is not writable: {exc}"
    return None


def check_smtp(gw: Any) -> str | None:
    if gw.smtp is None or not gw.smtp.serving:
        return "the SMTP listener is not accepting connections"
    return None


def check_workers(gw: Any) -> str | None:
    if not gw.workers:
        return "no workers are running"
    down = gw.down_workers()
    return f"workers not running: {', '.join(down)}" if down else None


async def readyz(request: web.Request) -> web.Response:
    gw = gw_of(request)
    checks = {"database": await check_database(gw), "smtp": check_smtp(gw),
              "workers": check_workers(gw)}
    failing = {name: why for name, why in checks.items() if why}
    body = {"status": "not ready" if failing else "ready",
            "checks": {name: why or "ok" for name, why in checks.items()}}
    if failing:
        body["failing"] = sorted(failing)
    return web.json_response(body, status=503 if failing else 200)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
