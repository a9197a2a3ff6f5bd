"""Custom Channels v3 endpoints of the HubSpot emulator: channels, channel accounts, publish.

Publishing (``POST /conversations/v3/custom-channels/{channelId}/messages``) is the only way
to start a thread (HUBSPOT.md §0.1). UNCONFIRMED and modelled: 200 (not 201) for creates,
threads keyed by ``integrationThreadId`` per channel (or by the visitor's delivery
identifier under ``DELIVERY_IDENTIFIER`` threading), a closed thread reopening on a new
INCOMING message, idempotency per channel on ``integrationIdempotencyId``, and a
``CHANNEL_ACCOUNT_CREATED`` webhook to the channel's ``webhookUrl``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.conversations import add_message, integration_client, render_message
from gateway.hubspot.emulator.crm import create_object
from gateway.hubspot.emulator.files import attachment_json
from gateway.hubspot.emulator.http import (
    CTX,
    Context,
    HubSpotHTTPError,
    api,
    json_response,
    read_json,
)
from gateway.hubspot.emulator.portal import auto_ticket
from gateway.hubspot.emulator.state import EmulatorState, Json, Thread, iso, parse_time

routes = web.RouteTableDef()
BASE = "/conversations/v3/custom-channels"
CC_READ = ("conversations.custom_channels.read",)
CC_WRITE = ("conversations.custom_channels.write",)
IDENTIFIER_TYPES = frozenset({"HS_EMAIL_ADDRESS", "HS_PHONE_NUMBER", "CHANNEL_SPECIFIC_OPAQUE_ID"})
THREADING = frozenset({"INTEGRATION_THREAD_ID", "DELIVERY_IDENTIFIER"})
_BOOLS = ("allowInlineImages", "allowOutgoingMessages", "allowConversationStart",
          "allowMultipleRecipients")
_INTS = ("maxFileAttachmentCount", "maxFileAttachmentSizeBytes",
         "maxTotalFileAttachmentSizeBytes", "maxTextLength")
_STRING_LISTS = ("richText", "outgoingAttachmentTypes", "allowedFileAttachmentMimeTypes")


# -- channels (developer key) -------------------------------------------------------------

def _bad_capabilities(bad: dict[str, Any]) -> HubSpotHTTPError:
    """HubSpot's answer to wrongly typed capabilities (shape from a real 400, HUBSPOT.md §3.3)."""
    pairs = [f'"{k}": "{json.dumps(v, separators=(",", ":"))}"' for k, v in bad.items()]
    return HubSpotHTTPError(
        400, "One or more Channel Capabilities specified had invalid values: `"
        + ", ".join(pairs) + "`", "VALIDATION_ERROR",
        context={"capabilityKeysAndValues": pairs},
        subCategory="CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES")


def check_capabilities(caps: Any) -> Json:
    """Validate ``capabilities``; ``deliveryIdentifierTypes`` must be known strings."""
    if not isinstance(caps, dict):
        raise HubSpotHTTPError(400, "capabilities is required")
    bad: dict[str, Any] = {}
    kinds = caps.get("deliveryIdentifierTypes", [])
    if not isinstance(kinds, list) or any(k not in IDENTIFIER_TYPES for k in kinds
                                          if isinstance(k, str)) or any(
            not isinstance(k, str) for k in kinds):
        bad["deliveryIdentifierTypes"] = kinds
    if "threadingModel" in caps and caps["threadingModel"] not in THREADING:
        bad["threadingModel"] = caps["threadingModel"]
    for key in _BOOLS:
        if key in caps and not isinstance(caps[key], bool):
            bad[key] = caps[key]
    for key in _INTS:
        if key in caps and (isinstance(caps[key], bool) or not isinstance(caps[key], int)):
            bad[key] = caps[key]
    for key in _STRING_LISTS:
        value = caps.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad[key] = value
    if bad:
        raise _bad_capabilities(bad)
    return caps


def _check_app(request: web.Request) -> EmulatorState:
    state = request.app[CTX].state
    if request.query.get("appId") != str(state.settings.app_id):
        raise HubSpotHTTPError(400, "appId query parameter is missing or not this app's id")
    return state


def _channel(state: EmulatorState, channel_id: str) -> Json:
    channel = state.channels.get(channel_id)
    if channel is None or channel.get("archived"):
        raise HubSpotHTTPError(404, f"Channel {channel_id} not found", "OBJECT_NOT_FOUND")
    return channel


PATCH_REQUIRED = ("capabilities", "channelDescription", "channelLogoUrl")
"""Required in a channel PATCH by HubSpot's published schema (custom_channel_update_params)."""
_CHANNEL_FIELDS = ("webhookUrl", "channelAccountConnectionRedirectUrl", "channelDescription",
                   "channelLogoUrl")


@routes.post(BASE)
@api(auth="hapikey")
async def create_channel(request: web.Request) -> web.Response:
    state, body = _check_app(request), await read_json(request)
    if not isinstance(body, dict) or not body.get("name"):
        raise HubSpotHTTPError(400, "name is required")
    caps = check_capabilities(body.get("capabilities"))
    stamp = iso(state.now())
    channel = {"id": state.next_id("channels"), "name": body["name"],
               "capabilities": {"threadingModel": "DELIVERY_IDENTIFIER", **caps},
               **{k: body.get(k) for k in _CHANNEL_FIELDS},
               "createdAt": stamp, "updatedAt": stamp, "archived": False}
    state.channels[channel["id"]] = channel
    return json_response(channel)


@routes.get(BASE)
@routes.get(BASE + "/")
@api(auth="hapikey")
async def list_channels(request: web.Request) -> web.Response:
    state = request.app[CTX].state
    rows = [c for c in state.channels.values() if not c.get("archived")]
    return json_response({"results": rows})


@routes.get(BASE + "/{channel_id}")
@api(auth="hapikey")
async def get_channel(request: web.Request) -> web.Response:
    return json_response(_channel(request.app[CTX].state, request.match_info["channel_id"]))


@routes.patch(BASE + "/{channel_id}")
@api(auth="hapikey")
async def patch_channel(request: web.Request) -> web.Response:
    state = request.app[CTX].state
    channel, body = _channel(state, request.match_info["channel_id"]), await read_json(request)
    if not isinstance(body, dict):
        raise HubSpotHTTPError(400, "Body must be an object")
    missing = [k for k in PATCH_REQUIRED if k not in body]
    if missing and state.settings.strict_channel_patch:
        raise HubSpotHTTPError(
            400, f"Invalid input JSON: missing required fields {', '.join(missing)}",
            "VALIDATION_ERROR", context={"missingFields": missing})
    if "capabilities" in body:
        channel["capabilities"] = {**channel["capabilities"],
                                   **check_capabilities(body["capabilities"])}
    for key in ("name", *_CHANNEL_FIELDS):
        if key in body:
            channel[key] = body[key]
    channel["updatedAt"] = iso(state.now())
    return json_response(channel)


@routes.delete(BASE + "/{channel_id}")
@api(auth="hapikey")
async def delete_channel(request: web.Request) -> web.Response:
    _channel(request.app[CTX].state, request.match_info["channel_id"])["archived"] = True
    return web.Response(status=204)


# -- channel accounts (token) -------------------------------------------------------------

def _account(state: EmulatorState, channel_id: str, account_id: str) -> Json:
    account = state.accounts.get(account_id)
    if account is None or account["channelId"] != channel_id:
        raise HubSpotHTTPError(404, f"Channel account {account_id} not found", "OBJECT_NOT_FOUND")
    return account


@routes.post(BASE + "/{channel_id}/channel-accounts")
@api(scopes=CC_WRITE)
async def create_account(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    channel = _channel(ctx.state, request.match_info["channel_id"])
    body = await read_json(request)
    if not isinstance(body, dict) or not body.get("name") or "authorized" not in body:
        raise HubSpotHTTPError(400, "name, inboxId and authorized are required")
    inbox_id = str(body.get("inboxId", ""))
    if inbox_id not in ctx.state.inboxes:
        raise HubSpotHTTPError(400, f"Inbox {inbox_id} does not exist")
    stamp = iso(ctx.state.now())
    account = {"id": ctx.state.next_id("accounts"), "channelId": channel["id"],
               "name": body["name"], "inboxId": inbox_id, "active": True,
               "authorized": bool(body["authorized"]),
               "deliveryIdentifier": body.get("deliveryIdentifier"),
               "createdAt": stamp, "updatedAt": stamp, "archived": False}
    ctx.state.accounts[account["id"]] = account
    ctx.webhooks.channel_event(channel, "CHANNEL_ACCOUNT_CREATED", channelAccount=account)
    return json_response(account)


@routes.get(BASE + "/{channel_id}/channel-accounts")
@api(scopes=CC_READ)
async def list_accounts(request: web.Request) -> web.Response:
    state = request.app[CTX].state
    channel = _channel(state, request.match_info["channel_id"])
    rows = [a for a in state.accounts.values() if a["channelId"] == channel["id"]]
    return json_response({"results": rows})


@routes.get(BASE + "/{channel_id}/channel-accounts/{account_id}")
@api(scopes=CC_READ)
async def get_account(request: web.Request) -> web.Response:
    state, info = request.app[CTX].state, request.match_info
    return json_response(_account(state, info["channel_id"], info["account_id"]))


@routes.patch(BASE + "/{channel_id}/channel-accounts/{account_id}")
@api(scopes=CC_WRITE)
async def patch_account(request: web.Request) -> web.Response:
    ctx, info = request.app[CTX], request.match_info
    account = _account(ctx.state, info["channel_id"], info["account_id"])
    body = await read_json(request)
    for key in ("name", "authorized", "active", "deliveryIdentifier"):
        if isinstance(body, dict) and key in body:
            account[key] = body[key]
    account["updatedAt"] = iso(ctx.state.now())
    channel = _channel(ctx.state, info["channel_id"])
    ctx.webhooks.channel_event(channel, "CHANNEL_ACCOUNT_UPDATED", channelAccount=account)
    return json_response(account)


# -- publish ------------------------------------------------------------------------------

def _check_publish(state: EmulatorState, channel: Json, body: Any) -> Json:
    if not isinstance(body, dict):
        raise HubSpotHTTPError(400, "Body must be an object")
    required = ["messageDirection", "channelAccountId", "senders", "text"]
    if channel["capabilities"].get("threadingModel") == "INTEGRATION_THREAD_ID":
        required.append("integrationThreadId")
    missing = [k for k in required if not body.get(k)]
    if missing:
        raise HubSpotHTTPError(400, f"Missing required fields: {', '.join(missing)}")
    if body["messageDirection"] not in ("INCOMING", "OUTGOING"):
        raise HubSpotHTTPError(400, f"Invalid messageDirection: {body['messageDirection']}")
    account = _account(state, channel["id"], str(body["channelAccountId"]))
    if not account["authorized"]:
        raise HubSpotHTTPError(400, "Channel account is not authorized")
    if "timestamp" in body and parse_time(body["timestamp"]) is None:
        raise HubSpotHTTPError(400, f"Invalid timestamp: {body['timestamp']}")
    return account


def _visitor(ctx: Context, person: Json, pre_resolved: Any) -> str:
    """``V-<contactId>`` for a customer: pre-resolved, found by email, or created."""
    contacts = (pre_resolved or {}).get("contacts") or []
    for entry in contacts:
        vid = str(entry.get("contactVid", ""))
        if vid in ctx.state.contacts:
            return f"V-{vid}"
    ident = person.get("deliveryIdentifier") or {}
    email = ident.get("value") if ident.get("type") == "HS_EMAIL_ADDRESS" else None
    found = ctx.state.contact_by_email(email) if email else None
    if found is None:
        first, _, last = (person.get("name") or "").partition(" ")
        props = {k: v for k, v in (("email", email), ("firstname", first), ("lastname", last))
                 if v}
        found = create_object(ctx, "contacts", {"properties": props})
    return f"V-{found.id}"


def _thread_for(ctx: Context, channel: Json, account: Json, body: Json, customer: Json
                ) -> Thread:
    state = ctx.state
    if channel["capabilities"].get("threadingModel") == "INTEGRATION_THREAD_ID":
        key = (channel["id"], "it:" + str(body["integrationThreadId"]))
    else:
        ident = customer.get("deliveryIdentifier") or {}
        key = (channel["id"], f"di:{account['id']}:{ident.get('value')}")
    thread = state.threads.get(state.thread_keys.get(key, ""))
    if thread is None:
        thread = Thread(id=state.next_id("threads"), inbox_id=account["inboxId"],
                        channel_id=channel["id"], channel_account_id=account["id"],
                        created_at=state.now(),
                        integration_thread_id=body.get("integrationThreadId"))
        state.threads[thread.id] = thread
        state.thread_keys[key] = thread.id
    return thread


def _people(people: Any, visitor: str | None, field: str) -> list[Json]:
    rows = []
    for person in people or []:
        row = {"name": person.get("name"), "deliveryIdentifier": person.get("deliveryIdentifier"),
               field: "FROM" if field == "senderField" else "TO"}
        if visitor:
            row["actorId"] = visitor
        rows.append(row)
    return rows


def publish(ctx: Context, channel: Json, body: Any) -> Json:
    """Create or extend a thread with one published message (idempotent per channel)."""
    state = ctx.state
    account = _check_publish(state, channel, body)
    attachments = [attachment_json(state, a) for a in body.get("attachments") or []]
    idem = body.get("integrationIdempotencyId")
    if idem and state.settings.idempotency_dedupe and (channel["id"], str(idem)) in (
            state.publish_keys):
        return state.messages[state.publish_keys[(channel["id"], str(idem))]]
    incoming = body["messageDirection"] == "INCOMING"
    customer = (body["senders"] if incoming else body.get("recipients") or [{}])[0]
    known = incoming or customer.get("deliveryIdentifier") or body.get("preResolvedContacts")
    visitor = _visitor(ctx, customer, body.get("preResolvedContacts")) if known else None
    thread = _thread_for(ctx, channel, account, body, customer)
    if visitor is None and thread.associated_contact_id:
        visitor = f"V-{thread.associated_contact_id}"
    if visitor and not thread.associated_contact_id:
        thread.associated_contact_id = visitor[2:]
    if incoming and thread.status == "CLOSED":
        thread.status, thread.closed_at = "OPEN", None
    app_actor = f"I-{state.settings.app_id}"
    fields = {"type": "MESSAGE", "direction": body["messageDirection"],
              "createdBy": visitor if incoming else app_actor,
              "client": integration_client(state), "text": body["text"],
              "richText": body.get("richText") or body["text"],
              "senders": _people(body["senders"], visitor if incoming else app_actor,
                                 "senderField"),
              "recipients": _people(body.get("recipients"), None if incoming else visitor,
                                    "recipientField"),
              "status": {"statusType": "RECEIVED" if incoming else "SENT"},
              "attachments": attachments}
    for key in ("subject", "inReplyToId"):
        if body.get(key):
            fields[key] = body[key]
    when = parse_time(body["timestamp"]) if body.get("timestamp") else None
    message = add_message(ctx, thread, fields, created_at=when)
    auto_ticket(ctx, thread, message)
    if idem:
        state.publish_keys[(channel["id"], str(idem))] = message["id"]
    return message


@routes.post(BASE + "/{channel_id}/messages")
@api(scopes=CC_WRITE)
async def post_publish(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    channel = _channel(ctx.state, request.match_info["channel_id"])
    message = publish(ctx, channel, await read_json(request))
    return json_response(render_message(ctx.state, message))


def _channel_message(request: web.Request) -> tuple[EmulatorState, Json]:
    state = request.app[CTX].state
    channel = _channel(state, request.match_info["channel_id"])
    message = state.messages.get(request.match_info["message_id"])
    if message is None or message.get("channelId") != channel["id"]:
        raise HubSpotHTTPError(404, "Message not found", "OBJECT_NOT_FOUND")
    return state, message


@routes.get(BASE + "/{channel_id}/messages/{message_id}")
@api(scopes=CC_READ)
async def get_channel_message(request: web.Request) -> web.Response:
    state, message = _channel_message(request)
    return json_response(render_message(state, message))


@routes.patch(BASE + "/{channel_id}/messages/{message_id}")
@api(scopes=CC_WRITE)
async def patch_channel_message(request: web.Request) -> web.Response:
    """Delivery status update, e.g. ``{"statusType": "SENT"}`` (UNCONFIRMED body)."""
    state, message = _channel_message(request)
    body = await read_json(request)
    status = body.get("statusType") if isinstance(body, dict) else None
    if status not in ("SENT", "FAILED", "READ", "RECEIVED"):
        raise HubSpotHTTPError(400, f"Invalid statusType: {status}")
    message["status"] = {"statusType": status,
                         **({"failureDetails": body["failureDetails"]}
                            if body.get("failureDetails") else {})}
    message["updatedAt"] = iso(state.now())
    return json_response(render_message(state, message))
