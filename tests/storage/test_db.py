"""The writer thread: group commit, failure isolation inside a batch, cancelled waiters.

Every test but the SQLite lock one runs on both backends (the ``backend`` fixture)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from gateway.errors import StorageError
from gateway.storage import queues
from gateway.storage.db import Database


@pytest.fixture
def db(backend: str) -> Database:
    database = Database(backend).open()
    yield database
    database.close()


def insert(n: int):
    return lambda c: queues.enqueue(c, "process", {"n": n}, now=time.time(), max_attempts=3)


async def test_concurrent_writes_share_commits_and_all_land(db: Database) -> None:
    ids = await asyncio.gather(*(db.write(insert(n)) for n in range(200)))
    assert sorted(ids) == list(range(1, 201))
    assert db.batches < 200  # grouped
    other = Database(db.url or db.path).open()  # committed, visible to other connections
    try:
        assert other.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]) \
            == 200
    finally:
        other.close()


async def test_a_failing_write_does_not_undo_its_batch_mates(db: Database) -> None:
    def slow(c: sqlite3.Connection) -> None:
        time.sleep(0.2)  # holds the writer so the next writes queue up into one batch

    def broken(c: sqlite3.Connection) -> None:
        queues.enqueue(c, "process", {"n": "half"}, now=time.time(), max_attempts=3)
        raise ValueError("boom")

    first = asyncio.ensure_future(db.write(slow))
    await asyncio.sleep(0.05)
    batches = db.batches
    results = await asyncio.gather(db.write(insert(1)), db.write(broken), db.write(insert(2)),
                                   return_exceptions=True)
    await first
    assert isinstance(results[1], ValueError)
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert db.batches == batches + 2  # the slow one, then the three together
    payloads = db.read_sync(lambda c: [r[0] for r in c.execute("SELECT payload FROM jobs")])
    assert sorted(payloads) == ['{"n": 1}', '{"n": 2}']  # nothing of the broken write


async def test_a_cancelled_waiter_does_not_stop_the_writer(db: Database) -> None:
    def slow(c: sqlite3.Connection) -> int:
        time.sleep(0.1)
        return 1

    task = asyncio.ensure_future(db.write(slow))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.write(insert(7)) is not None


async def test_locked_database_is_a_storage_error(tmp_path: Path) -> None:
    database = Database(tmp_path / "l.db", busy_timeout_ms=50).open()
    blocker = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match="locked"):
            await database.write(insert(1))
        blocker.execute("ROLLBACK")
        assert await database.write(insert(2)) is not None
    finally:
        blocker.close()
        database.close()


async def test_the_wal_is_checkpointed_off_the_writers_commits(tmp_path: Path) -> None:
    """The writer never checkpoints inside a COMMIT (a stall for every 250 of its batch); the
    checkpointer thread copies the WAL into the file, so the WAL does not grow for ever."""
    from tests.conftest import wait_until

    db = Database(tmp_path / "ckpt.db").open()
    try:
        assert db.write_sync(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        pad = "x" * 8192
        for n in range(80):  # ~ 5 MB of WAL: past SQLite's own 1000-page trigger
            db.write_sync(lambda c, n=n: queues.enqueue(
                c, "process", {"n": n, "pad": pad}, now=time.time(), max_attempts=3))
        await wait_until(lambda: db.checkpoints > 0, timeout=20)
        with sqlite3.connect(tmp_path / "ckpt.db") as probe:
            _, frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert frames == copied  # everything the writer committed is in the database file
    finally:
        db.close()
