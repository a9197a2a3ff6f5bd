"""SQL for the HubSpot integration: setup ids, handoff sagas, step markers, webhook events."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from gateway.storage import queues

migrations = Migrations("hubspot")


@migrations()
def m001_hubspot(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE hubspot_setup (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE hubspot_handoffs (
            session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
            reason TEXT,
            mode TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'running',
            contact_id TEXT,
            contact_created INTEGER NOT NULL DEFAULT 0,
            ticket_id TEXT,
            ticket_action TEXT,
            thread_id TEXT,
            integration_thread_id TEXT,
            last_error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            done_at REAL
        );
        CREATE INDEX hubspot_handoffs_ticket ON hubspot_handoffs(ticket_id);
        CREATE TABLE hubspot_steps (
            key TEXT PRIMARY KEY,
            session_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            ref TEXT NOT NULL,
            hubspot_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            started_at REAL NOT NULL,
            done_at REAL
        );
        CREATE INDEX hubspot_steps_id ON hubspot_steps(hubspot_id);
        CREATE TABLE hubspot_published (
            message_row INTEGER PRIMARY KEY REFERENCES messages(id),
            session_id INTEGER NOT NULL,
            idempotency_id TEXT NOT NULL UNIQUE,
            hubspot_message_id TEXT NOT NULL,
            thread_id TEXT,
            direction TEXT NOT NULL,
            published_at REAL NOT NULL
        );
        CREATE INDEX hubspot_published_id ON hubspot_published(hubspot_message_id);
        CREATE TABLE hubspot_contact_tickets (
            contact_id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL,
            session_id INTEGER,
            updated_at REAL NOT NULL
        );
        CREATE TABLE hubspot_webhook_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            dedupe_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            event_type TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at REAL NOT NULL,
            duplicates INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'queued',
            outcome TEXT,
            processed_at REAL
        );
        CREATE INDEX sessions_hubspot_thread ON sessions(hubspot_thread_id);
        CREATE INDEX sessions_hubspot_ticket ON sessions(hubspot_ticket_id);
        """
    )


@migrations()
def m002_handoff_thread_index(db: sqlite_utils.Database) -> None:
    """A rep reply's thread is looked up per webhook event: index it (issue 11)."""
    db.execute("CREATE INDEX hubspot_handoffs_thread ON hubspot_handoffs(thread_id)")


def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
    row = conn.execute(sql, args).fetchone()
    return dict(row) if row else None


# -- setup ids and small state ----------------------------------------------------------------


def setup_values(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every stored setup value, JSON-decoded."""
    return {r["key"]: json.loads(r["value"])
            for r in conn.execute("SELECT key, value FROM hubspot_setup")}


def set_setup_values(conn: sqlite3.Connection, values: dict[str, Any], now: float) -> None:
    for key, value in values.items():
        conn.execute(
            "INSERT INTO hubspot_setup (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
            (key, json.dumps(value), now),
        )


# -- handoff sagas ----------------------------------------------------------------------------


def get_handoff(conn: sqlite3.Connection, session_id: int) -> dict[str, Any] | None:
    return _one(conn, "SELECT * FROM hubspot_handoffs WHERE session_id=?", (session_id,))


def start_handoff(conn: sqlite3.Connection, session_id: int, *, reason: str | None, mode: str,
                  now: float) -> dict[str, Any]:
    """The saga row for a session, created on first use (its mode never changes after)."""
    conn.execute(
        "INSERT INTO hubspot_handoffs (session_id, reason, mode, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(session_id) DO NOTHING",
        (session_id, reason, mode, now, now),
    )
    found = get_handoff(conn, session_id)
    assert found is not None
    return found


HANDOFF_FIELDS = frozenset({"status", "contact_id", "contact_created", "ticket_id",
                            "ticket_action", "thread_id", "integration_thread_id", "last_error",
                            "done_at", "mode"})


def update_handoff(conn: sqlite3.Connection, session_id: int, now: float, **fields: Any) -> None:
    bad = set(fields) - HANDOFF_FIELDS
    if bad:
        raise ValueError(f"unknown handoff fields: {sorted(bad)}")
    sets = ", ".join(f"{k}=?" for k in fields)
    conn.execute(f"UPDATE hubspot_handoffs SET {sets}, updated_at=? WHERE session_id=?",
                 (*fields.values(), now, session_id))


def handoff_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["status"]: r["n"] for r in conn.execute(
        "SELECT status, COUNT(*) n FROM hubspot_handoffs GROUP BY status")}


# -- step markers (non-idempotent creates) ----------------------------------------------------


def get_step(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    return _one(conn, "SELECT * FROM hubspot_steps WHERE key=?", (key,))


def begin_step(conn: sqlite3.Connection, key: str, *, session_id: int, kind: str, ref: str,
               now: float) -> None:
    """Mark a create as under way (before the call): `attempts` counts calls whose outcome
    is not known, `started_at` is when the latest one began."""
    conn.execute(
        "INSERT INTO hubspot_steps (key, session_id, kind, status, ref, started_at)"
        " VALUES (?, ?, ?, 'started', ?, ?) ON CONFLICT(key) DO UPDATE SET"
        " attempts=hubspot_steps.attempts+1, started_at=excluded.started_at"
        " WHERE hubspot_steps.status='started'",
        (key, session_id, kind, ref, now),
    )


def clear_attempts(conn: sqlite3.Connection, key: str) -> None:
    """The last call was answered with an error: nothing was created, no lookup needed."""
    conn.execute("UPDATE hubspot_steps SET attempts=0 WHERE key=? AND status='started'", (key,))


def finish_step(conn: sqlite3.Connection, key: str, hubspot_id: str | None, now: float,
                status: str = "done") -> None:
    conn.execute("UPDATE hubspot_steps SET status=?, hubspot_id=?, done_at=? WHERE key=?",
                 (status, hubspot_id, now, key))


def own_object(conn: sqlite3.Connection, hubspot_id: str) -> bool:
    """True if we created this HubSpot object (a note or comment) or published this message."""
    if conn.execute("SELECT 1 FROM hubspot_steps WHERE hubspot_id=? LIMIT 1",
                    (hubspot_id,)).fetchone():
        return True
    return conn.execute("SELECT 1 FROM hubspot_published WHERE hubspot_message_id=? LIMIT 1",
                        (hubspot_id,)).fetchone() is not None


# -- published messages -----------------------------------------------------------------------


def published_rows(conn: sqlite3.Connection, session_id: int) -> dict[int, str]:
    """message row -> HubSpot message id, for one session."""
    return {r["message_row"]: r["hubspot_message_id"] for r in conn.execute(
        "SELECT message_row, hubspot_message_id FROM hubspot_published WHERE session_id=?",
        (session_id,))}


def record_published(conn: sqlite3.Connection, *, message_row: int, session_id: int,
                     idempotency_id: str, hubspot_message_id: str, thread_id: str | None,
                     direction: str, now: float) -> None:
    conn.execute(
        "INSERT INTO hubspot_published (message_row, session_id, idempotency_id,"
        " hubspot_message_id, thread_id, direction, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(message_row) DO NOTHING",
        (message_row, session_id, idempotency_id, hubspot_message_id, thread_id, direction, now),
    )
    conn.execute("UPDATE messages SET hubspot_message_id=? WHERE id=?",
                 (hubspot_message_id, message_row))


def published_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM hubspot_published").fetchone()[0])


# -- contact -> ticket map --------------------------------------------------------------------


def ticket_for_contact(conn: sqlite3.Connection, contact_id: str) -> str | None:
    row = conn.execute("SELECT ticket_id FROM hubspot_contact_tickets WHERE contact_id=?",
                       (contact_id,)).fetchone()
    return str(row[0]) if row else None


def map_contact_ticket(conn: sqlite3.Connection, contact_id: str, ticket_id: str,
                       session_id: int | None, now: float) -> None:
    conn.execute(
        "INSERT INTO hubspot_contact_tickets (contact_id, ticket_id, session_id, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(contact_id) DO UPDATE SET ticket_id=excluded.ticket_id,"
        " session_id=excluded.session_id, updated_at=excluded.updated_at",
        (contact_id, ticket_id, session_id, now),
    )


def clear_contact_tickets(conn: sqlite3.Connection) -> int:
    """Forget every contact -> ticket pair (the HubSpot behind them was replaced)."""
    return conn.execute("DELETE FROM hubspot_contact_tickets").rowcount


def unmap_ticket(conn: sqlite3.Connection, ticket_id: str) -> None:
    conn.execute("DELETE FROM hubspot_contact_tickets WHERE ticket_id=?", (ticket_id,))


def ticket_known(conn: sqlite3.Connection, ticket_id: str) -> bool:
    return conn.execute("SELECT 1 FROM sessions WHERE hubspot_ticket_id=? LIMIT 1",
                        (ticket_id,)).fetchone() is not None


# -- sessions by HubSpot ids ------------------------------------------------------------------


def session_for_thread(conn: sqlite3.Connection, thread_id: str) -> dict[str, Any] | None:
    found = _one(conn, "SELECT * FROM sessions WHERE hubspot_thread_id=? ORDER BY id DESC LIMIT 1",
                 (thread_id,))
    if found is not None:
        return found
    return _one(conn, "SELECT s.* FROM sessions s JOIN hubspot_handoffs h ON h.session_id = s.id"
                      " WHERE h.thread_id=? LIMIT 1", (thread_id,))


def open_sessions_for_ticket(conn: sqlite3.Connection, ticket_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM sessions WHERE hubspot_ticket_id=? AND status='handed_off'", (ticket_id,))]


def move_message(conn: sqlite3.Connection, message_row: int, session_id: int) -> None:
    """Re-home a message (mail that arrived for a session closed meanwhile)."""
    conn.execute("UPDATE messages SET session_id=? WHERE id=?", (session_id, message_row))


def message_by_external_id(conn: sqlite3.Connection, external_id: str) -> dict[str, Any] | None:
    return _one(conn, "SELECT * FROM messages WHERE external_id=?", (external_id,))


# -- webhook events ---------------------------------------------------------------------------


def store_events(conn: sqlite3.Connection, kind: str, events: list[tuple[str, str, Any]], *,
                 now: float, max_attempts: int) -> tuple[int, int]:
    """Persist (dedupe_key, event_type, body) events and a `webhook` job for each new one.

    Returns (accepted, duplicates); a duplicate only bumps its row's counter.
    """
    accepted = duplicates = 0
    for key, event_type, body in events:
        cur = conn.execute(
            "INSERT INTO hubspot_webhook_events (dedupe_key, kind, event_type, body, received_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id",
            (key, kind, event_type, json.dumps(body), now),
        ).fetchall()
        if not cur:
            duplicates += 1
            conn.execute("UPDATE hubspot_webhook_events SET duplicates=duplicates+1"
                         " WHERE dedupe_key=?", (key,))
            continue
        accepted += 1
        queues.enqueue(conn, "webhook", {"event_id": cur[0][0]}, now=now,
                       max_attempts=max_attempts, dedupe_key=f"webhook:{key}")
    return accepted, duplicates


def get_event(conn: sqlite3.Connection, event_id: int) -> dict[str, Any] | None:
    found = _one(conn, "SELECT * FROM hubspot_webhook_events WHERE id=?", (event_id,))
    if found is not None:
        found["body"] = json.loads(found["body"])
    return found


def finish_event(conn: sqlite3.Connection, event_id: int, *, outcome: str, now: float,
                 status: str = "done") -> None:
    conn.execute("UPDATE hubspot_webhook_events SET status=?, outcome=?, processed_at=?"
                 " WHERE id=?", (status, outcome[:500], now, event_id))


def event_stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts by status and the newest event, for `status`."""
    counts = {r["status"]: r["n"] for r in conn.execute(
        "SELECT status, COUNT(*) n FROM hubspot_webhook_events GROUP BY status")}
    last = _one(conn, "SELECT id, kind, event_type, received_at, status, outcome, duplicates"
                      " FROM hubspot_webhook_events ORDER BY id DESC LIMIT 1", ())
    return {"counts": counts, "last": last}


def last_job_error(conn: sqlite3.Connection, queue_names: tuple[str, ...]) -> dict[str, Any] | None:
    marks = ",".join("?" * len(queue_names))
    return _one(conn, f"SELECT id, queue, status, last_error, updated_at FROM jobs WHERE queue IN"
                      f" ({marks}) AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
                queue_names)


def reset_handoff(conn: sqlite3.Connection, session_id: int, now: float) -> None:
    """Forget every HubSpot id of a session's handoff so that the saga starts afresh.

    Used when a stored id turns out to belong to another contact (e.g. an emulator that lost
    its state and handed the same ticket id to someone else).
    """
    conn.execute(
        "UPDATE hubspot_handoffs SET status='running', contact_id=NULL, contact_created=0,"
        " ticket_id=NULL, ticket_action=NULL, thread_id=NULL, integration_thread_id=NULL,"
        " last_error=NULL, done_at=NULL, updated_at=? WHERE session_id=?", (now, session_id))
    conn.execute("DELETE FROM hubspot_steps WHERE session_id=?", (session_id,))
    conn.execute("DELETE FROM hubspot_published WHERE session_id=?", (session_id,))
    conn.execute("UPDATE messages SET hubspot_message_id=NULL WHERE session_id=?", (session_id,))
    conn.execute("DELETE FROM hubspot_contact_tickets WHERE session_id=?", (session_id,))
    conn.execute(
        "UPDATE sessions SET hubspot_contact_id=NULL, hubspot_ticket_id=NULL,"
        " hubspot_thread_id=NULL WHERE id=?", (session_id,))
