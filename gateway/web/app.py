"""Builds the aiohttp application (placeholder until the web UI lands): health endpoints only."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def create_app(gw: Any) -> web.Application:
    app = web.Application(client_max_size=gw.cfg.http.max_body_bytes)
    app["gateway"] = gw

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app
