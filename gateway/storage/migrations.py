"""Schema migrations (sqlite-utils Migrations); other storage modules register their own sets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

core = Migrations("gateway")

# Storage modules owned by other subsystems add their Migrations sets here, in order.
EXTRA_SETS: list[Migrations] = []


@core()
def m001_inbound_and_jobs(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE inbound (
            id TEXT PRIMARY KEY,
            received_at REAL NOT NULL,
            peer TEXT, helo TEXT,
            mail_from TEXT NOT NULL,
            rcpt_tos TEXT NOT NULL,
            size INTEGER NOT NULL,
            raw BLOB NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            kind TEXT, reasons TEXT,
            message_id TEXT,
            session_id INTEGER,
            error TEXT
        );
        CREATE INDEX inbound_state ON inbound(state, received_at);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'ready',
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            not_before REAL NOT NULL,
            deadline REAL,
            lease_until REAL,
            last_error TEXT,
            dedupe_key TEXT UNIQUE,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            finished_at REAL
        );
        CREATE INDEX jobs_ready ON jobs(queue, status, not_before);
        """
    )


@core()
def m002_sessions_and_messages(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            token TEXT NOT NULL UNIQUE,
            support_address TEXT NOT NULL,
            contact_email TEXT NOT NULL,
            contact_name TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'ai',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            last_activity_at REAL NOT NULL,
            handoff_reason TEXT, handoff_detail TEXT, handoff_at REAL,
            sentiment_label TEXT, sentiment_score REAL, language TEXT, summary TEXT,
            hubspot_contact_id TEXT, hubspot_ticket_id TEXT, hubspot_thread_id TEXT,
            closed_at REAL
        );
        INSERT INTO sqlite_sequence(name, seq) VALUES ('sessions', 10000);
        CREATE INDEX sessions_contact ON sessions(contact_email, status);
        CREATE INDEX sessions_activity ON sessions(last_activity_at);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            inbound_id TEXT,
            role TEXT NOT NULL,
            message_id TEXT,
            in_reply_to TEXT,
            refs TEXT NOT NULL DEFAULT '[]',
            subject TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            full_text TEXT NOT NULL DEFAULT '',
            html TEXT,
            kind TEXT NOT NULL DEFAULT 'normal',
            reasons TEXT NOT NULL DEFAULT '[]',
            attachments TEXT NOT NULL DEFAULT '[]',
            external_id TEXT UNIQUE,
            hubspot_message_id TEXT,
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX messages_message_id ON messages(message_id)
            WHERE message_id IS NOT NULL;
        CREATE INDEX messages_session ON messages(session_id, created_at);
        CREATE TABLE outgoing (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER REFERENCES sessions(id),
            message_row INTEGER REFERENCES messages(id),
            message_id TEXT NOT NULL UNIQUE,
            mail_from TEXT NOT NULL,
            rcpt_to TEXT NOT NULL,
            raw BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            relay_response TEXT,
            created_at REAL NOT NULL,
            sent_at REAL
        );
        CREATE INDEX outgoing_session ON outgoing(session_id);
        CREATE TABLE addresses (
            address TEXT PRIMARY KEY,
            forward_to TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            verified_at REAL,
            verified_by TEXT,
            last_mail_at REAL,
            last_inbound_id TEXT,
            gmail_code TEXT,
            gmail_link TEXT,
            challenge_sent_at REAL,
            failure TEXT,
            updated_at REAL NOT NULL
        );
        """
    )


@core()
def m003_indexed_hot_paths(db: sqlite_utils.Database) -> None:
    """Issue 11: every per-mail and per-page query walks an index, none scans a table.

    - sessions_contact_latest: a contact's latest session per status, read inside the
      writer's commit for every mail (replaces sessions_contact, its prefix).
    - sessions_status_activity: an Inbox page filtered by status, newest first.
    - sessions_contact_activity: a contact's sessions active in the reply-cap window.
    - outgoing_message_row: a transcript joins each message to its outgoing mail.
    - session_counts: Inbox status counts kept by triggers instead of COUNT(*) GROUP BY.
    - sessions_fts: FTS5 over contact e-mail, name and subject for Inbox search, kept in
      sync by triggers (external content: the text is stored once, in sessions).
    """
    db.executescript(
        """
        CREATE INDEX sessions_contact_latest
            ON sessions(contact_email, status, last_activity_at);
        DROP INDEX sessions_contact;
        CREATE INDEX sessions_status_activity ON sessions(status, last_activity_at);
        CREATE INDEX sessions_contact_activity ON sessions(contact_email, last_activity_at);
        CREATE INDEX outgoing_message_row ON outgoing(message_row);

        CREATE TABLE session_counts (
            status TEXT PRIMARY KEY,
            n INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO session_counts (status, n)
            SELECT status, COUNT(*) FROM sessions GROUP BY status;
        CREATE TRIGGER session_counts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO session_counts (status, n) VALUES (NEW.status, 1)
                ON CONFLICT(status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER session_counts_update AFTER UPDATE OF status ON sessions
            WHEN OLD.status IS NOT NEW.status BEGIN
            UPDATE session_counts SET n = n - 1 WHERE status = OLD.status;
            INSERT INTO session_counts (status, n) VALUES (NEW.status, 1)
                ON CONFLICT(status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER session_counts_delete AFTER DELETE ON sessions BEGIN
            UPDATE session_counts SET n = n - 1 WHERE status = OLD.status;
        END;

        CREATE VIRTUAL TABLE sessions_fts USING fts5(
            contact_email, contact_name, subject,
            content='sessions', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        );
        INSERT INTO sessions_fts (sessions_fts) VALUES ('rebuild');
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO sessions_fts (rowid, contact_email, contact_name, subject)
                VALUES (NEW.id, NEW.contact_email, NEW.contact_name, NEW.subject);
        END;
        CREATE TRIGGER sessions_fts_update
            AFTER UPDATE OF contact_email, contact_name, subject ON sessions BEGIN
            INSERT INTO sessions_fts (sessions_fts, rowid, contact_email, contact_name, subject)
                VALUES ('delete', OLD.id, OLD.contact_email, OLD.contact_name, OLD.subject);
            INSERT INTO sessions_fts (rowid, contact_email, contact_name, subject)
                VALUES (NEW.id, NEW.contact_email, NEW.contact_name, NEW.subject);
        END;
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
            INSERT INTO sessions_fts (sessions_fts, rowid, contact_email, contact_name, subject)
                VALUES ('delete', OLD.id, OLD.contact_email, OLD.contact_name, OLD.subject);
        END;
        """
    )


@core()
def m004_instances_and_locks(db: sqlite_utils.Database) -> None:
    """Several instances on one database: who claimed a job, heartbeats, lease locks."""
    db.executescript(
        """
        ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
        CREATE TABLE instances (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            smtp TEXT, http TEXT,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            stopped_at REAL,
            stats TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE locks (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            until REAL NOT NULL
        );
        """
    )


@core()
def m005_send_marks(db: sqlite_utils.Database) -> None:
    """Send marks shared by instances (PostgreSQL; one SQLite instance keeps them as files)."""
    db.executescript(
        """
        CREATE TABLE send_marks (
            message_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            instance TEXT NOT NULL,
            at REAL NOT NULL
        );
        """
    )


def migrate(path: Path) -> None:
    """Apply every pending migration set to the database file (own connection, then closed)."""
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        db = sqlite_utils.Database(conn)
        for migrations in (core, *EXTRA_SETS):
            migrations.apply(db)
    finally:
        conn.close()


def pending(path: Path) -> list[str]:
    """Names of migrations not yet applied (for doctor)."""
    conn = sqlite3.connect(str(path))
    try:
        db = sqlite_utils.Database(conn)
        return [f"{m.name}" for s in (core, *EXTRA_SETS) for m in s.pending(db)]
    finally:
        conn.close()

from gateway.storage.hubspot import migrations as _hubspot_migrations  # noqa: E402

EXTRA_SETS.append(_hubspot_migrations)
from gateway.storage.hubspot_oauth import migrations as _hubspot_oauth_migrations  # noqa: E402

EXTRA_SETS.append(_hubspot_oauth_migrations)
