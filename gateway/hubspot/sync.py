"""The `hubspot` worker (handoff and append jobs) and the HubSpot error policy of both workers."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.errors import PermanentFailure, TemporaryFailure
from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotError,
    HubSpotServerError,
)
from gateway.hubspot.handoff import Handoff
from gateway.locks import lease_lock
from gateway.storage import hubspot as hs
from gateway.storage import sessions
from gateway.storage.db import WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker

log = logging.getLogger(__name__)

AUTH_RETRY_SECONDS = 300.0
"""A rejected token or missing scope needs an operator: retry rarely until then."""


class Health:
    """HubSpot reachability shared by the workers: logs an outage once when it starts and
    once when it ends (Home Assistant style), and keeps the last error for `status`."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.outage: str | None = None
        self.outage_since: float | None = None
        self.last_error: dict[str, Any] | None = None
        self.last_success: float | None = None

    def succeeded(self) -> None:
        self.last_success = self.clock()
        if self.outage is not None:
            log.info("hubspot outage over after %.0fs (%s)",
                     self.last_success - (self.outage_since or self.last_success), self.outage)
            self.outage, self.outage_since = None, None

    def failed(self, exc: HubSpotError, where: str) -> TemporaryFailure | PermanentFailure:
        """Record the error; return what the worker base should do with the job."""
        self.last_error = {"at": self.clock(), "where": where, "error": str(exc),
                           "kind": type(exc).__name__}
        if isinstance(exc, HubSpotAuthError):
            if self.outage is None:
                self.outage, self.outage_since = f"{type(exc).__name__}: {exc}", self.clock()
                log.error("hubspot outage: %s (jobs wait; fix the token or scopes)", exc)
            return TemporaryFailure(f"HubSpot refused our credentials: {exc}",
                                    retry_after=AUTH_RETRY_SECONDS)
        if isinstance(exc, HubSpotConnectionError | HubSpotServerError) and self.outage is None:
            self.outage, self.outage_since = f"{type(exc).__name__}: {exc}", self.clock()
            log.error("hubspot outage: %s (jobs retry with back-off)", exc)
        if exc.temporary:
            return TemporaryFailure(f"HubSpot: {exc}", retry_after=exc.retry_after)
        return PermanentFailure(f"HubSpot: {exc}")

    def snapshot(self) -> dict[str, Any]:
        return {"outage": self.outage, "outage_since": self.outage_since,
                "last_error": self.last_error, "last_success": self.last_success}


async def guarded(health: Health, where: str, call: Awaitable[str]) -> str:
    """Await a HubSpot operation, translating client errors into job outcomes."""
    try:
        result = await call
    except HubSpotError as exc:
        raise health.failed(exc, where) from exc
    health.succeeded()
    return result


class HubSpotWorker(Worker):
    """Runs `hubspot` jobs: {"action": "handoff" | "append", "session_id"[, "message_row"]}.

    Jobs of one contact run one at a time, so two sessions of the same customer cannot both
    decide that no open ticket exists and create two.
    """

    queue = "hubspot"

    def __init__(self, handoff: Handoff, health: Health,
                 ready: Callable[[], Awaitable[None]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handoff = handoff
        self.health = health
        self.ready = ready
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self.outcomes: dict[str, int] = {}

    async def handle(self, job: Job) -> None:
        action, sid = job.payload.get("action"), int(job.payload["session_id"])
        if action not in ("handoff", "append"):
            raise PermanentFailure(f"unknown hubspot action {action!r}")
        await self.ready()
        session = await self.db.read(lambda c: sessions.get_session(c, sid))
        if session is None:
            raise PermanentFailure(f"session {sid} not found")
        lock = self._locks.get(session["contact_email"])
        if lock is None:
            lock = self._locks[session["contact_email"]] = asyncio.Lock()
        # with several instances on one database, one contact's jobs run on one at a time
        shared = lease_lock(self.db, f"hubspot-contact:{session['contact_email']}",
                            ttl=self.cfg.lease_seconds, wait=max(self.cfg.lease_seconds / 10, 1),
                            clock=self.clock)
        async with lock, shared:
            if action == "handoff":
                outcome = await guarded(self.health, f"handoff {sid}", self.handoff.run(sid))
            else:
                row = int(job.payload["message_row"])
                outcome = await guarded(self.health, f"append {sid}",
                                        self.handoff.append(sid, row))
        self.outcomes[action] = self.outcomes.get(action, 0) + 1
        log.info("hubspot job=%s action=%s session=%s: %s", job.id, action, sid, outcome)

    async def on_dead(self, job: Job, error: str) -> None:
        """A handoff given up on stays visible: saga marked failed, a note on the session."""
        sid = int(job.payload.get("session_id", 0))
        now = self.clock()
        action = job.payload.get("action")

        def record(conn: WriteConnection) -> None:
            if action == "handoff" and hs.get_handoff(conn, sid) is not None:
                hs.update_handoff(conn, sid, now, status="failed", last_error=error[:2000])
            if sessions.get_session(conn, sid) is not None:
                sessions.add_message(
                    conn, session_id=sid, role="system", now=now, kind="note",
                    text=f"HubSpot {action} failed (job {job.id} is dead; requeue it with "
                         f"`opencx-gateway queue requeue {job.id}`): {error}",
                    external_id=f"hubspot-dead:{job.id}")

        await self.db.write(record)
