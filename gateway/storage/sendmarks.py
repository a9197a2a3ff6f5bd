"""Send marks in PostgreSQL, seen by every instance, each written at once on its own connection.

The outbox's "sent" goes through the writer thread's group commit; a mark cannot wait for
that. A send takes an idle autocommit connection when it marks ``sending`` and keeps it until
the outcome is known, so the ``accepted`` mark on the relay's 250 is on the wire in the same
step, never queued behind another statement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg

from gateway.accepted import Mark
from gateway.errors import TemporaryFailure

log = logging.getLogger(__name__)

_UPSERT = ("INSERT INTO send_marks (message_id, state, instance, at) VALUES (%s, %s, %s, %s)"
           " ON CONFLICT (message_id) DO UPDATE SET state=excluded.state,"
           " instance=excluded.instance, at=excluded.at")
_STATE = ("SELECT m.state, m.instance, i.heartbeat_at, i.stopped_at FROM send_marks m"
          " LEFT JOIN instances i ON i.id = m.instance WHERE m.message_id = %s")
_CLEAR = "DELETE FROM send_marks WHERE message_id = %s"


class PgSendMarks:
    """Marks of one instance (``instance``) in the shared ``send_marks`` table."""

    def __init__(self, url: str, instance: str, *, dead_after: float,
                 clock: Callable[[], float]) -> None:
        self.url = url
        self.instance = instance
        self.dead_after = dead_after
        self.clock = clock
        self._idle: list[psycopg.AsyncConnection] = []
        self._held: dict[str, psycopg.AsyncConnection] = {}

    async def _take(self) -> psycopg.AsyncConnection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        try:
            return await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise TemporaryFailure(f"send marks: database unreachable: {exc}") from exc

    def _give_back(self, conn: psycopg.AsyncConnection) -> None:
        if not conn.closed and not conn.broken:
            self._idle.append(conn)

    async def _run(self, conn: psycopg.AsyncConnection, sql: str, args: tuple) -> None:
        try:
            await conn.execute(sql, args)
        except psycopg.Error as exc:
            await conn.close()
            raise TemporaryFailure(f"send mark not written: {exc}") from exc

    async def sending(self, message_id: str) -> None:
        conn = self._held[message_id] = await self._take()
        await self._run(conn, _UPSERT, (message_id, "sending", self.instance, self.clock()))

    async def accepted(self, message_id: str) -> None:
        conn = self._held.get(message_id)
        if conn is None:  # a relay without the before-DATA step (never, today): take one now
            conn = self._held[message_id] = await self._take()
        await self._run(conn, _UPSERT, (message_id, "accepted", self.instance, self.clock()))

    async def state(self, message_id: str) -> Mark | None:
        conn = self._held.get(message_id) or await self._take()
        try:
            cur = await conn.execute(_STATE, (message_id,))
            row = await cur.fetchone()
        except psycopg.Error as exc:
            await conn.close()
            raise TemporaryFailure(f"send marks unreadable: {exc}") from exc
        finally:
            if message_id not in self._held:
                self._give_back(conn)
        if row is None:
            return None
        state, owner, beat, stopped = row
        alive = (owner != self.instance and stopped is None and beat is not None
                 and self.clock() - beat < self.dead_after)
        return Mark(state, owner=owner, owner_alive=alive)

    async def clear(self, message_id: str) -> None:
        conn = self._held.pop(message_id, None)
        if conn is None:
            conn = await self._take()
        try:
            await self._run(conn, _CLEAR, (message_id,))
        finally:
            self._give_back(conn)

    def release(self, message_id: str) -> None:
        """Give the send's connection back without touching its mark (outcome unknown)."""
        conn = self._held.pop(message_id, None)
        if conn is not None:
            self._give_back(conn)

    async def close(self) -> None:
        for conn in [*self._idle, *self._held.values()]:
            await conn.close()
        self._idle.clear()
        self._held.clear()
