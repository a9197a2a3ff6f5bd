"""Read-only SQL for `status`: last inbound mail, outgoing mail totals, jobs with errors."""

from __future__ import annotations

import sqlite3
from typing import Any

from gateway.storage.queues import Job


def last_inbound(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The newest mail the SMTP receiver accepted (no body)."""
    row = conn.execute(
        "SELECT id, received_at, mail_from, state, kind FROM inbound"
        " ORDER BY received_at DESC LIMIT 1"
    ).fetchone()
    return dict(row) if row else None


def inbound_count(conn: sqlite3.Connection, since: float) -> int:
    row = conn.execute("SELECT COUNT(*) FROM inbound WHERE received_at >= ?", (since,)).fetchone()
    return int(row[0])


def outgoing_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """Outgoing mail by status, the newest delivery and the newest delivery error."""
    counts = {r["status"]: r["n"] for r in conn.execute(
        "SELECT status, COUNT(*) n FROM outgoing GROUP BY status")}
    sent = conn.execute("SELECT MAX(sent_at) FROM outgoing").fetchone()[0]
    error = conn.execute(
        "SELECT id, rcpt_to, status, last_error, created_at FROM outgoing"
        " WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return {"counts": counts, "last_sent_at": sent, "last_error": dict(error) if error else None}


def failing_jobs(conn: sqlite3.Connection, limit: int = 20) -> list[Job]:
    """Jobs waiting for another attempt after an error, soonest first."""
    return [Job.from_row(r) for r in conn.execute(
        "SELECT * FROM jobs WHERE status IN ('ready', 'claimed') AND last_error IS NOT NULL"
        " ORDER BY not_before LIMIT ?", (limit,))]
