"""SQL for the HubSpot app's OAuth tokens (one installation) and the install flow's states."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("hubspot_oauth")

TOKEN_FIELDS = ("access_token", "refresh_token", "expires_at", "status", "error",
                "installed_at", "refreshed_at")


@migrations()
def m001_hubspot_oauth(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE hubspot_oauth (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            access_token TEXT NOT NULL,
            refresh_token TEXT NOT NULL,
            expires_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok',
            error TEXT,
            installed_at REAL,
            refreshed_at REAL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE hubspot_oauth_states (
            state TEXT PRIMARY KEY,
            created_at REAL NOT NULL
        );
        """
    )


def get_tokens(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The stored installation (secrets included: never log the row)."""
    row = conn.execute(f"SELECT {', '.join(TOKEN_FIELDS)} FROM hubspot_oauth WHERE id = 1"
                       ).fetchone()
    return dict(row) if row else None


def save_tokens(conn: sqlite3.Connection, values: dict[str, Any], now: float) -> None:
    cols = [k for k in TOKEN_FIELDS if k in values]
    conn.execute(
        f"INSERT INTO hubspot_oauth (id, {', '.join(cols)}, updated_at) VALUES "
        f"(1, {', '.join('?' for _ in cols)}, ?) ON CONFLICT(id) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in cols) + ", updated_at=excluded.updated_at",
        (*[values[c] for c in cols], now))


def token_status(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """What status pages may show: no token values."""
    row = conn.execute("SELECT status, error, expires_at, installed_at, refreshed_at "
                       "FROM hubspot_oauth WHERE id = 1").fetchone()
    return dict(row) if row else None


def add_state(conn: sqlite3.Connection, state: str, now: float, max_age: float) -> None:
    """Remember an install's CSRF state; forget the ones older than `max_age`."""
    conn.execute("DELETE FROM hubspot_oauth_states WHERE created_at < ?", (now - max_age,))
    conn.execute("INSERT INTO hubspot_oauth_states (state, created_at) VALUES (?, ?)",
                 (state, now))


def take_state(conn: sqlite3.Connection, state: str, now: float, max_age: float) -> bool:
    """Consume a state once; True if it was issued and is younger than `max_age`."""
    row = conn.execute("DELETE FROM hubspot_oauth_states WHERE state = ? RETURNING created_at",
                       (state,)).fetchone()
    return row is not None and row[0] >= now - max_age
