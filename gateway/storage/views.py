"""Read-only SQL for the operator surface: counts, per-session outgoing mail, metric inputs."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from gateway.storage import sessions
from gateway.storage.pg import is_pg
from gateway.storage.queues import Job
from gateway.storage.sessions import count_sessions, session_filter


def count_sessions_matching(
    conn: sqlite3.Connection, *, status: str | None = None, query: str | None = None
) -> int:
    """How many sessions `sessions.list_sessions` would page through with these filters.

    Without a query the answer comes from the session_counts table. With one, matches are
    counted up to SEARCH_COUNT_CAP; a result above it means "more than the cap".
    """
    if query is None:
        counts = count_sessions(conn)
        return counts.get(status, 0) if status else sum(counts.values())
    source, where, args, _ = session_filter(status, query, pg=is_pg(conn))
    if status is None and source.startswith("sessions_fts"):  # one FTS row per session
        source, where = "sessions_fts", " WHERE sessions_fts MATCH ?"
    alias = " AS found" if is_pg(conn) else ""  # PostgreSQL names every subquery
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {source}{where} LIMIT ?){alias}"
    return int(conn.execute(sql, [*args, sessions.SEARCH_COUNT_CAP + 1]).fetchone()[0])


def outgoing_for_session(conn: sqlite3.Connection, session_id: int) -> list[dict[str, Any]]:
    """Every outgoing mail of a session (without the raw bytes), oldest first."""
    return [
        dict(r) for r in conn.execute(
            "SELECT id, message_row, message_id, mail_from, rcpt_to, status, attempts,"
            " last_error, relay_response, created_at, sent_at FROM outgoing"
            " WHERE session_id=? ORDER BY id",
            (session_id,),
        )
    ]


def jobs_page(
    conn: sqlite3.Connection, *, statuses: tuple[str, ...], queue: str | None = None,
    retrying_only: bool = False, limit: int = 100, offset: int = 0,
) -> tuple[list[Job], int]:
    """Jobs by status (and queue), newest first, plus the total for paging."""
    marks = ",".join("?" * len(statuses))
    where = f" WHERE status IN ({marks})"
    args: list[Any] = list(statuses)
    if queue:
        where += " AND queue=?"
        args.append(queue)
    if retrying_only:
        where += " AND attempts > 0"
    total = int(conn.execute(f"SELECT COUNT(*) FROM jobs{where}", args).fetchone()[0])
    rows = conn.execute(
        f"SELECT * FROM jobs{where} ORDER BY id DESC LIMIT ? OFFSET ?", [*args, limit, offset]
    )
    return [Job.from_row(r) for r in rows], total


def queue_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT queue FROM jobs ORDER BY queue")]


def inbound_outcomes(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(state, kind, count) of every inbound mail: processed, ignored (bounce, ...), failed."""
    return [
        (r[0], r[1] or "unknown", int(r[2])) for r in conn.execute(
            "SELECT state, kind, COUNT(*) FROM inbound GROUP BY state, kind"
        )
    ]


def handoffs_by_reason(conn: sqlite3.Connection) -> dict[str, int]:
    """Sessions ever handed off (they keep handoff_at when closed), by reason."""
    return {
        r[0] or "unknown": int(r[1]) for r in conn.execute(
            "SELECT handoff_reason, COUNT(*) FROM sessions WHERE handoff_at IS NOT NULL"
            " GROUP BY handoff_reason"
        )
    }


def messages_by_role(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        r[0]: int(r[1])
        for r in conn.execute("SELECT role, COUNT(*) FROM messages GROUP BY role")
    }


def latencies_after(
    conn: sqlite3.Connection, *, after_message: int, after_sent: float, limit: int = 5000
) -> dict[str, Any]:
    """Durations recorded since the cursors: inbound -> recorded, customer -> AI reply, and
    outgoing queued -> sent. Returns the samples and the advanced cursors."""
    recorded = conn.execute(
        "SELECT m.id, m.role, m.created_at - i.received_at FROM messages m"
        " JOIN inbound i ON i.id = m.inbound_id WHERE m.id > ? AND m.role = 'customer'"
        " UNION ALL SELECT a.id, a.role, a.created_at - c.created_at FROM messages a"
        " JOIN messages c ON c.id = CAST(substr(a.external_id, 10) AS INTEGER)"
        " WHERE a.id > ? AND a.role = 'ai' AND a.external_id LIKE 'ai-reply:%'"
        " ORDER BY 1 LIMIT ?",
        (after_message, after_message, limit),
    ).fetchall()
    sent = conn.execute(
        "SELECT sent_at, sent_at - created_at FROM outgoing WHERE sent_at > ?"
        " ORDER BY sent_at LIMIT ?",
        (after_sent, limit),
    ).fetchall()
    stage = {"customer": "process", "ai": "answer"}
    return {
        "samples": [(stage[r[1]], max(0.0, float(r[2]))) for r in recorded]
        + [("deliver", max(0.0, float(r[1]))) for r in sent],
        "after_message": max([after_message, *(int(r[0]) for r in recorded)]),
        "after_sent": max([after_sent, *(float(r[0]) for r in sent)]),
    }



def dead_session_jobs(conn: sqlite3.Connection, session_ids: list[int] | None = None
                      ) -> list[dict[str, Any]]:
    """Dead agent/hubspot/outbox jobs with the session they were for, newest first.

    Payloads are decoded here rather than with json_extract, so the SQL stays portable.
    """
    rows = conn.execute(
        "SELECT id, queue, payload, last_error, updated_at FROM jobs WHERE status='dead'"
        " AND queue IN ('agent', 'hubspot', 'outbox') ORDER BY updated_at DESC, id DESC"
    ).fetchall()
    found: list[dict[str, Any]] = []
    for row in rows:
        payload = row["payload"]
        payload = json.loads(payload) if isinstance(payload, str | bytes) else dict(payload)
        sid = payload.get("session_id")
        if row["queue"] == "outbox":
            out = conn.execute("SELECT session_id FROM outgoing WHERE id=?",
                               (payload.get("outgoing_id"),)).fetchone()
            sid = out["session_id"] if out else None
        if sid is None or (session_ids is not None and int(sid) not in session_ids):
            continue
        status = conn.execute("SELECT status FROM sessions WHERE id=?", (int(sid),)).fetchone()
        if status is None:
            continue
        found.append({"job_id": row["id"], "queue": row["queue"], "action": payload.get("action"),
                      "last_error": row["last_error"], "updated_at": row["updated_at"],
                      "session_id": int(sid), "session_status": status["status"]})
    return found
