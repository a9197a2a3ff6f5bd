"""Exactly-once creates in HubSpot: a step marker around each non-idempotent call.

Written "started" before the call and "done" with the new id after it. A marker still
"started" with unknown-outcome attempts (timeout, dropped connection, 5xx, crash) is
resolved by looking the object up first, once the earlier call can no longer be in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from gateway.hubspot.errors import HubSpotError
from gateway.storage import hubspot as hs
from gateway.storage.db import Database

log = logging.getLogger(__name__)

SETTLE_TIMEOUTS = 2  # an unanswered call is looked for after this many call timeouts


class Steps:
    """`once()` runs a create at most once per key, across retries and restarts."""

    def __init__(self, db: Database, call_timeout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.settle = SETTLE_TIMEOUTS * call_timeout
        self.clock = clock

    async def once(self, session_id: int, key: str, kind: str, ref: str,
                   create: Callable[[], Awaitable[str]],
                   find: Callable[[], Awaitable[str | None]]) -> str:
        """The id of the object `key` stands for: recorded, found again, or created now."""
        step = await self.db.read(lambda c: hs.get_step(c, key))
        if step is not None and step["status"] != "started":
            return str(step["hubspot_id"])
        if step is not None and step["attempts"] > 0:
            found = await self._find_settled(step["started_at"], find)
            if found:
                log.warning("hubspot %s found after an interrupted create key=%s id=%s",
                            kind, key, found)
                await self._done(key, found)
                return found
        now = self.clock()
        await self.db.write(lambda c: hs.begin_step(
            c, key, session_id=session_id, kind=kind, ref=ref, now=now))
        try:
            object_id = await create()
        except HubSpotError as exc:
            if exc.status is not None and exc.status < 500:  # answered: nothing was created
                await self.db.write(lambda c: hs.clear_attempts(c, key))
            raise
        await self._done(key, object_id)
        return object_id

    async def _find_settled(self, started_at: float,
                            find: Callable[[], Awaitable[str | None]]) -> str | None:
        wait = started_at + self.settle - self.clock()
        if wait > 0:
            await asyncio.sleep(wait)
        return await find()

    async def _done(self, key: str, object_id: str) -> None:
        now = self.clock()
        await self.db.write(lambda c: hs.finish_step(c, key, object_id, now))
