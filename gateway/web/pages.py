"""Server-rendered pages: Inbox, session, Channels, Settings (HubSpot, signatures), Queue."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from gateway.errors import GatewayError
from gateway.hubspot.errors import HubSpotError
from gateway.web import model
from gateway.web.auth import get_auth
from gateway.web.templating import redirect, render

log = logging.getLogger(__name__)
GATEWAY_KEY = web.AppKey("gateway", object)

# The one place a message body is shown as HTML: its own document, sandboxed (no scripts,
# unique origin), no network at all (remote images and fonts are blocked: no tracking).
BODY_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def gw_of(request: web.Request) -> Any:
    return request.app[GATEWAY_KEY]


def _int(request: web.Request, name: str) -> int:
    return int(request.match_info[name])  # the route pattern admits digits only


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


def _done(request: web.Request, location: str, text: str, kind: str = "ok") -> web.Response:
    response = redirect(location)
    get_auth(request).flash(response, text, kind)
    return response


# -- inbox and sessions -------------------------------------------------------------------
async def inbox_page(request: web.Request) -> web.StreamResponse:
    limit, offset = model.page_args(request.query.get("limit"), request.query.get("offset"))
    data = await model.inbox(gw_of(request), status=request.query.get("status") or None,
                             q=request.query.get("q"), limit=limit, offset=offset)
    return render(request, "inbox.html", {"title": "Inbox", "nav": "inbox", **data})


async def session_page(request: web.Request) -> web.StreamResponse:
    gw = gw_of(request)
    session = await model.session_detail(gw, _int(request, "id"))
    return render(request, "session.html", {
        "title": f"#{session['id']} {session['subject']}", "nav": "inbox", "s": session,
        "hubspot_mode": gw.cfg.hubspot.mode})


async def message_body(request: web.Request) -> web.StreamResponse:
    html = await model.message_html(gw_of(request), _int(request, "id"), _int(request, "mid"))
    doc = ("<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">"
           f"</head><body>{html}</body></html>")
    return web.Response(text=doc, content_type="text/html", charset="utf-8", headers={
        "Content-Security-Policy": BODY_CSP, "X-Frame-Options": "SAMEORIGIN"})


async def handoff_submit(request: web.Request) -> web.StreamResponse:
    sid = _int(request, "id")
    reason = (await _form(request)).get("reason", "").strip()
    try:
        await gw_of(request).actions.handoff(sid, reason or None)
    except GatewayError as exc:
        return _done(request, f"/sessions/{sid}", f"Not handed off: {exc}", "error")
    log.info("web handoff session=%s reason_chars=%d", sid, len(reason))
    return _done(request, f"/sessions/{sid}", "Handed off. The HubSpot ticket is being created."
                 if gw_of(request).cfg.hubspot.mode != "off" else
                 "Handed off. HubSpot is off, so no ticket will be created.")


# -- channels -----------------------------------------------------------------------------
async def channels_page(request: web.Request) -> web.StreamResponse:
    rows = await model.channels(gw_of(request))
    return render(request, "channels.html", {"title": "AI Email", "nav": "channels",
                                             "channels": rows})


async def send_test_submit(request: web.Request) -> web.StreamResponse:
    address = (await _form(request)).get("address", "")
    try:
        result = await gw_of(request).actions.send_test(address)
    except GatewayError as exc:
        return _done(request, "/channels", f"No test sent: {exc}", "error")
    log.info("web send-test address=%s", result["address"])
    return _done(request, "/channels", f"Test mail queued to {result['address']}. When it "
                 f"comes back through the forward to {result['forward_to']}, the address is "
                 "marked verified.")


# -- settings -----------------------------------------------------------------------------
def webhook_paths(app: web.Application) -> list[str]:
    """The webhook routes actually registered (by the HubSpot service), for the settings page."""
    paths = {r.resource.canonical for r in app.router.routes()
             if r.resource is not None and r.resource.canonical.startswith("/webhooks/")}
    return sorted(paths)


async def hubspot_page(request: web.Request) -> web.StreamResponse:
    data = await model.hubspot_view(gw_of(request), webhook_paths(request.app))
    return render(request, "hubspot.html", {"title": "HubSpot", "nav": "settings",
                                            "sub": "hubspot", **data})


async def pipeline_submit(request: web.Request) -> web.StreamResponse:
    """Choose the ticket pipeline/stage new tickets go to ("PIPELINE/STAGE" from the list)."""
    choice = (await _form(request)).get("route", "")
    pipeline, _, stage = choice.partition("/")
    service = gw_of(request).hubspot
    if service is None or not hasattr(service, "choose_pipeline"):
        return _done(request, "/settings/hubspot", "HubSpot is off", "error")
    if not pipeline or not stage:
        return _done(request, "/settings/hubspot", "Choose a pipeline and stage", "error")
    try:
        await service.choose_pipeline(pipeline, stage)
    except HubSpotError as exc:
        return _done(request, "/settings/hubspot", f"Not changed: {exc}", "error")
    return _done(request, "/settings/hubspot", f"New tickets now go to pipeline {pipeline}, "
                 f"stage {stage}.")


async def signatures_page(request: web.Request) -> web.StreamResponse:
    data = model.signatures_view(gw_of(request), request.query.get("address"))
    return render(request, "signatures.html", {"title": "Signatures", "nav": "settings",
                                               "sub": "signatures", **data})


# -- queue --------------------------------------------------------------------------------
async def queue_page(request: web.Request) -> web.StreamResponse:
    limit, offset = model.page_args(request.query.get("limit"), request.query.get("offset"))
    data = await model.queue_view(gw_of(request), status=request.query.get("status") or "all",
                                  queue=request.query.get("queue"), limit=limit, offset=offset)
    return render(request, "queue.html", {"title": "Queue", "nav": "queue", **data})


async def requeue_submit(request: web.Request) -> web.StreamResponse:
    job_id = _int(request, "id")
    back = (await _form(request)).get("back", "")
    back = back if back.startswith("/queue") else "/queue"
    try:
        job = await model.requeue(gw_of(request), job_id)
    except GatewayError as exc:
        return _done(request, back, f"Not requeued: {exc}", "error")
    return _done(request, back, f"Job {job_id} ({job['queue']}) is due again now.")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", inbox_page, name="inbox")
    r.add_get(r"/sessions/{id:\d+}", session_page, name="session")
    r.add_get(r"/sessions/{id:\d+}/messages/{mid:\d+}/body", message_body)
    r.add_post(r"/sessions/{id:\d+}/handoff", handoff_submit)
    r.add_get("/channels", channels_page, name="channels")
    r.add_post("/channels/test", send_test_submit)
    r.add_get("/settings", lambda _: _static_redirect("/settings/hubspot"))
    r.add_get("/settings/hubspot", hubspot_page, name="hubspot")
    r.add_post("/settings/hubspot/pipeline", pipeline_submit)
    r.add_get("/settings/signatures", signatures_page, name="signatures")
    r.add_get("/queue", queue_page, name="queue")
    r.add_post(r"/queue/{id:\d+}/requeue", requeue_submit)


async def _static_redirect(location: str) -> web.Response:
    return redirect(location)
