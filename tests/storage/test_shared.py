"""Several instances on one database: claims never overlap, a dead instance's jobs come back,
lease locks, singletons, per-contact serialisation, LISTEN/NOTIFY wake-ups; migration."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import StorageError
from gateway.storage import instances, queues, sessions
from gateway.storage.db import Database
from gateway.storage.transfer import copy_sqlite_to_postgres


@pytest.fixture
def pair(pg_server: Any) -> Iterator[tuple[Database, Database]]:
    url = pg_server.new_database()
    a, b = Database(url).open(), Database(url).open()
    yield a, b
    a.close()
    b.close()


def enqueue_many(db: Database, n: int) -> None:
    db.write_sync(lambda c: [queues.enqueue(c, "process", {"n": i}, now=time.time(),
                                            max_attempts=3) for i in range(n)])


async def test_concurrent_claims_of_two_instances_never_overlap(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    enqueue_many(a, 300)

    async def drain(db: Database) -> list[int]:
        got: list[int] = []
        while True:
            jobs = await db.write(lambda c: queues.claim(
                c, "process", now=time.time(), lease=60, limit=7, owner=db.instance_id))
            if not jobs:
                return got
            got += [j.id for j in jobs]

    ids_a, ids_b = await asyncio.gather(drain(a), drain(b))
    assert not set(ids_a) & set(ids_b)
    assert len(ids_a) + len(ids_b) == 300 and ids_a and ids_b


def test_a_dead_instances_jobs_return_the_live_ones_stay(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    enqueue_many(a, 4)
    now = time.time()
    for db, beat in ((a, now - 60), (b, now)):  # a last beat a minute ago: dead
        db.write_sync(lambda c, db=db, beat=beat: instances.heartbeat(
            c, db.instance_id, host="h", pid=1, smtp=None, http=None, started_at=beat,
            now=beat, stats={}))
        db.write_sync(lambda c, db=db: queues.claim(c, "process", now=now, lease=300, limit=2,
                                                     owner=db.instance_id))
    back = b.write_sync(lambda c: queues.recover(c, now=now, dead_before=now - 30))
    assert back == 2
    claimed = b.read_sync(lambda c: queues.list_jobs(c, statuses=("claimed",)))
    assert {j.claimed_by for j in claimed} == {b.instance_id}
    seen = b.read_sync(lambda c: instances.list_instances(c, now=now, since=now - 3600))
    assert {i["id"]: i["jobs_held"] for i in seen} == {a.instance_id: 0, b.instance_id: 2}


def test_lease_lock_is_exclusive_until_released_or_expired(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    now = time.time()

    def lock(db: Database, at: float) -> bool:
        return db.write_sync(lambda c: instances.try_lock(c, "x", db.instance_id, now=at, ttl=10))

    assert lock(a, now) and lock(a, now + 1)  # renewing your own lock
    assert not lock(b, now + 2)
    assert lock(b, now + 12)  # a's lease ran out (a died)
    a.write_sync(lambda c: instances.heartbeat(c, a.instance_id, host="h", pid=1, smtp=None,
                                               http=None, started_at=now, now=now, stats={}))
    assert lock(a, now + 13) is False
    assert a.write_sync(lambda c: instances.try_lock(c, "y", a.instance_id, now=now, ttl=600))
    assert b.write_sync(lambda c: instances.try_lock(  # a went silent: its lock is free
        c, "y", b.instance_id, now=now + 40, ttl=600, dead_before=now + 10))
    b.write_sync(lambda c: instances.unlock(c, "x", b.instance_id))
    assert lock(a, now + 14)


def test_singleton_is_taken_by_one_transaction_at_a_time(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    inside, release = threading.Event(), threading.Event()

    def hold(c: Any) -> bool:
        got = instances.singleton(c, "maintenance")
        inside.set()
        release.wait(10)
        return got

    first = a.submit(hold)
    assert inside.wait(10)
    assert b.write_sync(lambda c: instances.singleton(c, "maintenance")) is False
    release.set()
    assert first.result() is True
    assert b.write_sync(lambda c: instances.singleton(c, "maintenance")) is True


def test_one_contact_is_threaded_by_one_transaction_at_a_time(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    inside, order = threading.Event(), []

    def first(c: Any) -> None:
        instances.serialize(c, "contact:jane@customer.test")
        inside.set()
        time.sleep(0.3)  # holds the contact while the other instance asks for it
        order.append("a")

    def second(c: Any) -> None:
        instances.serialize(c, "contact:jane@customer.test")
        order.append("b")

    held = a.submit(first)
    assert inside.wait(10)
    b.write_sync(second)
    held.result()
    assert order == ["a", "b"]


async def test_an_enqueue_on_one_instance_wakes_the_other(
        pair: tuple[Database, Database]) -> None:
    a, b = pair
    loop, woken = asyncio.get_running_loop(), asyncio.Event()
    seen: list[set[str]] = []

    def listener(touched: set[str]) -> None:
        seen.append(touched)
        if "agent" in touched:
            loop.call_soon_threadsafe(woken.set)

    b.add_commit_listener(listener)
    while not seen:  # the LISTEN connection is up once it reported its first (catch-up) wake
        await asyncio.sleep(0.01)
    await a.write(lambda c: queues.enqueue(c, "agent", {}, now=time.time(), max_attempts=1))
    await asyncio.wait_for(woken.wait(), 10)


def test_sqlite_data_moves_to_postgres(tmp_path: Path, pg_server: Any) -> None:
    lite = Database(tmp_path / "old.db").open()
    now = time.time()

    def seed(c: Any) -> int:
        sid = sessions.create_session(c, token="tok", support_address="s@a.test",
                                      contact_email="jane@c.test", contact_name="Jane",
                                      subject="Hi", now=now)
        sessions.add_message(c, session_id=sid, role="customer", now=now, text="hello",
                             message_id="<m1@c.test>")
        sessions.insert_inbound(c, id="in-1", now=now, peer="p", helo="h", mail_from="j@c",
                                rcpt_tos=["s@a.test"], raw=b"\x00raw bytes\xff")
        queues.enqueue(c, "agent", {"session_id": sid}, now=now, max_attempts=3)
        return sid

    sid = lite.write_sync(seed)
    lite.close()
    url = pg_server.new_database()
    counts = copy_sqlite_to_postgres(tmp_path / "old.db", url)
    assert counts["sessions"] == 1 and counts["messages"] == 1 and counts["jobs"] == 1
    pg = Database(url).open()
    try:
        assert pg.read_sync(lambda c: sessions.get_session(c, sid))["contact_name"] == "Jane"
        assert pg.read_sync(lambda c: sessions.get_inbound(c, "in-1"))["raw"] == \
            b"\x00raw bytes\xff"
        nxt = pg.write_sync(lambda c: sessions.create_session(
            c, token="t2", support_address="s@a.test", contact_email="x@c.test",
            contact_name="", subject="", now=now))
        assert nxt == sid + 1  # identity sequences continue after the copied rows
    finally:
        pg.close()
    with pytest.raises(ValueError, match="not empty"):
        copy_sqlite_to_postgres(tmp_path / "old.db", url)


def test_migrate_to_postgres_command(tmp_path: Path, pg_server: Any,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import main

    lite = Database(tmp_path / "gw.db").open()
    lite.write_sync(lambda c: queues.enqueue(c, "agent", {}, now=time.time(), max_attempts=1))
    lite.close()
    config = tmp_path / "config.yaml"
    config.write_text(f"storage:\n  path: {tmp_path / 'gw.db'}\n")
    with pytest.raises(SystemExit) as bad:
        main(["--config", str(config), "storage", "migrate-to-postgres", "--to", "mysql://x"])
    assert bad.value.code != 0 and "postgresql://" in capsys.readouterr().err
    url = pg_server.new_database()
    main(["--config", str(config), "storage", "migrate-to-postgres", "--to", url])
    assert "copied" in capsys.readouterr().out
    with pytest.raises(SystemExit) as twice:
        main(["--config", str(config), "storage", "migrate-to-postgres", "--to", url])
    assert twice.value.code == 1 and "not empty" in capsys.readouterr().err


def test_postgres_form_of_the_hot_path_migration_keeps_counts(pg_server: Any) -> None:
    """m003's PostgreSQL form: trigger-kept session counters; Inbox search without FTS5."""
    from gateway.storage import pgschema, views
    from gateway.storage.pg import PgConnection

    url = pg_server.new_database()
    assert "gateway/m003_indexed_hot_paths" in pgschema.migrate(url)
    conn = PgConnection(url)
    try:
        for n in range(3):
            sessions.create_session(conn, token=f"t{n}", support_address="s@a.test",
                                    contact_email="j@c.test", contact_name="", subject="Hi",
                                    now=time.time())
        sessions.update_session(conn, 10001, time.time(), status="closed")
        counts = dict(conn.execute("SELECT status, n FROM session_counts").fetchall())
        assert counts == {"ai": 2, "closed": 1}
        assert views.count_sessions_matching(conn, status="ai") == 2
        assert views.count_sessions_matching(conn, query="J@C.test hi") == 3
        assert views.count_sessions_matching(conn, query="hi", status="closed") == 1
        assert [r["id"] for r in sessions.list_sessions(conn, query="j@")] == [10003, 10002, 10001]
    finally:
        conn.close()


async def test_writes_and_reads_resume_after_the_server_restarts(pg_server: Any) -> None:
    db = Database(pg_server.new_database()).open()
    try:
        assert await db.write(lambda c: queues.enqueue(c, "agent", {}, now=time.time(),
                                                       max_attempts=1)) == 1
        assert db.read_sync(lambda c: queues.get(c, 1)) is not None  # a reader connection
        await asyncio.to_thread(pg_server.restart)
        outcomes = []
        for _ in range(3):  # the first use of each broken connection fails, then reconnects
            try:
                outcomes.append(await db.write(lambda c: queues.enqueue(
                    c, "agent", {}, now=time.time(), max_attempts=1)))
            except StorageError:
                outcomes.append("451")
        assert outcomes[-1] not in (None, "451")
        with contextlib.suppress(StorageError):
            db.read_sync(lambda c: queues.get(c, 1))
        assert db.read_sync(lambda c: queues.get(c, 1)) is not None
    finally:
        db.close()


async def test_send_marks_are_seen_by_the_other_instance(pair: tuple[Database, Database],
                                                         pg_server: Any) -> None:
    """A's marks, read by B: whether A still beats decides between waiting and deciding."""
    from gateway.storage.sendmarks import PgSendMarks

    a, b = pair
    now = time.time()
    beat = {"host": "h", "pid": 1, "smtp": None, "http": None, "started_at": now, "stats": {}}
    a.write_sync(lambda c: instances.heartbeat(c, a.instance_id, now=now, **beat))
    clock = [now]
    ma = PgSendMarks(a.url or "", a.instance_id, dead_after=30, clock=lambda: clock[0])
    mb = PgSendMarks(b.url or "", b.instance_id, dead_after=30, clock=lambda: clock[0])
    try:
        assert await mb.state("m1@gw") is None
        await ma.sending("m1@gw")
        seen = await mb.state("m1@gw")
        assert seen and (seen.state, seen.owner, seen.owner_alive) == (
            "sending", a.instance_id, True)
        clock[0] = now + 31  # A has not beaten for longer than dead_after
        seen = await mb.state("m1@gw")
        assert seen and seen.state == "sending" and not seen.owner_alive
        await ma.accepted("m1@gw")
        assert (await mb.state("m1@gw")).state == "accepted"  # type: ignore[union-attr]
        await ma.clear("m1@gw")
        assert await mb.state("m1@gw") is None
        await ma.sending("m2@gw")  # left by a crash; its mail is sent by now
        a.write_sync(lambda c: sessions.mark_outgoing(c, sessions.insert_outgoing(
            c, session_id=None, message_row=None, message_id="m2@gw", mail_from="a@x.test",
            rcpt_to="b@y.test", raw=b"x", now=now), status="sent", now=now))
        assert a.write_sync(lambda c: sessions.prune_send_marks(c, now + 60)) == 1
        assert await mb.state("m2@gw") is None
    finally:
        await ma.close()
        await mb.close()
