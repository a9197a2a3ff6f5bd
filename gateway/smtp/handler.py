"""SMTP ingress: only support addresses at RCPT; at DATA commit raw bytes + a job, then 250."""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from gateway.budget import ByteBudget
from gateway.config import QueuesConfig, SmtpConfig
from gateway.smtp import codes
from gateway.storage import queues, sessions
from gateway.storage.db import Database, WriteConnection

log = logging.getLogger(__name__)
BURST_RATE = 50  # messages per second above which processing yields to ingest


class InboundIds:
    """Time-ordered unique ids for '250 queued as <id>': ms clock + process nonce + counter."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.nonce = secrets.token_hex(3)
        self.counter = itertools.count()

    def __call__(self) -> str:
        return f"{int(self.clock() * 1000):012x}{self.nonce}{next(self.counter) % 0x10000:04x}"


class SmtpHandler:
    """aiosmtpd handler: the only hooks the gateway needs, each returning the SMTP reply."""

    def __init__(
        self,
        db: Database,
        cfg: SmtpConfig,
        queues_cfg: QueuesConfig,
        *,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] | None = None,
        budget: ByteBudget | None = None,
    ) -> None:
        self.db = db
        self.budget = budget
        self.cfg = cfg
        self.queues_cfg = queues_cfg
        self.clock = clock
        self.new_id = new_id or InboundIds(clock)
        self.accepted = cfg.accepted_recipients()
        self.stats = {"accepted": 0, "rejected_rcpt": 0, "temp_failed": 0, "over_budget": 0}
        self._recent: deque[float] = deque(maxlen=BURST_RATE)  # monotonic times of DATA

    def busy(self) -> bool:
        """True during a burst: BURST_RATE messages arrived within the last second."""
        recent = self._recent
        now = time.monotonic()
        return len(recent) == recent.maxlen and now - recent[0] < 1.0 and now - recent[-1] < 0.2

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        normalised = address.strip().lower()
        if normalised not in self.accepted:
            self.stats["rejected_rcpt"] += 1
            log.info("rcpt refused peer=%s rcpt=%s", _peer(session), normalised)
            return codes.RELAY_DENIED.format(address=normalised)
        if len(envelope.rcpt_tos) >= self.cfg.max_recipients:
            return codes.TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(normalised)
        envelope.rcpt_options.extend(rcpt_options)
        return codes.RCPT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._recent.append(time.monotonic())
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
        inbound_id = self.new_id()
        now = self.clock()
        mail_from = envelope.mail_from or ""
        rcpts = list(envelope.rcpt_tos)
        helo = session.host_name or ""
        if self.budget is not None and not self.budget.try_hold(inbound_id, len(raw)):
            self.stats["over_budget"] += 1
            log.warning("over in-flight budget peer=%s size=%d in_use=%d", _peer(session),
                        len(raw), self.budget.in_use)
            return codes.OVER_BUDGET

        def store(conn: WriteConnection) -> None:
            sessions.insert_inbound(
                conn,
                id=inbound_id,
                now=now,
                peer=_peer(session),
                helo=helo,
                mail_from=mail_from,
                rcpt_tos=rcpts,
                raw=raw,
            )
            queues.enqueue(
                conn,
                "process",
                {"inbound_id": inbound_id},
                now=now,
                max_attempts=self.queues_cfg.max_attempts,
                dedupe_key=f"process:{inbound_id}",
            )

        try:
            await self.db.write(store)
        except Exception as exc:  # SMTP boundary: our fault -> 451, the sender retries
            if self.budget is not None:
                self.budget.release(inbound_id)
            self.stats["temp_failed"] += 1
            log.error("store failed peer=%s size=%d error=%s", _peer(session), len(raw), exc)
            return codes.TEMP_FAILURE
        self.stats["accepted"] += 1
        log.info("queued inbound=%s size=%d rcpt=%d", inbound_id, len(raw), len(rcpts))
        return codes.QUEUED.format(id=inbound_id)

    async def handle_exception(self, error: Exception) -> str:
        log.error("smtp session error=%s: %s", type(error).__name__, error)
        return codes.TEMP_FAILURE


def _peer(session: Any) -> str:
    peer = getattr(session, "peer", None)
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")
