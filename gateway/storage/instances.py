"""SQL for several instances on one database: heartbeats, queue shares, lease locks, singletons."""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

from gateway.storage.pg import is_pg


def heartbeat(conn: sqlite3.Connection, instance: str, *, host: str, pid: int, smtp: str | None,
              http: str | None, started_at: float, now: float, stats: dict[str, Any]) -> None:
    """Record that ``instance`` is alive (and what it has done so far)."""
    conn.execute(
        "INSERT INTO instances (id, host, pid, smtp, http, started_at, heartbeat_at, stats)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
        " heartbeat_at=excluded.heartbeat_at, stats=excluded.stats, smtp=excluded.smtp,"
        " http=excluded.http, stopped_at=NULL",
        (instance, host, pid, smtp, http, started_at, now, json.dumps(stats)),
    )


def stopped(conn: sqlite3.Connection, instance: str, now: float) -> None:
    """A clean stop: the others need not wait for the heartbeat to age to take its jobs."""
    conn.execute("UPDATE instances SET stopped_at=? WHERE id=?", (now, instance))


def forget_old(conn: sqlite3.Connection, before: float) -> int:
    """Drop instances not heard of since ``before`` that hold no job."""
    return conn.execute(
        "DELETE FROM instances WHERE heartbeat_at < ? AND id NOT IN"
        " (SELECT claimed_by FROM jobs WHERE status='claimed' AND claimed_by IS NOT NULL)",
        (before,),
    ).rowcount


def list_instances(conn: sqlite3.Connection, *, now: float, since: float) -> list[dict[str, Any]]:
    """Every known instance with its heartbeat age, jobs held now and jobs done since ``since``."""
    held = dict(conn.execute(
        "SELECT claimed_by, COUNT(*) FROM jobs WHERE status='claimed' GROUP BY claimed_by"
    ).fetchall())
    done = dict(conn.execute(
        "SELECT claimed_by, COUNT(*) FROM jobs WHERE status='done' AND finished_at >= ?"
        " GROUP BY claimed_by", (since,)
    ).fetchall())
    total = sum(v for k, v in done.items() if k is not None) or 0
    out = []
    for r in conn.execute("SELECT * FROM instances ORDER BY started_at, id"):
        d = dict(r)
        d["stats"] = json.loads(d["stats"] or "{}")
        d["heartbeat_age"] = max(0.0, now - d["heartbeat_at"])
        d["jobs_held"] = int(held.get(d["id"], 0))
        d["jobs_done"] = int(done.get(d["id"], 0))
        d["queue_share"] = d["jobs_done"] / total if total else 0.0
        out.append(d)
    return out


# -- lease locks: held across awaits (HubSpot calls), expire when the holder dies -------------


def try_lock(conn: sqlite3.Connection, name: str, owner: str, *, now: float,
             ttl: float, dead_before: float | None = None) -> bool:
    """Take (or renew) the lock ``name`` for ``ttl`` seconds unless another owner holds it;
    with ``dead_before``, a lock of an instance silent since then (or stopped) is free."""
    got = conn.execute(
        "INSERT INTO locks (name, owner, until) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE"
        " SET owner=excluded.owner, until=excluded.until"
        " WHERE locks.until < ? OR locks.owner = excluded.owner OR locks.owner IN"
        " (SELECT id FROM instances WHERE heartbeat_at < ? OR stopped_at IS NOT NULL)"
        " RETURNING owner",
        (name, owner, now + ttl, now, now if dead_before is None else dead_before),
    ).fetchall()
    return bool(got)


def unlock(conn: sqlite3.Connection, name: str, owner: str) -> None:
    conn.execute("DELETE FROM locks WHERE name=? AND owner=?", (name, owner))


# -- transaction-scoped locks -----------------------------------------------------------------


def _key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


def singleton(conn: sqlite3.Connection, name: str) -> bool:
    """True if this transaction may do the once-for-all work ``name`` (PostgreSQL: an advisory
    lock until commit, others get False; SQLite: one writer, always True)."""
    if not is_pg(conn):
        return True
    return bool(conn.execute("SELECT pg_try_advisory_xact_lock(?)", (_key(name),)).fetchone()[0])


def serialize(conn: sqlite3.Connection, name: str) -> None:
    """Wait until no other transaction holds ``name`` (PostgreSQL advisory lock until commit);
    with SQLite's single writer transactions are serial already."""
    if is_pg(conn):
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_key(name),))
