"""The handoff saga: contact -> ticket -> thread -> note + comment, each step recorded
(help-desk adoption: contact -> thread -> the ticket HubSpot made for it -> note + comment).

Every step first looks at what the database says is done, so a retry or a restart after a
crash resumes where it stopped. Creates that HubSpot cannot deduplicate itself (ticket,
note, comment) are bracketed by a step marker: written "started" before the call and
"done" with the new id after. A marker found "started" means the outcome of an earlier
call is unknown; the step then looks the object up by its idempotency key (ticket) or its
ref tag (note, comment) before creating anything. Thread messages carry an
integrationIdempotencyId instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.config import Config
from gateway.hubspot import content
from gateway.hubspot.auth import PRIVATE_APP as PRIVATE_APP_TOKEN
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotBadRequest,
    HubSpotConflict,
    HubSpotNotFound,
    HubSpotScopeError,
)
from gateway.hubspot.files import FileData, HubSpotFiles, mail_attachments
from gateway.hubspot.lifecycle import reopen_as_ai
from gateway.hubspot.models import Message, Ticket
from gateway.hubspot.setup import (
    CHANNEL,
    KEY_PROPERTY,
    PRIVATE,
    SetupState,
    channel_refused_reason,
    ticket_route,
)
from gateway.hubspot.steps import Steps
from gateway.storage import hubspot as hs
from gateway.storage import sessions
from gateway.storage.db import Database, WriteConnection

log = logging.getLogger(__name__)

TICKET_PROPS = ["subject", "hs_pipeline", "hs_pipeline_stage"]
TICKET_LOOKBACK = 5  # newest associated tickets checked for an open gateway ticket
NOTE_LOOKBACK = 50  # newest notes on a ticket searched for a ref tag after a crash


@dataclass
class Saga:
    """One session's handoff as the database knows it (refreshed by `_load`)."""

    session: dict[str, Any]
    messages: list[dict[str, Any]]
    row: dict[str, Any]
    published: dict[int, str]

    @property
    def sid(self) -> int:
        return int(self.session["id"])

    @property
    def token(self) -> str:
        return str(self.session["token"])


class Handoff:
    """Runs the saga (`run`) and appends later customer mail to it (`append`)."""

    def __init__(self, client: HubSpotClient, db: Database, cfg: Config, *,
                 setup: Callable[[], SetupState], public_url: Callable[[], str],
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.db = db
        self.cfg = cfg
        self.setup = setup
        self.public_url = public_url
        self.clock = clock
        self.steps = Steps(db, cfg.hubspot.timeout, clock)
        self.files = HubSpotFiles(client, cfg.hubspot.max_attachment_bytes)

    # -- entry points -----------------------------------------------------------------------

    async def run(self, session_id: int) -> str:
        """Bring the session's handoff to done; returns what happened (for the job log)."""
        saga = await self._load(session_id)
        if saga is None:
            return "not handed off"
        if saga.row["status"] == "done":
            return "already done"
        await self._contact(saga)
        if self._adopting(saga):  # the help desk makes the ticket when the thread starts
            await self._thread_or_skip(saga)  # a skip turns the saga private: no adoption
            await self._ticket(saga)
        else:
            await self._ticket(saga)
            if saga.row["mode"] == CHANNEL and await self._thread_or_skip(saga):
                await self._link(saga)
        await self._handoff_notes(saga)
        await self._finish(saga)
        log.info("handoff done session=%s ticket=%s (%s) thread=%s", saga.sid,
                 saga.row["ticket_id"], saga.row["ticket_action"], saga.row["thread_id"])
        return f"ticket {saga.row['ticket_id']} {saga.row['ticket_action']}"

    async def append(self, session_id: int, message_row: int) -> str:
        """A customer wrote again: same thread and ticket, or a new AI session if it closed."""
        session, message = await self.db.read(lambda c: (
            sessions.get_session(c, session_id), sessions.get_message(c, message_row)))
        if session is None or message is None or message["session_id"] != session_id:
            return "message moved or gone"
        if session["status"] == "closed":
            return await reopen_as_ai(self.db, self.cfg, session, message_row,
                                      "the session was closed", self.clock())
        if session["status"] != "handed_off":
            return "session not handed off"
        await self.run(session_id)
        saga = await self._load(session_id)
        assert saga is not None
        if not await self._still_ours(saga):  # never append to another customer's ticket
            await self._start_afresh(saga)
            await self.run(session_id)
            saga = await self._load(session_id)
            assert saga is not None
        ticket = await self.client.get_ticket(saga.row["ticket_id"], TICKET_PROPS)
        if ticket is None or not await self._is_open(ticket):
            why = f"HubSpot ticket {saga.row['ticket_id']} is closed"
            return await reopen_as_ai(self.db, self.cfg, session, message_row, why, self.clock())
        if saga.row["mode"] == CHANNEL:
            await self._thread_or_skip(saga)
        ref = f"gw:{saga.sid}:m{message_row}"
        body, _ = content.append_note(saga.session, message, self._link_to(saga), ref)
        await self._note(saga, f"note:{saga.sid}:m{message_row}", ref, body)
        return f"appended to ticket {saga.row['ticket_id']}"

    async def _still_ours(self, saga: Saga) -> bool:
        """The stored ticket is linked to the contact that has this customer's address now.

        (By address, not by the stored contact id: that id may be someone else's after the
        HubSpot data was replaced, and a merge in HubSpot changes it legitimately.)
        """
        if not saga.row["contact_id"] or not saga.row["ticket_id"]:
            return True  # nothing stored to distrust
        found = await self.client.get_contact_by_email(saga.session["contact_email"])
        if found is None:
            return False
        linked = await self.client.associated_ids("tickets", saga.row["ticket_id"], "contacts")
        return found.id in linked

    async def _start_afresh(self, saga: Saga) -> None:
        now, sid = self.clock(), saga.sid
        log.warning("hubspot ids of session=%s (contact %s, ticket %s) belong to another contact:"
                    " starting a fresh handoff", sid, saga.row["contact_id"], saga.row["ticket_id"])

        def fn(conn: WriteConnection) -> None:
            hs.reset_handoff(conn, sid, now)
            sessions.add_message(
                conn, session_id=sid, role="system", now=now, kind="note",
                text=f"HubSpot ticket {saga.row['ticket_id']} no longer belongs to "
                     f"{saga.session['contact_email']} (HubSpot data was replaced?): "
                     "a new contact/ticket is created instead of appending to it.",
                external_id=f"hubspot-afresh:{sid}:{saga.row['ticket_id']}:{int(now)}")

        await self.db.write(fn)

    # -- state ----------------------------------------------------------------------------

    async def _load(self, session_id: int) -> Saga | None:
        mode = self.setup().integration
        now = self.clock()

        def fn(conn: WriteConnection) -> Saga | None:
            session = sessions.get_session(conn, session_id)
            if session is None or session["status"] == "ai":
                return None
            row = hs.start_handoff(conn, session_id, reason=session["handoff_reason"],
                                   mode=mode, now=now)
            return Saga(session, sessions.session_messages(conn, session_id), row,
                        hs.published_rows(conn, session_id))

        return await self.db.write(fn)

    async def _save(self, saga: Saga, session_fields: dict[str, Any] | None = None,
                    extra: Callable[[WriteConnection], None] | None = None,
                    **fields: Any) -> None:
        """Record a step's outcome on the saga row (and mirror ids on the session) atomically."""
        now = self.clock()

        def fn(conn: WriteConnection) -> None:
            hs.update_handoff(conn, saga.sid, now, **fields)
            if session_fields:
                sessions.update_session(conn, saga.sid, now, **session_fields)
            if extra is not None:
                extra(conn)

        await self.db.write(fn)
        saga.row.update(fields)

    # -- 1. contact -----------------------------------------------------------------------

    async def _contact(self, saga: Saga) -> None:
        if saga.row["contact_id"]:
            return
        email = saga.session["contact_email"]
        found = await self.client.get_contact_by_email(email)
        created = found is None
        if found is not None:
            contact_id = found.id
        else:
            first, last = content.split_name(saga.session["contact_name"] or "")
            try:
                contact_id = (await self.client.create_contact(
                    email, first, last, content.company_from_email(email))).id
            except HubSpotConflict as exc:  # created meanwhile (or by an earlier attempt)
                if exc.existing_id is None:
                    raise
                contact_id, created = exc.existing_id, False
        await self._save(saga, {"hubspot_contact_id": contact_id}, contact_id=contact_id,
                         contact_created=int(created))

    # -- 2. ticket ------------------------------------------------------------------------

    def _adopting(self, saga: Saga) -> bool:
        return bool(self.cfg.hubspot.adopt_helpdesk_ticket and saga.row["mode"] == CHANNEL)

    async def _ticket(self, saga: Saga) -> None:
        if saga.row["ticket_id"]:
            return
        adopted = await self._adopt_ticket(saga) if self._adopting(saga) else None
        ticket_id, action = adopted, "adopted"
        if ticket_id is None:
            ticket_id, action = await self._open_ticket(saga), "appended"
        if ticket_id is None:
            ticket_id, action = await self._create_ticket(saga), "created"
        now, contact_id = self.clock(), saga.row["contact_id"]
        await self._save(
            saga, {"hubspot_ticket_id": ticket_id},
            extra=lambda c: hs.map_contact_ticket(c, contact_id, ticket_id, saga.sid, now),
            ticket_id=ticket_id, ticket_action=action)

    async def _is_open(self, ticket: Ticket) -> bool:
        closed = await self.client.closed_stage_ids(ticket.pipeline or self.cfg.hubspot.pipeline)
        return ticket.stage not in closed

    async def _open_ticket(self, saga: Saga) -> str | None:
        """The contact's open gateway ticket: the local map first, else its associations."""
        contact_id = saga.row["contact_id"]
        mapped = await self.db.read(lambda c: hs.ticket_for_contact(c, contact_id))
        if mapped:
            ticket = await self.client.get_ticket(mapped, TICKET_PROPS)
            if ticket is not None and contact_id not in await self.client.associated_ids(
                    "tickets", mapped, "contacts"):  # a stored id is never trusted blindly
                log.warning("mapped ticket %s is not linked to contact %s: not reused",
                            mapped, contact_id)
                await self.db.write(lambda c: hs.unmap_ticket(c, mapped))
                return None
            return mapped if ticket is not None and await self._is_open(ticket) else None
        if saga.row["contact_created"]:
            return None
        tag = self.cfg.hubspot.tag_property
        ids = await self.client.associated_ids("contacts", contact_id, "tickets")
        for ticket_id in sorted(ids, key=_numeric, reverse=True)[:TICKET_LOOKBACK]:
            ticket = await self.client.get_ticket(ticket_id, [*TICKET_PROPS, tag])
            if ticket and ticket.properties.get(tag) == "true" and await self._is_open(ticket):
                return ticket.id
        return None

    async def _adopt_ticket(self, saga: Saga) -> str | None:
        """Help-desk portals: the ticket HubSpot made for our new thread becomes ours. Its
        pipeline and stage stay the help desk's unless the support address has its own
        (hubspot.addresses[].pipeline/stage): then the same PATCH moves it there. Repeating
        it is harmless: same thread, same ticket, same properties. None when the thread has
        no ticket (fall back)."""
        if not saga.row["thread_id"]:
            return None
        thread = await self.client.get_thread(saga.row["thread_id"])
        ticket_id = thread.associated_ticket_id
        if not ticket_id:
            log.warning("help-desk adoption: thread %s has no ticket; creating one session=%s",
                        saga.row["thread_id"], saga.sid)
            return None
        key = f"opencx-{saga.token}" if self.setup().key_property else None
        props = self._ticket_props(saga, key)
        own = self.cfg.hubspot.for_address(saga.session["support_address"])
        if own is None or not (own.pipeline and own.stage):
            for route in ("hs_pipeline", "hs_pipeline_stage"):
                props.pop(route)
        await self.client.update_ticket(ticket_id, props)
        contact_id = saga.row["contact_id"]
        if contact_id:
            await self.client.associate_default("tickets", ticket_id, "contacts", contact_id)
        log.info("adopted help-desk ticket %s for session=%s", ticket_id, saga.sid)
        return ticket_id

    def _ticket_props(self, saga: Saga, key: str | None) -> dict[str, str]:
        pipeline, stage = ticket_route(self.cfg.hubspot, self.setup(),
                                       saga.session["support_address"])
        return content.ticket_properties(self.cfg.hubspot, saga.session, saga.messages, key,
                                         KEY_PROPERTY, pipeline=pipeline, stage=stage)

    async def _create_ticket(self, saga: Saga) -> str:
        setup = self.setup()
        ref = f"opencx-{saga.token}"
        key = ref if setup.key_property else None
        props = self._ticket_props(saga, key)

        async def create() -> str:
            try:
                return (await self.client.create_ticket(props, saga.row["contact_id"])).id
            except (HubSpotConflict, HubSpotBadRequest):  # the unique key exists already?
                found = await find() if key is not None else None
                if found is None:
                    raise
                return found

        async def find() -> str | None:
            if key is not None:
                found = await self.client.get_ticket_by_property(KEY_PROPERTY, key)
                return found.id if found else None
            return await self._ticket_by_subject(saga, props["subject"])

        return await self.steps.once(saga.sid, f"ticket:{saga.sid}", "ticket", ref, create, find)

    async def _ticket_by_subject(self, saga: Saga, subject: str) -> str | None:
        """Fallback lookup when the key property is unavailable: the contact's tickets."""
        ids = await self.client.associated_ids("contacts", saga.row["contact_id"], "tickets")
        for ticket_id in sorted(ids, key=_numeric, reverse=True)[:TICKET_LOOKBACK]:
            ticket = await self.client.get_ticket(ticket_id, TICKET_PROPS)
            if ticket is not None and ticket.subject == subject:
                return ticket.id
        return None

    # -- 3. thread ------------------------------------------------------------------------

    async def _thread_or_skip(self, saga: Saga) -> bool:
        """Publish the thread; if HubSpot refuses our credentials for custom channels (a
        private app's token, another app's channel), the saga goes on without a thread:
        a visible, explained skip (session note, saga mode private), never a retry loop."""
        try:
            await self._thread(saga)
            return True
        except HubSpotAuthError as exc:
            if exc.status != 403 or (isinstance(exc, HubSpotScopeError)
                                     and self.client.token_kind != PRIVATE_APP_TOKEN):
                raise  # a missing scope: the operator adds it, the job retries
            why = channel_refused_reason(self.client.token_kind, exc)
        now = self.clock()
        log.warning("handoff session=%s: inbox thread skipped: %s", saga.sid, why)

        def fn(conn: WriteConnection) -> None:
            hs.update_handoff(conn, saga.sid, now, mode=PRIVATE)
            sessions.add_message(conn, session_id=saga.sid, role="system", now=now,
                                 kind="note", text=f"HubSpot inbox thread skipped: {why}",
                                 external_id=f"hubspot-thread-skipped:{saga.sid}")

        await self.db.write(fn)
        saga.row["mode"] = PRIVATE
        return False

    async def _thread(self, saga: Saga) -> None:
        """Publish every customer/AI turn not yet published (INCOMING / OUTGOING)."""
        integration_thread = saga.row["integration_thread_id"] or f"opencx-{saga.token}"
        for message in content.conversation(saga.messages):
            if message["id"] in saga.published:
                continue
            published = await self._publish(saga, integration_thread, message)
            await self._record_published(saga, integration_thread, message, published)

    async def _publish(self, saga: Saga, integration_thread: str,
                       message: dict[str, Any]) -> Message:
        setup, session = self.setup(), saga.session
        support = session["support_address"]
        name = next((a.name for a in self.cfg.smtp.support_addresses if a.address == support),
                    "Support")
        customer = (session["contact_name"] or session["contact_email"], session["contact_email"])
        ours = (f"{name} (AI)", support)
        incoming = message["role"] == "customer"
        sender, recipient = (customer, ours) if incoming else (ours, customer)
        account_id, _ = setup.account_for(support)
        assert setup.channel_id and account_id
        file_ids = await self._upload_attachments(saga, message) if incoming else []
        return await self.client.publish_message(
            setup.channel_id, channel_account_id=account_id,
            integration_thread_id=integration_thread,
            idempotency_id=f"opencx-{saga.token}-m{message['id']}",
            direction="INCOMING" if incoming else "OUTGOING",
            sender_name=sender[0], sender_email=sender[1], recipient_name=recipient[0],
            recipient_email=recipient[1], text=content.message_text(message),
            rich_text=None if incoming else content.rich_text(content.message_text(message)),
            timestamp=datetime.fromtimestamp(message["created_at"], UTC), file_ids=file_ids,
        )

    async def _upload_attachments(self, saga: Saga, message: dict[str, Any]) -> list[str]:
        """The customer's attached files, uploaded to HubSpot Files once each (a step per
        file; after a crash mid-upload HubSpot may hold an unused copy, never a second
        message). Files past the size cap are left out (logged)."""
        if not message.get("attachments") or not message.get("inbound_id"):
            return []
        inbound = await self.db.read(lambda c: sessions.get_inbound(c, message["inbound_id"]))
        if inbound is None:
            return []
        found = mail_attachments(bytes(inbound["raw"]), self.cfg.hubspot.max_attachment_bytes)
        ids = []
        for number, file in enumerate(found):
            async def create(file: FileData = file) -> str:
                return await self.files.upload(file)

            async def find() -> str | None:
                return None

            key = f"file:{saga.sid}:m{message['id']}:{number}"
            ids.append(await self.steps.once(saga.sid, key, "file", key, create, find))
        return ids

    async def _record_published(self, saga: Saga, integration_thread: str,
                                message: dict[str, Any], published: Message) -> None:
        now, first = self.clock(), saga.row["thread_id"] is None
        thread_id = saga.row["thread_id"] or published.thread_id

        def fn(conn: WriteConnection) -> None:
            hs.record_published(
                conn, message_row=message["id"], session_id=saga.sid,
                idempotency_id=f"opencx-{saga.token}-m{message['id']}",
                hubspot_message_id=published.id, thread_id=published.thread_id,
                direction="INCOMING" if message["role"] == "customer" else "OUTGOING", now=now)
            if first:
                hs.update_handoff(conn, saga.sid, now, thread_id=thread_id,
                                  integration_thread_id=integration_thread)
                sessions.update_session(conn, saga.sid, now, hubspot_thread_id=thread_id)

        await self.db.write(fn)
        saga.published[message["id"]] = published.id
        saga.row.update(thread_id=thread_id, integration_thread_id=integration_thread)

    async def _link(self, saga: Saga) -> None:
        """Best effort: associate the ticket with the thread (UNCONFIRMED in HubSpot, H§4.5)."""
        key = f"link:{saga.sid}"
        step = await self.db.read(lambda c: hs.get_step(c, key))
        if step is not None or not saga.row["thread_id"]:
            return
        status = "done"
        try:
            await self.client.associate_default("tickets", saga.row["ticket_id"],
                                                "conversations", saga.row["thread_id"])
        except (HubSpotBadRequest, HubSpotNotFound) as exc:
            log.warning("ticket-thread link refused session=%s: %s", saga.sid, exc)
            status = "skipped"
        now = self.clock()

        def fn(conn: WriteConnection) -> None:
            hs.begin_step(conn, key, session_id=saga.sid, kind="link", ref=key, now=now)
            hs.finish_step(conn, key, saga.row["thread_id"], now, status=status)

        await self.db.write(fn)

    # -- 4. note and comment --------------------------------------------------------------

    def _link_to(self, saga: Saga) -> str:
        return f"{self.public_url()}/sessions/{saga.sid}"

    async def _handoff_notes(self, saga: Saga) -> None:
        ref = f"gw:{saga.sid}:handoff"
        body, text = content.handoff_note(saga.session, saga.messages, self._link_to(saga), ref,
                                          with_transcript=saga.row["mode"] == PRIVATE)
        await self._note(saga, f"note:{saga.sid}:handoff", ref, body)
        if saga.row["mode"] == CHANNEL and saga.row["thread_id"]:
            await self._comment(saga, f"comment:{saga.sid}:handoff", ref, text, body)

    async def _note(self, saga: Saga, key: str, ref: str, body: str) -> str:
        ticket_id, contact_id = saga.row["ticket_id"], saga.row["contact_id"]

        async def create() -> str:
            when = datetime.fromtimestamp(self.clock(), UTC)
            return (await self.client.create_note(body, when, ticket_id, contact_id)).id

        async def find() -> str | None:
            ids = await self.client.associated_ids("tickets", ticket_id, "notes")
            for note_id in sorted(ids, key=_numeric, reverse=True)[:NOTE_LOOKBACK]:
                note = await self.client.get_note(note_id)
                if note and content.marker(ref) in (note.properties.get("hs_note_body") or ""):
                    return note.id
            return None

        return await self.steps.once(saga.sid, key, "note", ref, create, find)

    async def _comment(self, saga: Saga, key: str, ref: str, text: str, body: str) -> str:
        thread_id = saga.row["thread_id"]

        async def create() -> str:
            return (await self.client.post_comment(thread_id, text, body)).id

        async def find() -> str | None:
            for message in await self.client.list_thread_messages(thread_id):
                if message.type == "COMMENT" and content.marker(ref) in (message.text or ""):
                    return message.id
            return None

        return await self.steps.once(saga.sid, key, "comment", ref, create, find)

    # -- 5. done --------------------------------------------------------------------------

    async def _finish(self, saga: Saga) -> None:
        now, row = self.clock(), saga.row
        thread = f", inbox thread {row['thread_id']}" if row["thread_id"] else ""
        text = (f"HubSpot: ticket {row['ticket_id']} ({row['ticket_action']}), contact "
                f"{row['contact_id']}{thread}, internal note added")

        def fn(conn: WriteConnection) -> None:
            hs.update_handoff(conn, saga.sid, now, status="done", done_at=now, last_error=None)
            sessions.add_message(conn, session_id=saga.sid, role="system", now=now, text=text,
                                 kind="note", external_id=f"hubspot-handoff:{saga.sid}")

        await self.db.write(fn)
        row["status"] = "done"

def _numeric(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (0, value)
