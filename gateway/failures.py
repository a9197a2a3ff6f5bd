"""Failed work of a session, named for the operator: what broke, why, and the command to retry."""

from __future__ import annotations

import sqlite3
from typing import Any

from gateway.storage import views

# dead job (queue, action) -> the session's shown state
STATES = {
    ("hubspot", "handoff"): "handoff_failed",
    ("hubspot", "append"): "ticket_update_failed",
    ("agent", None): "reply_failed",
    ("outbox", None): "delivery_failed",
}
LABELS = {state: state.replace("_", " ") for state in STATES.values()}


def failures(conn: sqlite3.Connection, session_ids: list[int] | None = None
             ) -> dict[int, dict[str, Any]]:
    """Per session with a dead job: state, error, job id and the action (first one wins)."""
    out: dict[int, dict[str, Any]] = {}
    for row in views.dead_session_jobs(conn, session_ids):
        state = STATES.get((row["queue"], row["action"])) or STATES.get((row["queue"], None))
        if state is None or row["session_id"] in out:
            continue
        if state in ("delivery_failed", "reply_failed") and row["session_status"] != "ai":
            continue  # the dead reply already handed the session to a human
        out[row["session_id"]] = {
            "state": state, "label": LABELS[state], "job_id": row["job_id"],
            "error": row["last_error"] or "",
            "action": f"fix the cause, then `opencx-gateway queue requeue {row['job_id']}` "
                      "(or Requeue on the Queue page)",
        }
    return out
