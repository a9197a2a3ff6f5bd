"""Session lifecycle on the HubSpot side: close on ticket closure, reopen mail as a new session."""

from __future__ import annotations

import logging
from typing import Any

from gateway.config import Config
from gateway.smtp import tokens
from gateway.storage import hubspot as hs
from gateway.storage import queues, sessions
from gateway.storage.db import Database, WriteConnection

log = logging.getLogger(__name__)


def close_session(conn: WriteConnection, session: dict[str, Any], why: str, now: float) -> bool:
    """Mark a handed-off session closed (the AI may take the contact's next mail)."""
    if session["status"] == "closed":
        return False
    sessions.update_session(conn, session["id"], now, status="closed", closed_at=now)
    if session["hubspot_ticket_id"]:
        hs.unmap_ticket(conn, session["hubspot_ticket_id"])
    sessions.add_message(conn, session_id=session["id"], role="system", now=now, kind="note",
                         text=f"Closed: {why}", external_id=f"closed:{session['id']}")
    return True


async def reopen_as_ai(db: Database, cfg: Config, session: dict[str, Any], message_row: int,
                       why: str, now: float) -> str:
    """Close the old session; the customer's new mail becomes the first of a new AI session."""
    sid = session["id"]

    def fn(conn: WriteConnection) -> int | None:
        current, message = sessions.get_session(conn, sid), sessions.get_message(
            conn, message_row)
        if current is None or message is None or message["session_id"] != sid:
            return None
        close_session(conn, current, why, now)
        new = sessions.create_session(
            conn, token=tokens.new_session_token(), support_address=current["support_address"],
            contact_email=current["contact_email"], contact_name=current["contact_name"],
            subject=current["subject"], now=now)
        hs.move_message(conn, message_row, new)
        sessions.add_message(conn, session_id=sid, role="system", now=now, kind="note",
                             text=f"New mail from the customer started session #{new}",
                             external_id=f"reopened:{message_row}")
        queues.enqueue(conn, "agent", {"session_id": new, "message_row": message_row},
                       now=now, max_attempts=cfg.queues.max_attempts,
                       dedupe_key=f"agent-reopen:{message_row}")
        return new

    new = await db.write(fn)
    log.info("session=%s closed (%s); mail %s starts session=%s", sid, why, message_row, new)
    return f"{why}: new session {new}"
