"""The outbox: queue a rendered mail with its fixed Message-ID, deliver it, record the outcome."""

from __future__ import annotations

import logging
from typing import Any

from gateway.accepted import AcceptedMarks
from gateway.config import Config
from gateway.errors import PermanentFailure, TemporaryFailure
from gateway.outage import Outage
from gateway.smtp.relay import Relay
from gateway.storage import queues, sessions
from gateway.storage.db import WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker

log = logging.getLogger(__name__)


def queue_mail(
    conn: WriteConnection, cfg: Config, *, session_id: int | None, message_row: int | None,
    message_id: str, mail_from: str, rcpt_to: str, raw: bytes, now: float,
) -> int | None:
    """Store the bytes and an outbox job in the caller's transaction; None if already queued."""
    outgoing_id = sessions.insert_outgoing(
        conn, session_id=session_id, message_row=message_row, message_id=message_id,
        mail_from=mail_from, rcpt_to=rcpt_to, raw=raw, now=now,
    )
    if outgoing_id is None:
        return None
    queues.enqueue(
        conn, "outbox", {"outgoing_id": outgoing_id}, now=now,
        max_attempts=max(cfg.queues.max_attempts, 1_000),
        deadline=now + cfg.outbound.retry_horizon_hours * 3600,
        dedupe_key=f"outbox:{message_id}",
    )
    return outgoing_id


class OutboxWorker(Worker):
    """Hands queued mail to the relay; temporary failures retry until the horizon, 5xx buries."""

    queue = "outbox"

    def __init__(self, relay: Relay, *args: Any, marks: AcceptedMarks | None = None,
                 config: Config | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay = relay
        self.config = config  # to hand off a session whose AI reply cannot be delivered
        self.marks = marks
        self.outage = Outage("relay", self.clock)
        self.sent = 0
        self.retried = 0
        self.dead = 0

    async def handle(self, job: Job) -> None:
        oid = job.payload["outgoing_id"]
        row = await self.db.read(lambda c: sessions.get_outgoing(c, oid))
        if row is None:
            raise PermanentFailure(f"outgoing mail {oid} not found")
        mid = row["message_id"]
        if row["status"] == "sent":
            return
        if self.marks is not None and self.marks.seen(mid):  # accepted, then we crashed
            await self._mark(oid, "sent", response="accepted by the relay before a restart")
            self.marks.clear(mid)
            return
        recorded = False

        async def accepted(response: str) -> None:  # on the relay's 250, before its QUIT
            nonlocal recorded
            if self.marks is not None:  # no await before this: no crash window to speak of
                self.marks.mark(mid)  # (no fsync: the commit below is the durable record)
            await self._mark(oid, "sent", response=response)
            recorded = True
            if self.marks is not None:
                self.marks.clear(mid)

        try:
            response = await self.relay.send(row["mail_from"], row["rcpt_to"], row["raw"],
                                             on_accepted=accepted)
        except TemporaryFailure as exc:
            self.retried += 1
            self.outage.failed(str(exc))
            await self._mark(oid, "retrying", error=str(exc))
            raise
        except PermanentFailure as exc:
            self.outage.recovered()  # the relay answered: it is up, this mail is refused
            await self._mark(oid, "dead", error=str(exc))
            raise
        self.outage.recovered()
        if not recorded:
            await self._mark(oid, "sent", response=response)
        self.sent += 1
        log.info("sent outgoing=%s message-id=%s", oid, row["message_id"])

    def retry_log_level(self, exc: TemporaryFailure) -> int:
        return logging.INFO if self.outage.failures > 1 else logging.WARNING

    async def _mark(self, oid: int, status: str, *, error: str | None = None,
                    response: str | None = None) -> None:
        now = self.clock()
        await self.db.write(lambda c: sessions.mark_outgoing(
            c, oid, status=status, now=now, error=error, response=response))

    async def on_dead(self, job: Job, error: str) -> None:
        """A mail given up on is marked dead, noted on its session, and the session handed off.

        The customer would otherwise wait for an answer that never comes (e.g. a non-ASCII
        address and a relay without SMTPUTF8): a human takes over, with the reason shown.
        """
        self.dead += 1
        oid = job.payload["outgoing_id"]
        now = self.clock()

        def record(conn: WriteConnection) -> None:
            row = sessions.get_outgoing(conn, oid)
            if row is None:
                return
            sessions.mark_outgoing(conn, oid, status="dead", now=now, error=error)
            if row["session_id"]:
                sessions.add_message(
                    conn, session_id=row["session_id"], role="system", now=now,
                    text=f"Delivery to {row['rcpt_to']} failed permanently: {error}",
                    kind="delivery_failure", external_id=f"dead:{row['message_id']}",
                )
                if self.config is not None and row["message_row"]:
                    from gateway.answering import request_handoff  # answering imports us

                    request_handoff(conn, self.config, row["session_id"],
                                    reason="reply_undeliverable", now=now, analysis=None,
                                    detail=f"the AI reply could not be delivered: {error}")

        await self.db.write(record)

