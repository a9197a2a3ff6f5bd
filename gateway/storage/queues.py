"""Durable job queues: enqueue, claim with a lease, finish, retry, bury, recover, requeue."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from gateway.storage.db import WriteConnection

STATUSES = ("ready", "claimed", "done", "dead")


@dataclass(frozen=True)
class Job:
    id: int
    queue: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    not_before: float
    deadline: float | None
    lease_until: float | None
    last_error: str | None
    dedupe_key: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> Job:
        d = dict(row)
        d.pop("finished_at", None)
        d["payload"] = json.loads(d["payload"])
        return cls(**d)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def enqueue(
    conn: sqlite3.Connection,
    queue: str,
    payload: dict[str, Any],
    *,
    now: float,
    max_attempts: int,
    delay: float = 0.0,
    dedupe_key: str | None = None,
    deadline: float | None = None,
) -> int | None:
    """Add a job; with a dedupe_key already present, add nothing and return None."""
    cur = conn.execute(
        "INSERT INTO jobs (queue, payload, status, attempts, max_attempts, not_before, deadline,"
        " dedupe_key, created_at, updated_at) VALUES (?, ?, 'ready', 0, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(dedupe_key) DO NOTHING",
        (queue, json.dumps(payload), max_attempts, now + delay, deadline, dedupe_key, now, now),
    )
    if cur.rowcount == 0:
        return None
    if isinstance(conn, WriteConnection):
        conn.touched_queues.add(queue)
    return int(cur.lastrowid or 0)


def claim(
    conn: sqlite3.Connection, queue: str, *, now: float, lease: float, limit: int = 1
) -> list[Job]:
    """Lease up to ``limit`` due jobs of ``queue``; each claim counts as an attempt."""
    cur = conn.execute(
        "UPDATE jobs SET status='claimed', lease_until=?, attempts=attempts+1, updated_at=?"
        " WHERE id IN (SELECT id FROM jobs WHERE queue=? AND status='ready' AND not_before<=?"
        " ORDER BY not_before, id LIMIT ?) RETURNING *",
        (now + lease, now, queue, now, limit),
    )
    return sorted((Job.from_row(r) for r in cur.fetchall()), key=lambda j: j.id)


def finish(conn: sqlite3.Connection, job_id: int, *, now: float) -> None:
    conn.execute(
        "UPDATE jobs SET status='done', finished_at=?, updated_at=?, lease_until=NULL"
        " WHERE id=?",
        (now, now, job_id),
    )


def retry(
    conn: sqlite3.Connection, job_id: int, *, now: float, delay: float, error: str
) -> str:
    """Schedule another attempt, or bury when attempts or the deadline are used up."""
    row = conn.execute(
        "SELECT attempts, max_attempts, deadline FROM jobs WHERE id=?", (job_id,)
    ).fetchone()
    if row is None:
        return "missing"
    out_of_time = row["deadline"] is not None and now + delay > row["deadline"]
    if row["attempts"] >= row["max_attempts"] or out_of_time:
        why = "deadline passed" if out_of_time else f"{row['attempts']} attempts"
        bury(conn, job_id, now=now, error=f"{error} (gave up: {why})")
        return "dead"
    conn.execute(
        "UPDATE jobs SET status='ready', not_before=?, last_error=?, lease_until=NULL,"
        " updated_at=? WHERE id=?",
        (now + delay, error[:2000], now, job_id),
    )
    return "ready"


def bury(conn: sqlite3.Connection, job_id: int, *, now: float, error: str) -> None:
    conn.execute(
        "UPDATE jobs SET status='dead', last_error=?, lease_until=NULL, updated_at=?,"
        " finished_at=? WHERE id=?",
        (error[:2000], now, now, job_id),
    )


def recover(conn: sqlite3.Connection, *, now: float, all_claimed: bool = False) -> int:
    """Return expired (or, at start-up, all) claimed jobs to ready; bury the exhausted."""
    cond = "status='claimed'" + ("" if all_claimed else " AND lease_until < ?")
    args: tuple[Any, ...] = () if all_claimed else (now,)
    conn.execute(
        f"UPDATE jobs SET status='dead', last_error=COALESCE(last_error, '') ||"
        f" ' (gave up: interrupted after last attempt)', updated_at=?, finished_at=?"
        f" WHERE {cond} AND attempts >= max_attempts",
        (now, now, *args),
    )
    cur = conn.execute(
        f"UPDATE jobs SET status='ready', lease_until=NULL, updated_at=? WHERE {cond}",
        (now, *args),
    )
    if isinstance(conn, WriteConnection) and cur.rowcount:
        conn.touched_queues.update(
            r[0] for r in conn.execute("SELECT DISTINCT queue FROM jobs WHERE status='ready'")
        )
    return cur.rowcount


def requeue(conn: sqlite3.Connection, job_id: int, *, now: float) -> Job | None:
    """Give a dead (or waiting) job a fresh set of attempts, due now."""
    cur = conn.execute(
        "UPDATE jobs SET status='ready', attempts=0, not_before=?, lease_until=NULL,"
        " deadline=NULL, updated_at=?, finished_at=NULL WHERE id=? AND status IN ('dead','ready')"
        " RETURNING *",
        (now, now, job_id),
    )
    row = cur.fetchone()
    if row is None:
        return None
    job = Job.from_row(row)
    if isinstance(conn, WriteConnection):
        conn.touched_queues.add(job.queue)
    return job


def get(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
    return Job.from_row(row) if row else None


def list_jobs(
    conn: sqlite3.Connection,
    *,
    statuses: tuple[str, ...] = ("ready", "claimed", "dead"),
    queue: str | None = None,
    limit: int = 200,
) -> list[Job]:
    marks = ",".join("?" * len(statuses))
    sql = f"SELECT * FROM jobs WHERE status IN ({marks})"
    args: list[Any] = list(statuses)
    if queue:
        sql += " AND queue=?"
        args.append(queue)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    return [Job.from_row(r) for r in conn.execute(sql, args)]


def depths(conn: sqlite3.Connection, *, now: float) -> dict[str, dict[str, Any]]:
    """Per queue: counts by status, retrying count and age of the oldest waiting job."""
    out: dict[str, dict[str, Any]] = {}
    for r in conn.execute(
        "SELECT queue, status, COUNT(*) n, MIN(created_at) oldest,"
        " SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) retrying"
        " FROM jobs WHERE status != 'done' GROUP BY queue, status"
    ):
        q = out.setdefault(r["queue"], {s: 0 for s in STATUSES if s != "done"})
        q[r["status"]] = r["n"]
        if r["status"] == "ready":
            q["retrying"] = r["retrying"]
            q["oldest_age"] = max(0.0, now - r["oldest"])
    return out


def prune_done(conn: sqlite3.Connection, *, before: float) -> int:
    """Forget finished jobs older than ``before`` (dead jobs stay until requeued or fixed)."""
    return conn.execute(
        "DELETE FROM jobs WHERE status='done' AND finished_at < ?", (before,)
    ).rowcount


def oldest_ready_age(conn: sqlite3.Connection, queue: str, now: float) -> float:
    """Seconds the oldest due job of ``queue`` has been waiting (0 if none)."""
    row = conn.execute(
        "SELECT MIN(created_at) FROM jobs WHERE queue=? AND status='ready' AND not_before<=?",
        (queue, now),
    ).fetchone()
    return max(0.0, now - row[0]) if row and row[0] is not None else 0.0


def has_pending(conn: sqlite3.Connection, queues: tuple[str, ...]) -> bool:
    marks = ",".join("?" * len(queues))
    row = conn.execute(
        f"SELECT 1 FROM jobs WHERE queue IN ({marks}) AND status IN ('ready','claimed') LIMIT 1",
        queues,
    ).fetchone()
    return row is not None


def wake(conn: sqlite3.Connection, queues: tuple[str, ...], *, now: float) -> int:
    """Make waiting ready jobs of `queues` due now (e.g. after credentials were fixed)."""
    marks = ", ".join("?" for _ in queues)
    cur = conn.execute(
        f"UPDATE jobs SET not_before=?, updated_at=? WHERE status='ready' AND not_before>?"
        f" AND queue IN ({marks})", (now, now, now, *queues))
    return cur.rowcount
