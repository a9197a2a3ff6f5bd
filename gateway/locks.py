"""Lease locks across instances sharing one database (PostgreSQL); no-ops on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from gateway.errors import TemporaryFailure
from gateway.storage import instances
from gateway.storage.db import Database


@contextlib.asynccontextmanager
async def lease_lock(db: Database, name: str, *, ttl: float, wait: float,
                     clock: object = time.time) -> AsyncIterator[None]:
    """Hold ``name`` while the block runs; it expires after ``ttl`` if this process dies.

    Waits up to ``wait`` seconds for another instance to let go, then raises
    TemporaryFailure (a job is retried later). With one instance (SQLite) nothing to do."""
    if not db.shared:
        yield
        return
    owner, now = db.instance_id, clock if callable(clock) else time.time
    deadline = time.monotonic() + wait
    def take(c: object) -> bool:  # a dead instance's locks are free (its heartbeat aged)
        at = now()
        return instances.try_lock(c, name, owner, now=at, ttl=ttl,  # type: ignore[arg-type]
                                  dead_before=at - db.dead_after)

    while not await db.write(take):
        if time.monotonic() > deadline:
            raise TemporaryFailure(f"{name} is busy on another instance", retry_after=1.0)
        await asyncio.sleep(0.1)
    try:
        yield
    finally:
        await db.write(lambda c: instances.unlock(c, name, owner))
