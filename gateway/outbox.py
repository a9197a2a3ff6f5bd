"""The outbox: queue a rendered mail with its fixed Message-ID, deliver it, record the outcome."""

from __future__ import annotations

import logging
from typing import Any

from gateway.accepted import Mark, SendMarks
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

    def __init__(self, relay: Relay, *args: Any, marks: SendMarks | None = None,
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
        if row["status"] in ("sent", "uncertain"):
            return
        if self.marks is not None and await self._settled_by_mark(oid, row):
            return
        await self._send(oid, row)
        self.sent += 1
        log.info("sent outgoing=%s message-id=%s", oid, row["message_id"])

    async def _send(self, oid: int, row: dict[str, Any]) -> None:
        mid, marks = row["message_id"], self.marks
        recorded = False

        async def before_data() -> None:  # the relay took the envelope: DATA comes next
            if marks is not None:
                await marks.sending(mid)

        async def accepted(response: str) -> None:  # on the relay's 250, before its QUIT
            nonlocal recorded
            if marks is not None:  # no await before this: no crash window to speak of
                await marks.accepted(mid)
            await self._mark(oid, "sent", response=response)
            recorded = True

        try:
            response = await self.relay.send(row["mail_from"], row["rcpt_to"], row["raw"],
                                             on_accepted=accepted, before_data=before_data)
        except TemporaryFailure as exc:
            await self._forget(mid)  # the relay said no, or hung up: sending again is safe
            self.retried += 1
            self.outage.failed(str(exc))
            await self._mark(oid, "retrying", error=str(exc))
            raise
        except PermanentFailure as exc:
            await self._forget(mid)
            self.outage.recovered()  # the relay answered: it is up, this mail is refused
            await self._mark(oid, "dead", error=str(exc))
            raise
        except BaseException:  # cancelled or crashed mid-send: leave the marks as they are
            if marks is not None:
                marks.release(mid)
            raise
        self.outage.recovered()
        if not recorded:
            await self._mark(oid, "sent", response=response)
        await self._forget(mid)

    async def _forget(self, mid: str) -> None:
        if self.marks is not None:
            await self.marks.clear(mid)

    async def _settled_by_mark(self, oid: int, row: dict[str, Any]) -> bool:
        """A mark left by a crash decides: accepted = sent; sending = not sent again blindly."""
        assert self.marks is not None
        mid = row["message_id"]
        mark = await self.marks.state(mid)
        if mark is None:
            return False
        if mark.state == "accepted":  # the relay took it, then the sender died
            await self._mark(oid, "sent", response="accepted by the relay before a restart")
            await self.marks.clear(mid)
            return True
        if mark.owner_alive:  # its lease ran out, its instance did not: let it finish
            raise TemporaryFailure(f"instance {mark.owner} is still sending {mid}")
        if self.config is not None and self.config.outbound.uncertain == "resend":
            log.warning("resending outgoing=%s: the relay may already hold it (%s)", oid, mid)
            await self.marks.clear(mid)
            return False
        await self._uncertain(oid, row, mark)
        await self.marks.clear(mid)
        return True

    async def _uncertain(self, oid: int, row: dict[str, Any], mark: Mark) -> None:
        """Crashed during DATA: maybe delivered, maybe not. Record it and let a human check."""
        who = f"instance {mark.owner}" if mark.owner else "the gateway"
        detail = (f"{who} stopped while the relay was taking the reply to {row['rcpt_to']}"
                  f" (Message-ID <{row['message_id']}>): it may or may not have reached the"
                  " customer, and it is not sent twice")
        log.warning("outgoing=%s delivery uncertain after a crash: %s", oid, row["message_id"])
        now = self.clock()

        def record(conn: WriteConnection) -> None:
            sessions.mark_outgoing(conn, oid, status="uncertain", now=now, error=detail)
            if not row["session_id"]:
                return
            sessions.add_message(conn, session_id=row["session_id"], role="system", now=now,
                                 text=f"Delivery uncertain: {detail}.", kind="delivery_uncertain",
                                 external_id=f"uncertain:{row['message_id']}")
            if self.config is not None and row["message_row"]:
                from gateway.answering import request_handoff  # answering imports us

                request_handoff(conn, self.config, row["session_id"],
                                reason="reply_delivery_uncertain", now=now, analysis=None,
                                detail=f"{detail}; check the customer's thread before answering")

        await self.db.write(record)

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

