"""The JSON API: the same data as the pages, behind the same auth (cookie + CSRF, or bearer)."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from gateway.replies import sanitize_html
from gateway.storage import sessions
from gateway.web import model
from gateway.web.pages import gw_of, webhook_paths

log = logging.getLogger(__name__)


def _id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])  # the route pattern admits digits only


async def _json_body(request: web.Request) -> dict[str, Any]:
    """An optional JSON object body; anything else is a 400 with the reason."""
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise model.InvalidInput("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise model.InvalidInput("the request body must be a JSON object")
    return data


async def list_sessions(request: web.Request) -> web.Response:
    q = request.query
    limit, offset = model.page_args(q.get("limit"), q.get("offset"))
    data = await model.inbox(gw_of(request), status=q.get("status") or None, q=q.get("q"),
                             limit=limit, offset=offset)
    return web.json_response(data)


async def get_session(request: web.Request) -> web.Response:
    gw = gw_of(request)
    session = await model.session_detail(gw, _id(request))
    html = await gw.db.read(lambda c: {m["id"]: m["html"] for m in
                                       sessions.session_messages(c, session["id"]) if m["html"]})
    for m in session["messages"]:
        m["html"] = sanitize_html(html[m["id"]]) if m["id"] in html else None
    return web.json_response(session)


async def handoff(request: web.Request) -> web.Response:
    sid = _id(request)
    reason = (await _json_body(request)).get("reason")
    if reason is not None and not isinstance(reason, str):
        raise model.InvalidInput("reason must be a string")
    result = await gw_of(request).actions.handoff(sid, reason)
    log.info("api handoff session=%s", sid)
    return web.json_response(result)


async def list_channels(request: web.Request) -> web.Response:
    return web.json_response({"channels": await model.channels(gw_of(request))})


async def send_test(request: web.Request) -> web.Response:
    address = request.match_info["address"].strip()
    if "@" not in address:
        raise model.InvalidInput(f"{address!r} is not an email address")
    result = await gw_of(request).actions.send_test(address)
    log.info("api send-test address=%s", result["address"])
    return web.json_response(result, status=202)


async def list_queue(request: web.Request) -> web.Response:
    q = request.query
    limit, offset = model.page_args(q.get("limit"), q.get("offset"), default=100)
    data = await model.queue_view(gw_of(request), status=q.get("status") or "all",
                                  queue=q.get("queue"), limit=limit, offset=offset)
    return web.json_response(data)


async def requeue(request: web.Request) -> web.Response:
    return web.json_response(await model.requeue(gw_of(request), _id(request)))


async def hubspot(request: web.Request) -> web.Response:
    data = await model.hubspot_view(gw_of(request), webhook_paths(request.app))
    return web.json_response(data, dumps=lambda v: json.dumps(v, default=str))


async def resolve_signature(request: web.Request) -> web.Response:
    address = request.query.get("address", "").strip()
    if not address:
        raise model.InvalidInput("give ?address=someone@example.com (or a bare domain)")
    data = model.signatures_view(gw_of(request), address)
    return web.json_response({**data["preview"], "problems": data["problems"]})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/sessions", list_sessions)
    r.add_get(r"/api/sessions/{id:\d+}", get_session)
    r.add_post(r"/api/sessions/{id:\d+}/handoff", handoff)
    r.add_get("/api/channels", list_channels)
    r.add_post("/api/channels/{address}/test", send_test)
    r.add_get("/api/queue", list_queue)
    r.add_post(r"/api/queue/{id:\d+}/requeue", requeue)
    r.add_get("/api/hubspot", hubspot)
    r.add_get("/api/signatures/resolve", resolve_signature)
