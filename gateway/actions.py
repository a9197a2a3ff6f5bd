"""Operator actions shared by the CLI and the web UI: manual handoff, forwarding test mail."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gateway.agent.base import Agent
from gateway.answering import request_handoff, transcript_of
from gateway.config import Config
from gateway.errors import GatewayError, NotFound
from gateway.outbox import queue_mail
from gateway.replies import OutgoingMail, build_message, compose_body
from gateway.smtp.verification import make_challenge
from gateway.storage import sessions
from gateway.storage.db import Database

CHALLENGE_HEADER = "X-OpenCX-Challenge"


class Actions:
    """What an operator can ask of the gateway; each call is one durable write."""

    def __init__(self, db: Database, cfg: Config, agent: Agent, secret_key: bytes, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.cfg = cfg
        self.agent = agent
        self.secret_key = secret_key
        self.clock = clock

    async def handoff(self, session_id: int, reason: str | None = None) -> dict[str, Any]:
        """Hand an AI session to HubSpot now (reason `manual`); the hubspot worker runs the saga."""
        def snapshot(c: Any) -> tuple[dict | None, list[dict]]:
            s = sessions.get_session(c, session_id)
            return s, sessions.session_messages(c, session_id) if s else []

        session, messages = await self.db.read(snapshot)
        if session is None:
            raise NotFound(f"no session #{session_id}")
        if session["status"] != "ai":
            raise GatewayError(f"session #{session_id} is {session['status']}, not with the AI")
        analysis = await self.agent.analyse(transcript_of(session, messages))
        now = self.clock()
        detail = (reason or "").strip()[:500] or "handed off by an operator"
        done = await self.db.write(lambda c: request_handoff(
            c, self.cfg, session_id, reason="manual", detail=detail, analysis=analysis, now=now))
        if not done:
            raise GatewayError(f"session #{session_id} was handed off meanwhile")
        return {"session_id": session_id, "status": "handed_off", "reason": "manual",
                "detail": detail, "queued_hubspot": self.cfg.hubspot.mode != "off"}

    async def send_test(self, address: str) -> dict[str, Any]:
        """Queue a signed challenge mail to the address; it must come back via the forward."""
        address = address.strip().lower()
        support = next((a for a in self.cfg.smtp.support_addresses if a.address == address), None)
        if support is None:
            raise NotFound(f"{address} is not a configured support address")
        now = self.clock()
        token = make_challenge(address, self.secret_key, now)
        sender = self.cfg.smtp.verify_address()
        forward_to = self.cfg.smtp.forward_address(support)
        # Maildir mode has no way out: the daemon loops the mail into its own listener,
        # addressed to the forward target as if the provider had forwarded it.
        looped = self.cfg.outbound.mode == "maildir"
        rcpt = forward_to if looped else address
        mail = OutgoingMail(
            from_addr=sender, from_name="opencx-gateway", to_addr=address, to_name=support.name,
            reply_to=None, subject="opencx-gateway forwarding test",
            message_id=f"opencx-test.{uuid.uuid4().hex}@{self.cfg.smtp.hostname}",
            in_reply_to=None, references=(), auto_submitted=True,
            extra_headers={CHALLENGE_HEADER: token},
        )
        text = ("This is a forwarding test from opencx-gateway. If your forwarding works, "
                f"it comes back to the gateway and {address} is marked verified.\n\n"
                f"Challenge: {token}\n")
        body = await asyncio.to_thread(compose_body, text=text, signature=None)
        raw = build_message(mail, body, date=datetime.fromtimestamp(now, UTC))

        def write(c: Any) -> None:
            sessions.sync_addresses(c, [(address, self.cfg.smtp.forward_address(support))], now)
            queue_mail(c, self.cfg, session_id=None, message_row=None, message_id=mail.message_id,
                       mail_from=sender, rcpt_to=rcpt, raw=raw, now=now)
            sessions.address_challenge_sent(c, address, now)

        await self.db.write(write)
        note = (f"outbound.mode is maildir: the daemon loops the test mail back into its own "
                f"SMTP listener ({self.cfg.smtp.listen}) addressed to {forward_to}; this checks "
                "the gateway's receiving path, not your provider's forward"
                if looped else f"when it comes back through the forward to {forward_to}, "
                f"{address} is verified")
        return {"address": address, "from": sender, "message_id": mail.message_id,
                "forward_to": forward_to, "looped_back": looped, "note": note}
