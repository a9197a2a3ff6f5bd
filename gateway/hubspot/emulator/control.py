"""The emulator's own control surface: rep actions and the ``/_emulator/...`` HTTP API.

These routes are not HubSpot's; they let tests, the bench and the CLI drive an emulator
running in another process (faults, latency, clock, call log, deliveries, acting as a rep).
They need no authentication: the emulator is a loopback development tool.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.conversations import (
    agent_message,
    comment,
    get_thread,
    render_message,
    render_thread,
)
from gateway.hubspot.emulator.crm import is_closed_stage, render, update_object
from gateway.hubspot.emulator.files import attachment_json
from gateway.hubspot.emulator.http import CTX, Context, FaultRule, HubSpotHTTPError, json_response
from gateway.hubspot.emulator.portal import add_inbox, apply_profile, default_pipeline_id
from gateway.hubspot.emulator.state import Json

routes = web.RouteTableDef()
REP = "A-1001"
REP_CLIENT = {"clientType": "HUBSPOT"}


# -- rep actions (shared by the Python API and the HTTP API) ------------------------------

def rep_reply(ctx: Context, thread_id: str, text: str, rich_text: str | None = None,
              actor_id: str = REP, file_ids: list[str] | None = None) -> Json:
    """A rep's public reply in the inbox: OUTGOING MESSAGE + channel and app webhooks."""
    thread = get_thread(ctx.state, thread_id)
    attachments = [attachment_json(ctx.state, {"type": "FILE", "fileId": f})
                   for f in file_ids or []]
    return agent_message(ctx, thread, text, rich_text, actor_id, REP_CLIENT, attachments)


def rep_comment(ctx: Context, thread_id: str, text: str, rich_text: str | None = None,
                actor_id: str = REP) -> Json:
    """A rep's internal comment: COMMENT + ``conversation.newMessage`` (COMMENT) to the app."""
    thread = get_thread(ctx.state, thread_id)
    return comment(ctx, thread, text, rich_text, actor_id, REP_CLIENT)


def close_ticket(ctx: Context, ticket_id: str, stage: str | None = None,
                 actor_id: str = REP) -> Json:
    """Move a ticket to ``stage`` (default: its pipeline's first closed stage) as a rep."""
    state = ctx.state
    ticket = state.tickets.get(ticket_id)
    if ticket is None or ticket.archived:
        raise HubSpotHTTPError(404, f"Ticket {ticket_id} not found", "OBJECT_NOT_FOUND")
    pipeline = ticket.properties.get("hs_pipeline") or default_pipeline_id(state)
    if stage is None:
        stages = [s["id"] for p in state.pipelines["tickets"] if p["id"] == pipeline
                  for s in p["stages"] if is_closed_stage(state, pipeline, s["id"])]
        stage = stages[0]
    user = actor_id.removeprefix("A-")
    update_object(ctx, ticket, {"hs_pipeline_stage": stage}, source="CRM_UI",
                  source_id=f"userId:{user}")
    return render(state, ticket, None)


# -- HTTP control API ---------------------------------------------------------------------

async def _body(request: web.Request) -> Json:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise HubSpotHTTPError(400, "Body must be a JSON object")
    return data


def _rule(body: Json, action: str) -> FaultRule:
    try:
        pattern = re.compile(body.get("path", ".*"))
    except re.error as exc:
        raise HubSpotHTTPError(400, f"Bad path regex: {exc}") from exc
    return FaultRule(method=str(body.get("method", "*")).upper(), pattern=pattern,
                     count=int(body.get("count", 1)), action=action,
                     status=int(body.get("status", 0)), body=body.get("body"),
                     retry_after=body.get("retryAfter"), after=bool(body.get("after", False)))


def _control(handler: Any) -> Any:
    """Render emulator errors for the control routes (the API middleware skips them)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except HubSpotHTTPError as exc:
            return exc.response()
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"status": "error", "message": str(exc)}, status=400)

    return wrapped


@routes.get("/_emulator/calls")
@_control
async def get_calls(request: web.Request) -> web.Response:
    calls = request.app[CTX].controls.calls
    return json_response({"calls": [c._asdict() for c in calls]})


@routes.delete("/_emulator/calls")
@routes.post("/_emulator/calls/reset")
@_control
async def reset_calls(request: web.Request) -> web.Response:
    request.app[CTX].controls.calls.clear()
    return web.Response(status=204)


@routes.post("/_emulator/fail_next")
@_control
async def post_fail_next(request: web.Request) -> web.Response:
    body = await _body(request)
    if not body.get("status"):
        raise HubSpotHTTPError(400, "status is required")
    request.app[CTX].controls.add_rule(_rule(body, "fail"))
    return web.Response(status=204)


@routes.post("/_emulator/drop_next")
@_control
async def post_drop_next(request: web.Request) -> web.Response:
    request.app[CTX].controls.add_rule(_rule(await _body(request), "drop"))
    return web.Response(status=204)


@routes.post("/_emulator/latency")
@_control
async def post_latency(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[CTX].controls.set_latency(float(body.get("seconds", 0)), body.get("path"))
    return web.Response(status=204)


@routes.delete("/_emulator/faults")
@_control
async def clear_faults(request: web.Request) -> web.Response:
    controls = request.app[CTX].controls
    controls.rules.clear()
    controls.latency.clear()
    return web.Response(status=204)


@routes.post("/_emulator/clock")
@_control
async def post_clock(request: web.Request) -> web.Response:
    state = request.app[CTX].state
    state.clock_offset += float((await _body(request)).get("advance", 0))
    return json_response({"now": state.now()})


@routes.patch("/_emulator/settings")
@_control
async def patch_settings(request: web.Request) -> web.Response:
    settings, body = request.app[CTX].state.settings, await _body(request)
    names = {"scopes": "scopes", "searchLag": "search_lag", "rateLimitPer10s":
             "rate_limit_per_10s", "searchPerSecond": "search_per_second",
             "webhookTargetUrl": "webhook_target_url", "truncateAt": "truncate_at",
             "idempotencyDedupe": "idempotency_dedupe",
             "threadObjectTypes": "thread_object_types",
             "channelClientSecret": "channel_client_secret",
             "channelWebhookShape": "channel_webhook_shape",
             "channelSignature": "channel_signature", "helpdeskAutoTicket": "helpdesk_auto_ticket",
             "strictChannelPatch": "strict_channel_patch"}
    for key, attr in names.items():
        if key in body:
            sets = ("scopes", "threadObjectTypes")
            setattr(settings, attr, set(body[key]) if key in sets else body[key])
    data = asdict(settings) | {"scopes": sorted(settings.scopes),
                               "thread_object_types": sorted(settings.thread_object_types)}
    for secret in ("token", "client_secret", "developer_api_key", "channel_client_secret"):
        data.pop(secret)
    return json_response(data)


@routes.post("/_emulator/portal")
@_control
async def post_portal(request: web.Request) -> web.Response:
    """Switch the pipeline profile: ``{"profile": "classic" | "helpdesk"}``."""
    state, body = request.app[CTX].state, await _body(request)
    try:
        apply_profile(state, str(body.get("profile", "")))
    except ValueError as exc:
        raise HubSpotHTTPError(400, str(exc)) from None
    return json_response({"pipelines": state.pipelines["tickets"]})


@routes.post("/_emulator/inboxes")
@_control
async def post_inbox(request: web.Request) -> web.Response:
    """Add an inbox: ``{"name": ..., "id": optional}``."""
    state, body = request.app[CTX].state, await _body(request)
    return json_response(add_inbox(state, str(body.get("name") or "Inbox"), body.get("id")))


@routes.get("/_emulator/deliveries")
@_control
async def get_deliveries(request: web.Request) -> web.Response:
    webhooks = request.app[CTX].webhooks
    if request.query.get("wait") in ("1", "true"):
        await webhooks.wait()
    return json_response({"deliveries": webhooks.log_json()})


@routes.post("/_emulator/threads/{thread_id}/reply")
@_control
async def post_reply(request: web.Request) -> web.Response:
    body = await _body(request)
    ctx = request.app[CTX]
    message = rep_reply(ctx, request.match_info["thread_id"], body["text"],
                        body.get("richText"), body.get("actorId", REP))
    return json_response(render_message(ctx.state, message), status=201)


@routes.post("/_emulator/threads/{thread_id}/comment")
@_control
async def post_comment(request: web.Request) -> web.Response:
    body = await _body(request)
    ctx = request.app[CTX]
    message = rep_comment(ctx, request.match_info["thread_id"], body["text"],
                          body.get("richText"), body.get("actorId", REP))
    return json_response(render_message(ctx.state, message), status=201)


@routes.post("/_emulator/tickets/{ticket_id}/close")
@_control
async def post_close(request: web.Request) -> web.Response:
    body = await _body(request)
    ctx = request.app[CTX]
    ticket = close_ticket(ctx, request.match_info["ticket_id"], body.get("stage"),
                          body.get("actorId", REP))
    return json_response(ticket)


@routes.get("/_emulator/state")
@_control
async def get_state(request: web.Request) -> web.Response:
    state = request.app[CTX].state
    return json_response({
        "contacts": [render(state, o) for o in state.contacts.values()],
        "tickets": [render(state, o, None, ["contacts", "notes"]) for o in state.tickets.values()],
        "notes": [render(state, o) for o in state.notes.values()],
        "threads": [render_thread(state, t, True) | {"messageIds": t.message_ids}
                    for t in state.threads.values()],
        "channels": list(state.channels.values()),
        "accounts": list(state.accounts.values()),
        "subscriptions": state.subscriptions,
        "webhookTargetUrl": state.settings.webhook_target_url,
    })
