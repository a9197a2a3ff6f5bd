"""SQL for inbound mail, sessions, their messages, outgoing mail and support-address state."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from gateway.storage.pg import is_pg

# -- inbound ---------------------------------------------------------------------------


BLOB_CHUNK = 1 << 20  # mail above this size is written and read in chunks of it


def insert_inbound(
    conn: sqlite3.Connection, *, id: str, now: float, peer: str, helo: str,
    mail_from: str, rcpt_tos: Sequence[str], raw: bytes,
) -> None:
    """Store a received mail. Big mail goes in through incremental blob I/O: binding it
    whole would make SQLite copy it twice (the bound value, then the record). PostgreSQL
    has no blob I/O for bytea: the bytes go in as one parameter."""
    big = len(raw) > BLOB_CHUNK and not is_pg(conn)
    cur = conn.execute(
        "INSERT INTO inbound (id, received_at, peer, helo, mail_from, rcpt_tos, size, raw)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, {'zeroblob(?)' if big else '?'})",
        (id, now, peer, helo, mail_from, json.dumps(list(rcpt_tos)), len(raw),
         len(raw) if big else raw),
    )
    if big:
        view = memoryview(raw)
        with conn.blobopen("inbound", "raw", int(cur.lastrowid or 0)) as blob:
            for start in range(0, len(raw), BLOB_CHUNK):
                blob.write(view[start : start + BLOB_CHUNK])


def get_inbound(
    conn: sqlite3.Connection, inbound_id: str, *, raw: bool = True
) -> dict[str, Any] | None:
    """The inbound row; raw=False leaves out the mail bytes (the row's bulk)."""
    cols = "*" if raw else (
        "id, received_at, peer, helo, mail_from, rcpt_tos, size, state, kind, reasons,"
        " message_id, session_id, error"
    )
    row = conn.execute(f"SELECT {cols} FROM inbound WHERE id=?", (inbound_id,)).fetchone()
    if row is None:
        return None
    d = dict(row)
    d["rcpt_tos"] = json.loads(d["rcpt_tos"])
    d["reasons"] = json.loads(d["reasons"]) if d["reasons"] else []
    return d


def inbound_raw(conn: sqlite3.Connection, inbound_id: str) -> bytes | None:
    """Only the stored bytes of an inbound mail, read straight into one bytes object."""
    if is_pg(conn):
        found = conn.execute("SELECT raw FROM inbound WHERE id=?", (inbound_id,)).fetchone()
        return bytes(found[0]) if found else None
    row = conn.execute(
        "SELECT rowid, size, CASE WHEN size > ? THEN NULL ELSE raw END FROM inbound WHERE id=?",
        (BLOB_CHUNK, inbound_id),
    ).fetchone()
    if row is None:
        return None
    if row[2] is not None:
        return bytes(row[2])
    with conn.blobopen("inbound", "raw", row[0], readonly=True) as blob:
        return blob.read()


def mark_inbound(
    conn: sqlite3.Connection, inbound_id: str, *, state: str, kind: str | None = None,
    reasons: Iterable[str] = (), message_id: str | None = None,
    session_id: int | None = None, error: str | None = None,
) -> None:
    conn.execute(
        "UPDATE inbound SET state=?, kind=?, reasons=?, message_id=?, session_id=?, error=?"
        " WHERE id=?",
        (state, kind, json.dumps(list(reasons)), message_id, session_id, error, inbound_id),
    )


def list_ignored(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Inbound mail that was recorded but never answered and not part of a session."""
    return [
        dict(r) for r in conn.execute(
            "SELECT id, received_at, mail_from, kind, reasons, message_id, state, error"
            " FROM inbound WHERE session_id IS NULL AND state != 'queued'"
            " ORDER BY received_at DESC LIMIT ?", (limit,),
        )
    ]


# -- sessions --------------------------------------------------------------------------


def create_session(
    conn: sqlite3.Connection, *, token: str, support_address: str, contact_email: str,
    contact_name: str, subject: str, now: float,
) -> int:
    cur = conn.execute(
        "INSERT INTO sessions (token, support_address, contact_email, contact_name, subject,"
        " status, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, ?, ?, 'ai', ?, ?, ?)"
        " RETURNING id",
        (token, support_address, contact_email, contact_name, subject, now, now, now),
    ).fetchall()
    return int(cur[0][0])


def get_session(conn: sqlite3.Connection, session_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sessions WHERE id=?", (session_id,)).fetchone()
    return dict(row) if row else None


def session_by_token(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sessions WHERE token=?", (token,)).fetchone()
    return dict(row) if row else None


def session_by_message_ids(
    conn: sqlite3.Connection, ids: Sequence[str]
) -> dict[str, Any] | None:
    """The session holding any of these Message-IDs (received or sent), newest reference first."""
    for mid in reversed(list(ids)):
        row = conn.execute(
            "SELECT s.* FROM sessions s JOIN messages m ON m.session_id = s.id"
            " WHERE m.message_id = ? UNION SELECT s.* FROM sessions s JOIN outgoing o"
            " ON o.session_id = s.id WHERE o.message_id = ? LIMIT 1",
            (mid, mid),
        ).fetchone()
        if row:
            return dict(row)
    return None


def latest_session_for_contact(
    conn: sqlite3.Connection, email: str, statuses: Sequence[str]
) -> dict[str, Any] | None:
    """The contact's most recently active session in one of these statuses.

    One indexed probe per status (sessions_contact_latest), so the cost stays flat however
    many sessions the contact has; an IN list would sort all of them.
    """
    best: dict[str, Any] | None = None
    for status in statuses:
        row = conn.execute(
            "SELECT * FROM sessions WHERE contact_email=? AND status=?"
            " ORDER BY last_activity_at DESC LIMIT 1",
            (email, status),
        ).fetchone()
        if row and (best is None or row["last_activity_at"] > best["last_activity_at"]):
            best = dict(row)
    return best


def touch_session(conn: sqlite3.Connection, session_id: int, now: float) -> None:
    conn.execute(
        "UPDATE sessions SET last_activity_at=?, updated_at=? WHERE id=?", (now, now, session_id)
    )


def update_session(conn: sqlite3.Connection, session_id: int, now: float, **fields: Any) -> None:
    allowed = {
        "status", "handoff_reason", "handoff_detail", "handoff_at", "sentiment_label",
        "sentiment_score", "language", "summary", "hubspot_contact_id", "hubspot_ticket_id",
        "hubspot_thread_id", "closed_at", "contact_name", "subject",
    }
    bad = set(fields) - allowed
    if bad:
        raise ValueError(f"unknown session fields: {sorted(bad)}")
    sets = ", ".join(f"{k}=?" for k in fields)
    conn.execute(
        f"UPDATE sessions SET {sets}, updated_at=? WHERE id=?",
        (*fields.values(), now, session_id),
    )


_WORD = re.compile(r"\w+")
SEARCH_COUNT_CAP = 1000  # a search counts its matches up to this many, then says "more"


def fts_query(text: str) -> str | None:
    """Free text to an FTS5 query: every word must match, the last one as a prefix.

    Only the last word is a prefix (the one being typed): a prefix term makes FTS5 merge
    the postings of every word it starts, which grows with the table for short prefixes.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*'])


def session_filter(status: str | None, query: str | None,
                   pg: bool = False) -> tuple[str, str, list[Any], str]:
    """FROM, WHERE, arguments and ORDER BY (sessions as s) for the Inbox filters.

    Without a query: newest activity first, walking sessions_activity or
    sessions_status_activity. A query that is one word with an '@' is a contact address
    (prefix, lower case) looked up in the contact index; any other query goes through the
    FTS5 index sessions_fts (contact e-mail, name, subject; case and accents ignored).
    Search results come newest session first, in the index's own order, so a page costs
    the same however many sessions match. CROSS JOIN keeps the matches as the outer loop.
    """
    if query is None:
        where, args = (" WHERE s.status=?", [status]) if status else ("", [])
        return "sessions s", where, args, "s.last_activity_at DESC, s.id DESC"
    words = query.split()
    if len(words) == 1 and "@" in words[0]:
        prefix = words[0].lower()
        where, args = " WHERE s.contact_email >= ? AND s.contact_email < ?", [
            prefix, prefix + "\U0010ffff"]
        source, order = "sessions s", "s.id DESC"
    elif pg:  # no FTS5: every word in e-mail, name or subject (ILIKE, pg_trgm-indexed)
        words = _WORD.findall(query)
        if not words:
            return "sessions s", " WHERE false", [], "s.id DESC"
        one = ("(lower(s.contact_email) LIKE ? OR lower(s.contact_name) LIKE ?"
               " OR lower(s.subject) LIKE ?)")
        where = " WHERE " + " AND ".join([one] * len(words))
        args = [f"%{w.lower()}%" for w in words for _ in range(3)]
        source, order = "sessions s", "s.id DESC"
    else:
        match = fts_query(query)
        if match is None:
            return "sessions s", " WHERE 0", [], "s.id DESC"
        source = "sessions_fts CROSS JOIN sessions s ON s.id = sessions_fts.rowid"
        where, args, order = " WHERE sessions_fts MATCH ?", [match], "sessions_fts.rowid DESC"
    if status:  # unary + : never drive the search from the (huge) status index
        where += " AND s.status=?" if pg else " AND +s.status=?"
        args.append(status)
    return source, where, args, order


def list_sessions(
    conn: sqlite3.Connection, *, status: str | None = None, query: str | None = None,
    limit: int = 100, offset: int = 0,
) -> list[dict[str, Any]]:
    source, where, args, order = session_filter(status, query, pg=is_pg(conn))
    sql = (
        "SELECT s.*, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS message_count"
        f" FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?"
    )
    args += [limit, offset]
    return [dict(r) for r in conn.execute(sql, args)]


def count_sessions(conn: sqlite3.Connection) -> dict[str, int]:
    """Sessions per status, from the session_counts table its triggers keep current."""
    out = {"ai": 0, "handed_off": 0, "closed": 0}
    for r in conn.execute("SELECT status, n FROM session_counts"):
        out[r["status"]] = r["n"]
    return out


# -- messages --------------------------------------------------------------------------


def add_message(conn: sqlite3.Connection, *, session_id: int, role: str, now: float,
                **fields: Any) -> int | None:
    """Record a message; a duplicate Message-ID or external id records nothing (None)."""
    cols = ["session_id", "role", "created_at"]
    vals: list[Any] = [session_id, role, fields.pop("created_at", now)]
    for key in ("refs", "reasons", "attachments"):
        if key in fields and not isinstance(fields[key], str):
            fields[key] = json.dumps(list(fields[key]))
    cols += list(fields)
    vals += list(fields.values())
    cur = conn.execute(
        f"INSERT INTO messages ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        " ON CONFLICT DO NOTHING RETURNING id",
        vals,
    ).fetchall()
    return int(cur[0][0]) if cur else None


def message_by_message_id(conn: sqlite3.Connection, message_id: str) -> dict[str, Any] | None:
    """The recorded message with this Message-ID, with its session's contact address."""
    row = conn.execute(
        "SELECT m.id, m.session_id, m.role, m.author, m.full_text, m.subject,"
        " s.contact_email FROM messages m JOIN sessions s ON s.id = m.session_id"
        " WHERE m.message_id=? LIMIT 1", (message_id,)
    ).fetchone()
    return dict(row) if row else None


def message_id_known(conn: sqlite3.Connection, message_id: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM messages WHERE message_id=? LIMIT 1", (message_id,)
    ).fetchone() is not None


def session_messages(conn: sqlite3.Connection, session_id: int) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(
        "SELECT m.*, o.status AS outbox_status, o.last_error AS outbox_error,"
        " o.sent_at AS outbox_sent_at, o.id AS outgoing_id"
        " FROM messages m LEFT JOIN outgoing o ON o.message_row = m.id"
        " WHERE m.session_id=? ORDER BY m.created_at, m.id",
        (session_id,),
    ):
        d = dict(r)
        for key in ("refs", "reasons", "attachments"):
            d[key] = json.loads(d[key] or "[]")
        out.append(d)
    return out


def get_message(conn: sqlite3.Connection, message_row: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM messages WHERE id=?", (message_row,)).fetchone()
    return dict(row) if row else None


def set_message_hubspot_id(conn: sqlite3.Connection, message_row: int, hubspot_id: str) -> None:
    conn.execute(
        "UPDATE messages SET hubspot_message_id=? WHERE id=?", (hubspot_id, message_row)
    )


def ai_replies_since(conn: sqlite3.Connection, contact_email: str, since: float) -> int:
    """AI replies to this contact created at or after `since` (the reply cap).

    Only sessions active since then are probed (sessions_contact_activity): an AI reply
    touches its session, so a session with one since `since` was active since then.
    """
    row = conn.execute(
        "SELECT COUNT(*) FROM sessions s JOIN messages m ON m.session_id = s.id"
        " WHERE s.contact_email=? AND s.last_activity_at >= ?"
        " AND m.role='ai' AND m.created_at >= ?",
        (contact_email, since, since),
    ).fetchone()
    return int(row[0])


# -- outgoing mail -----------------------------------------------------------------------


def insert_outgoing(
    conn: sqlite3.Connection, *, session_id: int | None, message_row: int | None,
    message_id: str, mail_from: str, rcpt_to: str, raw: bytes, now: float,
) -> int | None:
    cur = conn.execute(
        "INSERT INTO outgoing (session_id, message_row, message_id, mail_from, rcpt_to, raw,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING"
        " RETURNING id",
        (session_id, message_row, message_id, mail_from, rcpt_to, raw, now),
    ).fetchall()
    return int(cur[0][0]) if cur else None


def get_outgoing(conn: sqlite3.Connection, outgoing_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM outgoing WHERE id=?", (outgoing_id,)).fetchone()
    return dict(row) if row else None


def mark_outgoing(conn: sqlite3.Connection, outgoing_id: int, *, status: str, now: float,
                  error: str | None = None, response: str | None = None) -> None:
    conn.execute(
        "UPDATE outgoing SET status=?, attempts=attempts+1, last_error=?,"
        " relay_response=COALESCE(?, relay_response),"
        " sent_at=CASE WHEN ?='sent' THEN ? ELSE sent_at END WHERE id=?",
        (status, error, response, status, now, outgoing_id),
    )


def prune_send_marks(conn: sqlite3.Connection, before: float) -> int:
    """Drop send marks older than ``before`` whose mail has an outcome (a crash left them)."""
    return conn.execute(
        "DELETE FROM send_marks WHERE at < ? AND message_id IN (SELECT message_id FROM outgoing"
        " WHERE status IN ('sent', 'uncertain', 'dead'))", (before,)).rowcount


# -- support addresses -------------------------------------------------------------------


def sync_addresses(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]], now: float) -> None:
    """Make sure every configured (address, forward_to) has a row; new ones start pending."""
    for address, forward_to in pairs:
        conn.execute(
            "INSERT INTO addresses (address, forward_to, status, updated_at)"
            " VALUES (?, ?, 'pending', ?)"
            " ON CONFLICT(address) DO UPDATE SET forward_to=excluded.forward_to",
            (address, forward_to, now),
        )


def list_addresses(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM addresses ORDER BY address")]


def address_saw_mail(conn: sqlite3.Connection, address: str, inbound_id: str, now: float) -> None:
    conn.execute(
        "UPDATE addresses SET last_mail_at=?, last_inbound_id=?, updated_at=? WHERE address=?",
        (now, inbound_id, now, address),
    )


def verify_address(conn: sqlite3.Connection, address: str, by: str, now: float) -> None:
    conn.execute(
        "UPDATE addresses SET status='verified', verified_at=COALESCE(verified_at, ?),"
        " verified_by=COALESCE(verified_by, ?), failure=NULL, updated_at=? WHERE address=?",
        (now, by, now, address),
    )


def address_gmail_confirmation(
    conn: sqlite3.Connection, address: str, code: str | None, link: str | None, now: float
) -> None:
    conn.execute(
        "UPDATE addresses SET gmail_code=?, gmail_link=?, updated_at=?,"
        " status=CASE WHEN status='verified' THEN status ELSE 'confirm_gmail' END"
        " WHERE address=?",
        (code, link, now, address),
    )


def address_challenge_sent(conn: sqlite3.Connection, address: str, now: float) -> None:
    conn.execute(
        "UPDATE addresses SET challenge_sent_at=?, updated_at=? WHERE address=?",
        (now, now, address),
    )


def fail_overdue_challenges(conn: sqlite3.Connection, now: float, max_age: float) -> int:
    cur = conn.execute(
        "UPDATE addresses SET status='failed', failure='test mail did not come back through"
        " the forward', updated_at=? WHERE status='pending' AND challenge_sent_at IS NOT NULL"
        " AND challenge_sent_at < ?",
        (now, now - max_age),
    )
    return cur.rowcount
