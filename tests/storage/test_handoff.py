"""Hand-off: a worker claims the jobs a commit of its instance creates, in that commit.

Runs on both backends (the ``backend`` fixture); the two-instance test needs PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.config import QueuesConfig
from gateway.pipeline import ProcessWorker
from gateway.storage import queues
from gateway.storage.db import Database, WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker
from tests.conftest import wait_until

NO_POLL = 3600.0  # a worker that only runs what it is handed (or woken for)


class Recorder(Worker):
    queue = "process"

    def __init__(self, *args: Any, gate: asyncio.Event | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.gate = gate
        self.ran: list[int] = []

    async def handle(self, job: Job) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.ran.append(job.id)


@pytest.fixture
def db(backend: str) -> Database:
    database = Database(backend).open()
    yield database
    database.close()


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    task = asyncio.create_task(worker.run())
    # started, and its first claim (which holds every slot meanwhile) is over
    await wait_until(lambda: worker._loop is not None and worker._busy == 0)
    try:
        yield worker
    finally:
        await worker.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def add(n: int = 1):
    def fn(c: WriteConnection) -> list[int | None]:
        return [queues.enqueue(c, "process", {"n": k}, now=time.time(), max_attempts=3)
                for k in range(n)]
    return fn


def job(db: Database, job_id: int) -> Job:
    found = db.read_sync(lambda c: queues.get(c, job_id))
    assert found is not None
    return found


async def test_a_new_job_is_claimed_in_its_commit_and_run_without_a_wake_up(
        db: Database) -> None:
    worker = Recorder(db, QueuesConfig(poll_interval=NO_POLL))
    worker.enable_handoff()
    async with running(worker):
        (job_id,) = await db.write(add())
        got = job(db, job_id)  # already claimed when the creating write returned
        assert got.status in ("claimed", "done") and got.claimed_by == db.instance_id
        assert got.attempts == 1
        await wait_until(lambda: worker.ran == [job_id])
    assert worker.handed == 1


async def test_without_hand_off_the_job_waits_for_the_worker(db: Database) -> None:
    worker = Recorder(db, QueuesConfig(poll_interval=NO_POLL))
    async with running(worker):
        (job_id,) = await db.write(add())
        assert job(db, job_id).status == "ready"  # nobody woke the worker: it still sleeps
    assert worker.ran == [] and worker.handed == 0


async def test_hand_off_takes_only_free_slots_and_leaves_the_rest_ready(db: Database) -> None:
    gate = asyncio.Event()
    worker = Recorder(db, QueuesConfig(poll_interval=NO_POLL, concurrency=2), gate=gate)
    worker.enable_handoff()
    woken: list[set[str]] = []
    db.add_commit_listener(lambda touched: woken.append(touched))
    async with running(worker):
        ids = await db.write(add(3))
        statuses = [job(db, i).status for i in ids]
        assert statuses == ["claimed", "claimed", "ready"]
        # one left: the worker is woken for it as before (PostgreSQL's LISTEN adds "*")
        await wait_until(lambda: {"process"} in woken)
        (more,) = await db.write(add())
        assert job(db, more).status == "ready"  # no free slot: not taken in the commit
        gate.set()
        worker.wake()
        await wait_until(lambda: sorted(worker.ran) == sorted([*ids, more]))
    assert worker.handed == 2


async def test_a_rolled_back_write_hands_nothing(db: Database) -> None:
    worker = Recorder(db, QueuesConfig(poll_interval=NO_POLL, concurrency=1))
    worker.enable_handoff()

    def fails(c: WriteConnection) -> None:
        add()(c)
        raise RuntimeError("the rest of the write failed")

    async with running(worker):
        with pytest.raises(RuntimeError):
            await db.write(fails)
        (job_id,) = await db.write(add())  # the slot was not kept by the failed write
        await wait_until(lambda: worker.ran == [job_id])
    assert db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]) == 1


async def test_the_process_worker_takes_nothing_during_an_ingest_burst(db: Database) -> None:
    burst = False
    worker = ProcessWorker(None, db, QueuesConfig(poll_interval=NO_POLL),  # type: ignore[arg-type]
                           busy=lambda: burst)
    worker.enable_handoff()
    async with running(worker):
        burst = True
        (job_id,) = await db.write(add())
        assert job(db, job_id).status == "ready"
    assert worker.handed == 0


async def test_two_instances_each_run_their_own_jobs_once(pg_server: Any) -> None:
    """Instances share a database on PostgreSQL only."""
    url = pg_server.new_database()
    a, b = Database(url).open(), Database(url).open()
    workers = [Recorder(d, QueuesConfig(poll_interval=NO_POLL, concurrency=50)) for d in (a, b)]
    try:
        loop = asyncio.get_running_loop()
        for w in workers:
            w.enable_handoff()
            w.db.add_commit_listener(  # NOTIFY wakes the other instance as in the daemon
                lambda touched, w=w: loop.call_soon_threadsafe(w.wake))
        made: list[int] = []
        async with running(workers[0]), running(workers[1]):
            for d in (a, b):
                ids = await asyncio.gather(*(d.write(add()) for _ in range(20)))
                made += [i for (i,) in ids]
            await wait_until(lambda: sum(len(w.ran) for w in workers) >= 40)
        assert sorted(workers[0].ran + workers[1].ran) == sorted(made)  # each exactly once
        for w in workers:  # whoever ran a job holds its claim
            assert {job(a, i).claimed_by for i in w.ran} <= {w.db.instance_id}
        assert workers[0].handed + workers[1].handed > 0
    finally:
        a.close()
        b.close()
