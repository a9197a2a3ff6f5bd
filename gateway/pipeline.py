"""Inbound processing: named steps from raw bytes to a recorded message and the next job."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gateway.budget import ByteBudget
from gateway.config import Config
from gateway.errors import Discard, PermanentFailure
from gateway.smtp import tokens
from gateway.smtp.identify import identify_customer
from gateway.smtp.loops import Classification, classify
from gateway.smtp.parse import Address, ParsedMail, parse_message
from gateway.smtp.quotes import strip_quotes
from gateway.smtp.verification import check_challenge, find_challenge, gmail_confirmation
from gateway.storage import instances, queues, sessions
from gateway.storage.db import Database, WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker

log = logging.getLogger(__name__)

PROCESS_STEPS = ("parse", "postmaster", "classify", "verify_forwarding", "identify", "strip",
                 "record")
SAME_SUBJECT_WINDOW = 7 * 86400
UNTHREADED_KINDS = ("bounce", "own")


@dataclass
class Context:
    """What the steps know about one inbound mail; each step fills in its part."""

    inbound: dict[str, Any]
    support_address: str
    mail: ParsedMail | None = None
    classification: Classification | None = None
    customer: Address | None = None
    text: str = ""
    notes: list[str] = field(default_factory=list)
    kind: str | None = None  # set by a step that decides the kind before classification
    # writes a step leaves to the final commit (record, or the discard mark): one commit a mail
    writes: list[Callable[[WriteConnection], None]] = field(default_factory=list)
    written: bool = False


class Pipeline:
    """Runs PROCESS_STEPS for one inbound mail; the last step writes everything in one commit."""

    def __init__(self, db: Database, cfg: Config, secret: bytes, *,
                 clock: Callable[[], float] = time.time, budget: ByteBudget | None = None) -> None:
        self.db = db
        self.budget = budget
        self.cfg = cfg
        self.secret = secret
        self.clock = clock
        self.accepted = cfg.smtp.accepted_recipients()
        self.own = set(self.accepted) | {a.address for a in cfg.smtp.support_addresses}
        self.postmaster = cfg.smtp.postmaster_addresses()

    async def process(self, inbound_id: str) -> dict[str, Any]:
        inbound = await self.db.read(lambda c: sessions.get_inbound(c, inbound_id, raw=False))
        if inbound is None:
            self._release(inbound_id)
            raise PermanentFailure(f"inbound {inbound_id} not found")
        if inbound["state"] != "queued":
            self._release(inbound_id)
            return {"state": inbound["state"], "session_id": inbound["session_id"]}
        ctx = Context(inbound=inbound, support_address=self._support_address(inbound))
        try:
            for step in PROCESS_STEPS:
                await getattr(self, f"step_{step}")(ctx)
        except Discard as why:
            await self._finish_discarded(ctx, str(why))
            return {"state": "ignored", "kind": _kind(ctx), "why": str(why)}
        return {"state": "processed", "session_id": ctx.inbound.get("session_id")}

    def _support_address(self, inbound: dict[str, Any]) -> str:
        for rcpt in inbound["rcpt_tos"]:
            if rcpt in self.accepted:
                return self.accepted[rcpt]
        return self.cfg.smtp.support_addresses[0].address

    # -- steps ---------------------------------------------------------------------------
    async def step_parse(self, ctx: Context) -> None:
        """Read the stored bytes once, parse them, and let them go (and their budget hold)."""
        inbound_id = ctx.inbound["id"]
        if self.budget is not None:  # mail stored before a restart holds nothing yet
            self.budget.hold_anyway(inbound_id, ctx.inbound["size"])
        try:
            raw = await self.db.read(lambda c: sessions.inbound_raw(c, inbound_id))
            ctx.mail = await asyncio.to_thread(parse_message, raw or b"")
        finally:
            raw = None
            self._release(inbound_id)

    def _release(self, inbound_id: str) -> None:
        if self.budget is not None:
            self.budget.release(inbound_id)

    async def step_postmaster(self, ctx: Context) -> None:
        """Mail for postmaster@ is for the operator (RFC 5321 §4.5.1): kept, never answered."""
        if all(rcpt in self.postmaster for rcpt in ctx.inbound["rcpt_tos"]):
            ctx.kind = "postmaster"
            log.warning("postmaster mail inbound=%s from=%s: for the operator, see "
                        "`opencx-gateway inbox raw %s`", ctx.inbound["id"],
                        ctx.inbound["mail_from"] or "<>", ctx.inbound["id"])
            raise Discard("addressed to postmaster: for the operator, not answered")

    async def step_classify(self, ctx: Context) -> None:
        assert ctx.mail is not None
        ctx.classification = classify(ctx.mail, ctx.inbound["mail_from"], self.own,
                                      own_hosts=(self.cfg.smtp.hostname,))

    async def step_verify_forwarding(self, ctx: Context) -> None:
        """Mail for an address proves its forward works; capture Gmail codes and our challenges."""
        assert ctx.mail is not None
        now = self.clock()
        address = ctx.support_address
        verify = self.cfg.smtp.verify_address()
        token = find_challenge(ctx.mail)
        challenged = check_challenge(token, self.secret, now) if token else None
        confirmation = gmail_confirmation(ctx.mail)
        # Only a customer's mail proves the forward: Gmail's confirmation *request* arrives
        # before the forward is confirmed, and other automated mail may come another way.
        customer_mail = ctx.classification is not None and ctx.classification.answerable
        looped = "x-opencx-looped-back" in ctx.mail.headers  # set by LoopbackRelay
        returned = ("test mail looped back locally (outbound.mode maildir)"
                    if looped else "test mail returned")

        def record(conn: WriteConnection) -> None:
            if address != verify:
                sessions.address_saw_mail(conn, address, ctx.inbound["id"], now)
                if customer_mail:
                    sessions.verify_address(conn, address, "mail received", now)
            if challenged:
                sessions.verify_address(conn, challenged, returned, now)
            if confirmation:  # "confirm in Gmail", with its code and link; not verified
                target = (confirmation.forwarding_from or address).lower()
                sessions.address_gmail_confirmation(
                    conn, target, confirmation.code, confirmation.link, now
                )

        ctx.writes.append(record)  # committed with the message (or the discard mark)
        if challenged:
            raise Discard("forwarding test mail")
        if confirmation:
            raise Discard("gmail forwarding confirmation")

    async def step_identify(self, ctx: Context) -> None:
        assert ctx.mail is not None
        ctx.customer = identify_customer(
            ctx.mail, ctx.inbound["mail_from"], {a.address for a in self.cfg.smtp.support_addresses}
        )

    async def step_strip(self, ctx: Context) -> None:
        assert ctx.mail is not None
        ctx.text = strip_quotes(ctx.mail.text, ctx.mail.html)

    async def step_record(self, ctx: Context) -> None:
        now = self.clock()

        def record(conn: WriteConnection) -> int | None:
            _apply(conn, ctx)
            return self._record(conn, ctx, now)

        result = await self.db.write(record)
        ctx.written = True
        ctx.inbound["session_id"] = result
        if result is None:
            raise Discard(_kind(ctx) if _kind(ctx) != "normal" else "no customer to answer")

    # -- the single commit -----------------------------------------------------------------
    def _record(self, conn: WriteConnection, ctx: Context, now: float) -> int | None:
        mail, cls = ctx.mail, ctx.classification
        assert mail is not None and cls is not None
        if ctx.customer is not None:  # one contact's mails thread one at a time, everywhere
            instances.serialize(conn, f"contact:{ctx.customer.email}")
        known = sessions.message_by_message_id(conn, mail.message_id) if mail.message_id else None
        if known is not None and _same_mail(known, ctx):
            return self._redelivered(conn, ctx, known)
        message_id = None if known is not None else mail.message_id
        if known is not None:  # another mail reusing the id: recorded (without it), answered
            log.warning("message-id reused by different mail message-id=%s inbound=%s",
                        mail.message_id, ctx.inbound["id"])
            ctx.notes.append("message-id reused by a different mail")
        # A bounce is recorded on its inbound row only: never joined to the session of its
        # envelope sender (often the customer), so never published to a HubSpot thread.
        threadable = ctx.customer is not None and cls.kind not in UNTHREADED_KINDS
        session = self._thread(conn, ctx) if threadable else None
        if session is None and (not cls.answerable or ctx.customer is None):
            return None
        created = False
        if session is None:
            assert ctx.customer is not None
            session = self._new_session(conn, ctx, now)
            created = True
        reasons = (*cls.reasons, *ctx.notes)  # classification markers, then our own notes
        row = sessions.add_message(
            conn, session_id=session["id"], role="customer", now=now,
            inbound_id=ctx.inbound["id"], message_id=message_id,
            in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else None,
            refs=mail.references, subject=mail.subject,
            author=_format_address(ctx.customer) if ctx.customer else "",
            text=ctx.text, full_text=mail.text, html=mail.html, kind=cls.kind,
            reasons=reasons, attachments=[a.__dict__ for a in mail.attachments],
            external_id=f"inbound:{ctx.inbound['id']}",
        )
        sessions.mark_inbound(
            conn, ctx.inbound["id"], state="processed", kind=cls.kind, reasons=reasons,
            message_id=mail.message_id, session_id=session["id"],
        )
        if row is None:
            log.info("duplicate message-id=%s session=%s", mail.message_id, session["id"])
            return int(session["id"])
        sessions.touch_session(conn, session["id"], now)
        self._enqueue_next(conn, session, row, cls, now)
        log.info(
            "recorded inbound=%s session=%s message=%s kind=%s new=%s",
            ctx.inbound["id"], session["id"], row, cls.kind, created,
        )
        return int(session["id"])

    def _redelivered(self, conn: WriteConnection, ctx: Context, known: dict[str, Any]) -> int:
        """The same mail again (a sender's retry): deduped, and no session is opened for it."""
        assert ctx.mail is not None and ctx.classification is not None
        sessions.mark_inbound(
            conn, ctx.inbound["id"], state="processed", kind=ctx.classification.kind,
            reasons=(*ctx.classification.reasons, "duplicate"),
            message_id=ctx.mail.message_id, session_id=known["session_id"],
        )
        log.info("duplicate message-id=%s session=%s", ctx.mail.message_id, known["session_id"])
        return int(known["session_id"])

    def _enqueue_next(self, conn: WriteConnection, session: dict[str, Any], row: int,
                      cls: Classification, now: float) -> None:
        """The explicit hand-over: AI-owned sessions go to `agent`, handed-off ones to `hubspot`."""
        if not cls.answerable:
            return
        payload = {"session_id": session["id"], "message_row": row}
        if session["status"] == "ai":
            queues.enqueue(
                conn, "agent", payload, now=now, delay=self.cfg.agent.debounce_seconds,
                max_attempts=self.cfg.queues.max_attempts, dedupe_key=f"agent:{row}",
            )
        elif session["status"] == "handed_off":
            queues.enqueue(
                conn, "hubspot", {"action": "append", **payload}, now=now,
                max_attempts=self.cfg.queues.max_attempts, dedupe_key=f"hubspot-append:{row}",
            )

    def _new_session(self, conn: WriteConnection, ctx: Context, now: float) -> dict[str, Any]:
        assert ctx.customer is not None and ctx.mail is not None
        sid = sessions.create_session(
            conn, token=tokens.new_session_token(), support_address=ctx.support_address,
            contact_email=ctx.customer.email, contact_name=ctx.customer.name,
            subject=clean_subject(ctx.mail.subject) or "(no subject)", now=now,
        )
        session = sessions.get_session(conn, sid)
        assert session is not None
        return session

    def _thread(self, conn: sqlite3.Connection, ctx: Context) -> dict[str, Any] | None:
        """Find the customer's session: our token, known Message-IDs, [#n], then open sessions."""
        mail, customer = ctx.mail, ctx.customer
        assert mail is not None and customer is not None
        ids = [*mail.references, *mail.in_reply_to]
        candidates: list[dict[str, Any] | None] = []
        token = tokens.session_token_from_ids(ids, self.cfg.smtp.hostname)
        if token:
            candidates.append(sessions.session_by_token(conn, token))
        if ids:
            candidates.append(sessions.session_by_message_ids(conn, ids))
        number = tokens.subject_ticket_number(mail.subject)
        if number:
            candidates.append(sessions.get_session(conn, number))
        for found in candidates:
            if found is None:
                continue
            if found["contact_email"] != customer.email:
                log.warning("thread refused session=%s: sender does not match", found["id"])
                continue
            return None if found["status"] == "closed" else found
        return self._returning(conn, customer.email, clean_subject(mail.subject))

    def _returning(self, conn: sqlite3.Connection, email: str, subject: str) -> dict | None:
        """A contact with an open ticket is appended to it; same subject continues an AI session."""
        handed = sessions.latest_session_for_contact(conn, email, ("handed_off",))
        if handed is not None:
            return handed
        ai = sessions.latest_session_for_contact(conn, email, ("ai",))
        recent = ai is not None and self.clock() - ai["last_activity_at"] < SAME_SUBJECT_WINDOW
        if recent and ai is not None and subject and clean_subject(ai["subject"]) == subject:
            return ai
        return None

    async def _finish_discarded(self, ctx: Context, why: str) -> None:
        cls = ctx.classification
        mid = ctx.mail.message_id if ctx.mail else None
        reasons = (*(cls.reasons if cls else ()), why)

        def mark(conn: WriteConnection) -> None:
            if not ctx.written:
                _apply(conn, ctx)
            if sessions.get_inbound(conn, ctx.inbound["id"], raw=False)["state"] == "queued":
                sessions.mark_inbound(
                    conn, ctx.inbound["id"], state="ignored", kind=_kind(ctx),
                    reasons=reasons, message_id=mid,
                )

        await self.db.write(mark)
        log.info("ignored inbound=%s kind=%s why=%s", ctx.inbound["id"], _kind(ctx), why)


_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|vs|tr|rif|antw)\s*(\[\d+\])?\s*:\s*)+", re.I)
_TOKEN = re.compile(r"\s*\[#\d+\]\s*")


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and our [#n] token, for display and matching."""
    s = _TOKEN.sub(" ", subject or "")
    return " ".join(_PREFIX.sub("", s).split())


def _same_mail(known: dict[str, Any], ctx: Context) -> bool:
    """Same Message-ID, same sender and same text: a redelivery, not a reused id."""
    assert ctx.mail is not None
    sender = ctx.customer.email if ctx.customer else ""
    return (known["role"] == "customer" and known["contact_email"] == sender
            and known["full_text"] == ctx.mail.text)


def _apply(conn: WriteConnection, ctx: Context) -> None:
    """The writes steps left for the final commit (run again if the batch is retried)."""
    for write in ctx.writes:
        write(conn)


def _kind(ctx: Context) -> str:
    if ctx.kind:
        return ctx.kind
    return ctx.classification.kind if ctx.classification else "unparsed"


def _format_address(a: Address) -> str:
    return f"{a.name} <{a.email}>" if a.name else a.email


class ProcessWorker(Worker):
    """Consumes `process` jobs written by the SMTP handler; yields to ingest during bursts.

    While mail streams in (``busy()``), claiming waits, so the sending MTAs get their 250s
    first; never once the oldest waiting mail is ``max_lag`` seconds old, which bounds the delay.
    """

    queue = "process"

    def __init__(self, pipeline: Pipeline, *args: Any, busy: Callable[[], bool] | None = None,
                 max_lag: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipeline = pipeline
        self.busy = busy
        self.max_lag = max_lag

    async def _claim(self, limit: int) -> list[Job]:
        while self.busy is not None and self.busy() and not self._stopping:
            age = await self.db.read(partial(queues.oldest_ready_age, queue=self.queue,
                                             now=self.clock()))
            if age >= self.max_lag:
                break
            await asyncio.sleep(0.05)
        return await super()._claim(limit)

    def handoff_ok(self) -> bool:
        """Not during a burst: then the SMTP sessions go first (see ``_claim``)."""
        try:
            return self.busy is None or not self.busy()
        except IndexError:  # called from the writer thread while the window moves
            return False

    async def handle(self, job: Job) -> None:
        await self.pipeline.process(job.payload["inbound_id"])

    async def on_dead(self, job: Job, error: str) -> None:
        now = self.clock()
        inbound_id = job.payload["inbound_id"]
        await self.db.write(
            lambda c: sessions.mark_inbound(c, inbound_id, state="failed", error=error[:500])
            if (sessions.get_inbound(c, inbound_id, raw=False) or {}).get("state") == "queued"
            else None
        )
        log.error("inbound failed inbound=%s at=%.0f", inbound_id, now)
