"""Conversations v3 endpoints of the HubSpot emulator: inboxes, threads, messages, actors.

Also the message builders shared with custom channels and the rep actions. UNCONFIRMED
and modelled: actor id prefixes (``A-`` agent, ``V-<contactId>`` visitor, ``I-<appId>``
integration), the truncation threshold (``truncate_at`` characters of ``text``), the
default message order (newest first), and that a new MESSAGE or COMMENT on any thread fires
``conversation.newMessage`` to the app, including the integration's own messages.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.http import (
    CTX,
    Context,
    HubSpotHTTPError,
    api,
    json_response,
    read_json,
)
from gateway.hubspot.emulator.state import EmulatorState, Json, Thread, iso

routes = web.RouteTableDef()
READ, WRITE = ("conversations.read",), ("conversations.write",)
BASE = "/conversations/v3/conversations"


# -- builders -----------------------------------------------------------------------------

def integration_client(state: EmulatorState) -> Json:
    return {"clientType": "INTEGRATION", "integrationAppId": state.settings.app_id}


def add_message(ctx: Context, thread: Thread, fields: Json, created_at: float | None = None
                ) -> Json:
    """Store a message (MESSAGE or COMMENT) on ``thread`` and announce it to the app."""
    state = ctx.state
    stamp = iso(state.now() if created_at is None else created_at)
    message: Json = {"id": uuid.uuid4().hex, "createdAt": stamp, "updatedAt": stamp,
                     "archived": False, "attachments": [], "recipients": [],
                     "conversationsThreadId": thread.id, **fields}
    if message["type"] == "MESSAGE":
        message |= {"channelId": thread.channel_id, "channelAccountId": thread.channel_account_id}
    state.messages[message["id"]] = message
    thread.message_ids.append(message["id"])
    ctx.webhooks.new_message(message)
    return message


def render_message(state: EmulatorState, message: Json) -> Json:
    """The message as the API returns it: ``text`` cut at ``truncate_at`` (UNCONFIRMED)."""
    limit = state.settings.truncate_at
    out = dict(message)
    if len(message.get("text") or "") > limit:
        out["text"] = message["text"][:limit]
        out["richText"] = (message.get("richText") or "")[:limit]
        out["truncationStatus"] = "TRUNCATED"
    else:
        out["truncationStatus"] = "NOT_TRUNCATED"
    return out


def render_thread(state: EmulatorState, thread: Thread, with_ticket: bool = False) -> Json:
    """``PublicThread``; ``threadAssociations`` only for ``?association=TICKET``."""
    messages = [m for m in state.thread_messages(thread) if m["type"] == "MESSAGE"]
    body: Json = {
        "id": thread.id, "createdAt": iso(thread.created_at), "status": thread.status,
        "inboxId": thread.inbox_id, "associatedContactId": thread.associated_contact_id,
        "originalChannelId": thread.channel_id,
        "originalChannelAccountId": thread.channel_account_id, "spam": thread.spam,
        "archived": thread.archived, "assignedTo": thread.assigned_to,
    }
    if thread.closed_at is not None:
        body["closedAt"] = iso(thread.closed_at)
    if messages:
        body["latestMessageTimestamp"] = messages[-1]["createdAt"]
    for key, direction in (("latestMessageSentTimestamp", "OUTGOING"),
                           ("latestMessageReceivedTimestamp", "INCOMING")):
        stamps = [m["createdAt"] for m in messages if m.get("direction") == direction]
        if stamps:
            body[key] = stamps[-1]
    if with_ticket and thread.ticket_id:
        body["threadAssociations"] = {"associatedTicketId": thread.ticket_id}
    return body


def customer_identifier(state: EmulatorState, thread: Thread) -> Json | None:
    """The sender of the latest INCOMING message: who an agent reply goes to."""
    for message in reversed(list(state.thread_messages(thread))):
        if message.get("direction") == "INCOMING" and message.get("senders"):
            return message["senders"][0]
    return None


def agent_message(ctx: Context, thread: Thread, text: str, rich_text: str | None,
                  actor_id: str, client: Json, attachments: list[Json] | None = None) -> Json:
    """An OUTGOING MESSAGE by agent ``actor_id``; custom channels get a webhook too."""
    state = ctx.state
    agent = state.agents.get(actor_id)
    if agent is None:
        raise HubSpotHTTPError(400, f"Actor {actor_id} is not an agent in this portal")
    to = customer_identifier(state, thread) or {}
    recipients = [{"actorId": to.get("actorId"), "name": to.get("name"),
                   "deliveryIdentifier": to.get("deliveryIdentifier"), "recipientField": "TO"}]
    fields = {"type": "MESSAGE", "direction": "OUTGOING", "createdBy": actor_id,
              "client": client, "text": text, "richText": rich_text or text,
              "senders": [{"actorId": actor_id, "name": agent["name"],
                           "senderField": "FROM"}],
              "recipients": recipients if to else [], "status": {"statusType": "SENT"},
              "attachments": attachments or []}
    message = add_message(ctx, thread, fields)
    channel = state.channels.get(thread.channel_id)
    if channel is not None:
        ctx.webhooks.channel_event(
            channel, "OUTGOING_CHANNEL_MESSAGE_CREATED",
            channelIntegrationThreadIds=[thread.integration_thread_id or thread.id],
            message=render_message(state, message))
    return message


def comment(ctx: Context, thread: Thread, text: str, rich_text: str | None, actor_id: str,
            client: Json) -> Json:
    """An internal COMMENT: no direction, no channel fields, never sent to the channel."""
    fields = {"type": "COMMENT", "createdBy": actor_id, "client": client, "text": text,
              "richText": rich_text or text, "senders": [{"actorId": actor_id}]}
    return add_message(ctx, thread, fields)


def set_status(ctx: Context, thread: Thread, status: str) -> None:
    """OPEN or CLOSED; announce ``conversation.propertyChange`` if subscribed."""
    if thread.status == status:
        return
    thread.status = status
    thread.closed_at = ctx.state.now() if status == "CLOSED" else None
    ctx.webhooks.conversation_change(thread.id, "status", status)


# -- lookups ------------------------------------------------------------------------------

def get_thread(state: EmulatorState, thread_id: str) -> Thread:
    thread = state.threads.get(thread_id)
    if thread is None:
        raise HubSpotHTTPError(404, f"Thread {thread_id} not found", "OBJECT_NOT_FOUND")
    return thread


def _thread(request: web.Request) -> tuple[Context, Thread]:
    ctx = request.app[CTX]
    return ctx, get_thread(ctx.state, request.match_info["thread_id"])


def _message(request: web.Request) -> tuple[Context, Json]:
    ctx, thread = _thread(request)
    message_id = request.match_info["message_id"]
    if message_id not in thread.message_ids:
        raise HubSpotHTTPError(404, f"Message {message_id} not found", "OBJECT_NOT_FOUND")
    return ctx, ctx.state.messages[message_id]


def _page(items: list[Any], request: web.Request, default_limit: int = 100) -> Json:
    limit = int(request.query.get("limit", default_limit))
    after = int(request.query.get("after", "0") or 0)
    body: Json = {"results": items[after:after + limit]}
    if after + limit < len(items):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return body


# -- routes -------------------------------------------------------------------------------

@routes.get(BASE + "/inboxes")
@api(scopes=READ)
async def list_inboxes(request: web.Request) -> web.Response:
    inboxes = list(request.app[CTX].state.inboxes.values())
    return json_response({"total": len(inboxes), "results": inboxes})


@routes.get(BASE + "/inboxes/{inbox_id}")
@api(scopes=READ)
async def get_inbox(request: web.Request) -> web.Response:
    inbox = request.app[CTX].state.inboxes.get(request.match_info["inbox_id"])
    if inbox is None:
        raise HubSpotHTTPError(404, "Inbox not found", "OBJECT_NOT_FOUND")
    return json_response(inbox)


@routes.get(BASE + "/threads")
@api(scopes=READ)
async def list_threads(request: web.Request) -> web.Response:
    state, q = request.app[CTX].state, request.query
    contact, status = q.get("associatedContactId"), q.get("threadStatus")
    if bool(contact) != bool(status):
        raise HubSpotHTTPError(400, "associatedContactId and threadStatus must be used together")
    inboxes = set(q.getall("inboxId", []))
    archived = q.get("archived", "false") == "true"
    threads = [t for t in state.threads.values()
               if t.archived == archived and (not inboxes or t.inbox_id in inboxes)
               and (not contact or (t.associated_contact_id == contact and t.status == status))]
    with_ticket = q.get("association") == "TICKET"
    rows = [render_thread(state, t, with_ticket) for t in threads]
    return json_response(_page(rows, request))


@routes.get(BASE + "/threads/{thread_id}")
@api(scopes=READ)
async def get_thread_route(request: web.Request) -> web.Response:
    ctx, thread = _thread(request)
    with_ticket = request.query.get("association") == "TICKET"
    return json_response(render_thread(ctx.state, thread, with_ticket))


@routes.patch(BASE + "/threads/{thread_id}")
@api(scopes=WRITE)
async def patch_thread(request: web.Request) -> web.Response:
    ctx, thread = _thread(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not ({"status", "archived"} & body.keys()):
        raise HubSpotHTTPError(400, "Body must contain status or archived")
    if "status" in body:
        if body["status"] not in ("OPEN", "CLOSED"):
            raise HubSpotHTTPError(400, f"Invalid status: {body['status']}")
        set_status(ctx, thread, body["status"])
    if body.get("archived") is False:
        thread.archived = False
    return json_response(render_thread(ctx.state, thread))


@routes.delete(BASE + "/threads/{thread_id}")
@api(scopes=WRITE)
async def archive_thread(request: web.Request) -> web.Response:
    _, thread = _thread(request)
    thread.archived = True
    return web.Response(status=204)


@routes.get(BASE + "/threads/{thread_id}/messages")
@api(scopes=READ)
async def list_messages(request: web.Request) -> web.Response:
    ctx, thread = _thread(request)
    rows = [render_message(ctx.state, m) for m in ctx.state.thread_messages(thread)]
    if request.query.get("sort", "-createdAt") != "createdAt":
        rows.reverse()
    return json_response(_page(rows, request))


@routes.get(BASE + "/threads/{thread_id}/messages/{message_id}")
@api(scopes=READ)
async def get_message(request: web.Request) -> web.Response:
    ctx, message = _message(request)
    return json_response(render_message(ctx.state, message))


@routes.get(BASE + "/threads/{thread_id}/messages/{message_id}/original-content")
@api(scopes=READ)
async def get_original(request: web.Request) -> web.Response:
    _, message = _message(request)
    return json_response({"text": message.get("text", ""),
                          "richText": message.get("richText", ""),
                          "attachments": message.get("attachments", [])})


def _check_outgoing(state: EmulatorState, thread: Thread, body: Json) -> None:
    missing = [k for k in ("senderActorId", "channelId", "channelAccountId", "recipients")
               if not body.get(k)]
    if missing:
        raise HubSpotHTTPError(400, f"Missing required fields: {', '.join(missing)}")
    if (str(body["channelId"]), str(body["channelAccountId"])) != (
            thread.channel_id, thread.channel_account_id):
        raise HubSpotHTTPError(400, "channelId/channelAccountId do not match the thread")


@routes.post(BASE + "/threads/{thread_id}/messages")
@api(scopes=WRITE)
async def post_message(request: web.Request) -> web.Response:
    ctx, thread = _thread(request)
    body = await read_json(request)
    if not isinstance(body, dict) or body.get("type") not in ("MESSAGE", "COMMENT"):
        raise HubSpotHTTPError(400, "type must be MESSAGE or COMMENT")
    if not body.get("text"):
        raise HubSpotHTTPError(400, "text is required")
    client = integration_client(ctx.state)
    if body["type"] == "COMMENT":
        actor = body.get("senderActorId") or f"I-{ctx.state.settings.app_id}"
        message = comment(ctx, thread, body["text"], body.get("richText"), actor, client)
    else:
        _check_outgoing(ctx.state, thread, body)
        message = agent_message(ctx, thread, body["text"], body.get("richText"),
                                body["senderActorId"], client)
    return json_response(render_message(ctx.state, message), status=201)


def actor(state: EmulatorState, actor_id: str) -> Json | None:
    """Resolve an actor id to ``{id, type, name, email}``."""
    if actor_id in state.agents:
        return state.agents[actor_id]
    prefix, _, rest = actor_id.partition("-")
    if prefix == "V" and rest in state.contacts:
        props = state.contacts[rest].properties
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return {"id": actor_id, "type": "VISITOR", "name": name or None,
                "email": props.get("email")}
    if prefix == "I" and rest == str(state.settings.app_id):
        return {"id": actor_id, "type": "INTEGRATION", "name": "Emulated integration"}
    return None


@routes.get(BASE + "/actors/{actor_id}")
@api(scopes=READ)
async def get_actor(request: web.Request) -> web.Response:
    found = actor(request.app[CTX].state, request.match_info["actor_id"])
    if found is None:
        raise HubSpotHTTPError(404, "Actor not found", "OBJECT_NOT_FOUND")
    return json_response(found)


@routes.post(BASE + "/actors/batch/read")
@api(scopes=READ)
async def batch_actors(request: web.Request) -> web.Response:
    state, body = request.app[CTX].state, await read_json(request)
    ids = body.get("inputs", []) if isinstance(body, dict) else []
    found = [a for a in (actor(state, str(i)) for i in ids) if a is not None]
    return json_response({"status": "COMPLETE", "results": found})
