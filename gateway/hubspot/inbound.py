"""The `webhook` worker: rep replies go to the customer by email, comments stay internal,
a closed ticket closes its sessions. Events about threads or tickets we do not know are
recorded and ignored."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from gateway.answering import outgoing_for
from gateway.config import Config
from gateway.errors import PermanentFailure
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import HubSpotError
from gateway.hubspot.files import FileData, HubSpotFiles
from gateway.hubspot.handoff import TICKET_PROPS
from gateway.hubspot.lifecycle import close_session
from gateway.hubspot.models import Message
from gateway.hubspot.sync import Health, guarded
from gateway.outbox import queue_mail
from gateway.replies import RenderedBody, Renderer, build_message
from gateway.signatures import resolve_signature
from gateway.storage import hubspot as hs
from gateway.storage import sessions
from gateway.storage.db import WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker

log = logging.getLogger(__name__)

RELAYED_TYPE = "OUTGOING_CHANNEL_MESSAGE_CREATED"
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]")
THREAD_ROLES = ("customer", "ai", "agent")


def _usable(message: Message) -> bool:
    """An inline webhook message complete enough to act on without fetching it."""
    return (message.direction is not None and bool(message.senders)
            and message.text is not None and not message.truncated)


class WebhookWorker(Worker):
    """Consumes `webhook` jobs ({"event_id"}) written by the webhook endpoints."""

    queue = "webhook"

    def __init__(self, client: HubSpotClient, renderer: Renderer, config: Config,
                 health: Health, ready: Callable[[], Awaitable[None]],
                 app_id: int | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.renderer = renderer
        self.config = config
        self.health = health
        self.ready = ready
        self.app_id = app_id
        self.relayed = 0
        self.actor_names: dict[str, str] = {}  # actor id -> name (HubSpot's actors API)
        self.files = HubSpotFiles(client, config.hubspot.max_attachment_bytes)

    async def handle(self, job: Job) -> None:
        event_id = int(job.payload["event_id"])
        event = await self.db.read(lambda c: hs.get_event(c, event_id))
        if event is None:
            raise PermanentFailure(f"webhook event {event_id} not found")
        if event["status"] == "done":
            return
        await self.ready()
        outcome = await guarded(self.health, f"webhook {event_id}", self._dispatch(event))
        now = self.clock()
        await self.db.write(lambda c: hs.finish_event(c, event_id, outcome=outcome, now=now))
        log.info("webhook event=%s type=%s: %s", event_id, event["event_type"], outcome)

    async def on_dead(self, job: Job, error: str) -> None:
        event_id, now = int(job.payload["event_id"]), self.clock()
        await self.db.write(lambda c: hs.finish_event(
            c, event_id, outcome=f"failed: {error}", now=now, status="failed"))

    async def _dispatch(self, event: dict[str, Any]) -> str:
        body, kind = event["body"], event["event_type"]
        if event["kind"] == "channel":
            message = body.get("message") if isinstance(body.get("message"), dict) else {}
            if kind != RELAYED_TYPE or not message.get("id"):
                return f"ignored: {kind}"
            thread_id = str(message.get("conversationsThreadId") or "")
            return await self._message(thread_id, str(message["id"]), message)
        if kind == "conversation.newMessage":
            return await self._message(str(body.get("objectId", "")),
                                       str(body.get("messageId", "")), None)
        if kind == "ticket.propertyChange":
            return await self._ticket_change(body)
        return f"ignored: {kind}"

    # -- messages ---------------------------------------------------------------------------

    async def _message(self, thread_id: str, message_id: str,
                       inline: dict[str, Any] | None) -> str:
        def lookup(c: Any) -> tuple[dict | None, bool]:
            known = hs.own_object(c, message_id) or hs.message_by_external_id(
                c, f"hubspot:{message_id}") is not None
            return hs.session_for_thread(c, thread_id), known

        session, known = await self.db.read(lookup)
        if session is None:
            return f"ignored: unknown thread {thread_id}"
        if known:
            return "ignored: message already known"
        message = Message.from_api(inline) if inline else None
        if message is None or not _usable(message):
            message = await self.client.get_message(thread_id, message_id)
        ours = message.client_type == "INTEGRATION" and message.integration_app_id == self.app_id
        if ours:
            return "ignored: our own integration's message"
        if message.type == "COMMENT":
            return await self._record_internal(session, message)
        if message.is_agent_reply(self.app_id):
            return await self._relay(session, message)
        return f"ignored: {message.type} {message.direction} not from an agent"

    async def _record_internal(self, session: dict[str, Any], message: Message) -> str:
        """An internal comment: shown in the Inbox as internal, never emailed."""
        author = await self._author(message)
        now = self.clock()
        row = await self.db.write(lambda c: sessions.add_message(
            c, session_id=session["id"], role="internal", now=now, author=author,
            text=message.text or "", external_id=f"hubspot:{message.id}",
            hubspot_message_id=message.id))
        return "internal comment recorded" if row else "ignored: comment already recorded"

    async def _rep_files(self, message: Message) -> tuple[list[FileData], list[dict[str, Any]]]:
        """The rep's attachments, downloaded; those left out with the reason."""
        files, skipped = [], []
        for attachment in message.attachments:
            got = await self.files.fetch(attachment)
            if isinstance(got, FileData):
                files.append(got)
            else:
                name = str(attachment.get("name") or attachment.get("fileId"))
                log.warning("rep attachment %s not mailed: %s", name, got)
                skipped.append({"filename": name, "skipped": got})
        return files, skipped

    async def _author(self, message: Message) -> str:
        """The rep's name: the sender's own, else HubSpot's actors API (cached), else the id."""
        sender = message.senders[0] if message.senders else None
        if sender is None:
            return ""
        if sender.name or not sender.actor_id:
            return sender.name or ""
        actor_id = sender.actor_id
        if actor_id not in self.actor_names:
            try:
                actor = await self.client.get_actor(actor_id)
            except HubSpotError as exc:
                log.warning("actor %s not resolved: %s", actor_id, exc)
                return actor_id
            self.actor_names[actor_id] = str(actor.get("name") or actor.get("email") or actor_id)
        return self.actor_names[actor_id]

    async def _render(self, session: dict[str, Any], message: Message) -> RenderedBody:
        own = self.config.hubspot.for_address(session["support_address"])
        domain = (own.signature_domain if own else None) or session["support_address"]
        signature = resolve_signature(domain, self.config.signatures).signature
        rich = message.rich_text or ""
        if "<" in rich:
            return await self.renderer.render(html=rich, signature=signature)
        return await self.renderer.render(text=message.text or rich, signature=signature)

    async def _relay(self, session: dict[str, Any], message: Message) -> str:
        """Public rep reply -> rendered mail in the customer's thread -> outbox, one commit."""
        history = await self.db.read(lambda c: sessions.session_messages(c, session["id"]))
        parent = next((m for m in reversed(history)
                       if m["role"] in THREAD_ROLES and m["message_id"]), None)
        body = await self._render(session, message)
        unique = "hs" + _UNSAFE.sub("-", message.id)[:190]
        mail = outgoing_for(self.config, session, parent, unique=unique, auto=False)
        now = self.clock()
        files, skipped = await self._rep_files(message)
        raw = build_message(mail, body, date=datetime.fromtimestamp(now, UTC),
                            attachments=[(f.name, f.content_type, f.data) for f in files])
        rep = await self._author(message) or "HubSpot agent"
        listed = [{"filename": f.name, "content_type": f.content_type, "size": len(f.data)}
                  for f in files] + skipped

        def write(conn: WriteConnection) -> bool:
            row = sessions.add_message(
                conn, session_id=session["id"], role="agent", now=now, message_id=mail.message_id,
                in_reply_to=mail.in_reply_to, refs=mail.references, subject=mail.subject,
                author=rep, text=message.text or body.text, full_text=body.text, html=body.html,
                external_id=f"hubspot:{message.id}", hubspot_message_id=message.id,
                attachments=listed)
            if row is None:
                return False
            queue_mail(conn, self.config, session_id=session["id"], message_row=row,
                       message_id=mail.message_id, mail_from=mail.from_addr,
                       rcpt_to=mail.to_addr, raw=raw, now=now)
            sessions.touch_session(conn, session["id"], now)
            return True

        if not await self.db.write(write):
            return "ignored: reply already relayed"
        self.relayed += 1
        log.info("rep reply relayed session=%s hubspot-message=%s", session["id"], message.id)
        return "relayed to the customer"

    # -- tickets ----------------------------------------------------------------------------

    async def _ticket_change(self, body: dict[str, Any]) -> str:
        if body.get("propertyName") != "hs_pipeline_stage":
            return f"ignored: {body.get('propertyName')} changed"
        ticket_id = str(body.get("objectId", ""))
        if not await self.db.read(lambda c: hs.ticket_known(c, ticket_id)):
            return f"ignored: unknown ticket {ticket_id}"
        ticket = await self.client.get_ticket(ticket_id, TICKET_PROPS)
        if ticket is not None:
            pipeline = ticket.pipeline or self.config.hubspot.pipeline
            if ticket.stage not in await self.client.closed_stage_ids(pipeline):
                return f"ticket {ticket_id} is open"
        now = self.clock()

        def close(conn: WriteConnection) -> int:
            found = hs.open_sessions_for_ticket(conn, ticket_id)
            closed = sum(close_session(conn, s, f"HubSpot ticket {ticket_id} was closed", now)
                         for s in found)
            hs.unmap_ticket(conn, ticket_id)
            return closed

        closed = await self.db.write(close)
        return f"ticket {ticket_id} closed: {closed} session(s) closed"
