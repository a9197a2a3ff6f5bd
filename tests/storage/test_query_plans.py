"""The per-mail and per-page queries walk indexes: EXPLAIN QUERY PLAN shows no table scan.

Behaviour, not timing: a plan that scans a table costs time in proportion to the table, so
these tests read SQLite's plan for every statement the hot storage functions run.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.storage import hubspot, queues, sessions, views
from gateway.storage.db import connect
from gateway.storage.migrations import migrate


class Recording(sqlite3.Connection):
    """Remembers every statement (and its arguments) the storage layer executes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, args: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        self.seen.append((sql, tuple(args)))
        return super().execute(sql, args)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Recording]:
    path = tmp_path / "plans.db"
    migrate(path)
    c: Recording = connect(path, 1000, factory=Recording)
    for i in range(30):
        sid = sessions.create_session(
            c, token=f"tok{i}", support_address="help@acme.test",
            contact_email=f"c{i % 3}@customer.test", contact_name=f"Name {i}",
            subject=f"Password reset {i}", now=float(i))
        sessions.add_message(c, session_id=sid, role="customer", now=float(i),
                             message_id=f"<m{i}@customer.test>", text="hi")
        sessions.add_message(c, session_id=sid, role="ai", now=float(i) + 0.5, text="hello")
    yield c
    c.close()


def plan(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]


# "SCAN x USING INDEX y" walks an index in order and stops at the LIMIT; a bare "SCAN x"
# or a sort of a table's rows is what grows with the table. session_counts has one row per
# status; a full-text "SCAN ... VIRTUAL TABLE" reads only the matches' postings.
FULL_SCAN = re.compile(
    r"^SCAN (?!session_counts\b)\w+(?=\s|$)(?! USING (COVERING )?INDEX| VIRTUAL TABLE)")


def plans_of(conn: Recording, call: Callable[[Recording], object]) -> list[tuple[str, list[str]]]:
    conn.seen = []
    call(conn)
    seen = [(s, a) for s, a in conn.seen if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
    assert seen, "the call ran no query"
    return [(sql, plan(conn, sql, args)) for sql, args in seen]


HOT: dict[str, Callable[[Recording], object]] = {
    "latest session of a contact": lambda c: sessions.latest_session_for_contact(
        c, "c1@customer.test", ("handed_off", "ai")),
    "thread by Message-ID": lambda c: sessions.session_by_message_ids(
        c, ["<m3@customer.test>", "<unknown@x>"]),
    "thread by token": lambda c: sessions.session_by_token(c, "tok4"),
    "duplicate Message-ID": lambda c: sessions.message_id_known(c, "<m3@customer.test>"),
    "reply cap": lambda c: sessions.ai_replies_since(c, "c1@customer.test", 10.0),
    "inbox page": lambda c: sessions.list_sessions(c, limit=25),
    "inbox page by status": lambda c: sessions.list_sessions(c, status="ai", limit=25),
    "inbox search": lambda c: sessions.list_sessions(c, query="reset 1", limit=25),
    "inbox search by status": lambda c: sessions.list_sessions(
        c, status="ai", query="name", limit=25),
    "address search": lambda c: sessions.list_sessions(c, query="c1@customer", limit=25),
    "address search by status": lambda c: sessions.list_sessions(
        c, status="ai", query="C1@Customer.test", limit=25),
    "address search total": lambda c: views.count_sessions_matching(c, query="c2@"),
    "status counts": sessions.count_sessions,
    "inbox total": lambda c: views.count_sessions_matching(c),
    "inbox total by status": lambda c: views.count_sessions_matching(c, status="closed"),
    "inbox search total": lambda c: views.count_sessions_matching(c, query="c1 customer"),
    "transcript": lambda c: sessions.session_messages(c, 10005),
    "claim a job": lambda c: queues.claim(c, "process", now=100.0, lease=30.0),
    "session of a HubSpot thread": lambda c: hubspot.session_for_thread(c, "thread-1"),
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_query_uses_indexes(conn: Recording, name: str) -> None:
    for sql, steps in plans_of(conn, HOT[name]):
        scans = [s for s in steps if FULL_SCAN.match(s)]
        assert not scans, f"{name}: {sql}\n{steps}"
        sorts = [s for s in steps if re.match(r"USE TEMP B-TREE FOR (ORDER|GROUP) BY", s)]
        full_text = any("VIRTUAL TABLE" in s for s in steps)
        one_contact = any("INDEX sessions_contact" in s for s in steps)
        if sorts:  # only a sort of one contact's sessions is allowed
            assert one_contact, f"{name}: {sql}\n{steps}"
        if "search" in name and "FROM sessions" in sql:  # not an index walk filtering rows
            assert full_text or one_contact, f"{name}: {sql}\n{steps}"


def test_the_plan_check_catches_a_scan(conn: Recording) -> None:
    steps = plan(conn, "SELECT COUNT(*) FROM sessions WHERE subject LIKE ?", ("%reset%",))
    assert any(FULL_SCAN.match(s) for s in steps), steps


def test_status_counts_follow_inserts_updates_and_deletes(conn: Recording) -> None:
    def truth() -> dict[str, int]:
        out = {"ai": 0, "handed_off": 0, "closed": 0}
        for status, n in conn.execute("SELECT status, COUNT(*) FROM sessions GROUP BY status"):
            out[status] = n
        return out

    assert sessions.count_sessions(conn) == truth() == {"ai": 30, "handed_off": 0, "closed": 0}
    sessions.update_session(conn, 10001, 50.0, status="handed_off")
    sessions.update_session(conn, 10002, 50.0, status="closed")
    sessions.update_session(conn, 10002, 51.0, status="closed")  # same status: no change
    sessions.update_session(conn, 10003, 51.0, subject="other")  # not a status change
    conn.execute("DELETE FROM messages WHERE session_id=10004")
    conn.execute("DELETE FROM sessions WHERE id=10004")
    assert sessions.count_sessions(conn) == truth() == {"ai": 27, "handed_off": 1, "closed": 1}
    assert views.count_sessions_matching(conn, status="ai") == 27
    assert views.count_sessions_matching(conn) == 29


def test_search_index_follows_subject_and_name_changes(conn: Recording) -> None:
    def found(q: str) -> list[int]:
        return [r["id"] for r in sessions.list_sessions(conn, query=q)]

    seven = 10001 + 7  # ids start after 10000
    assert found("reset 7") == [seven]
    sessions.update_session(conn, seven, 60.0, subject="Invoice question", contact_name="Zoë")
    assert found("reset 7") == [] and found("invoice") == [seven] and found("zoe") == [seven]
    assert found("c2@customer") == found("c2") and len(found("c2")) == 10
    assert found("C2@CUSTOMER.TEST") == found("c2") and found("c2@other") == []
    assert found("@@") == [] and views.count_sessions_matching(conn, query="@@") == 0
    conn.execute("DELETE FROM messages WHERE session_id=?", (seven,))
    conn.execute("DELETE FROM sessions WHERE id=?", (seven,))
    assert found("invoice") == []
    integrity = conn.execute(
        "INSERT INTO sessions_fts (sessions_fts, rank) VALUES ('integrity-check', 1)")
    assert integrity is not None  # raises SQLITE_CORRUPT_VTAB when the index is out of sync


def test_migration_indexes_existing_rows(tmp_path: Path) -> None:
    """A database with sessions from before m003 gets counts and a search index for them."""
    from sqlite_utils import Database as Utils

    from gateway.storage import migrations

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    utils = Utils(raw)
    for m in migrations.core.pending(utils):
        if m.name >= "m003":
            break
        m.fn(utils)
        migrations.core.ensure_migrations_table(utils)
        utils["_sqlite_migrations"].insert(
            {"migration_set": "gateway", "name": m.name, "applied_at": "before"})
    raw.execute("INSERT INTO sessions (token, support_address, contact_email, subject, status,"
                " created_at, updated_at, last_activity_at) VALUES"
                " ('t', 'h@a', 'old@customer.test', 'Legacy refund', 'closed', 1, 1, 1)")
    raw.commit()
    raw.close()
    migrate(path)
    c = connect(path, 1000)
    try:
        assert sessions.count_sessions(c)["closed"] == 1
        assert [r["subject"] for r in sessions.list_sessions(c, query="refund")] == [
            "Legacy refund"]
    finally:
        c.close()


async def test_search_total_stops_at_the_cap(conn: Recording,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.web import model

    monkeypatch.setattr(sessions, "SEARCH_COUNT_CAP", 10)
    assert views.count_sessions_matching(conn, query="password") == 11  # "more than 10"
    assert views.count_sessions_matching(conn, query="password", status="ai") == 11
    assert views.count_sessions_matching(conn, query="reset 7") == 1

    class Db:
        async def read(self, fn: Callable[[Recording], Any]) -> Any:
            return fn(conn)

    class Gw:
        db = Db()

    page = await model.inbox(Gw(), status=None, q="password", limit=5, offset=0)
    assert (page["total"], page["total_exact"], len(page["sessions"])) == (10, False, 5)
    assert [s["id"] for s in page["sessions"]] == list(range(10030, 10025, -1))  # newest first
    exact = await model.inbox(Gw(), status=None, q="reset 7", limit=5, offset=0)
    assert (exact["total"], exact["total_exact"]) == (1, True)
