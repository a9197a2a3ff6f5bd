"""The Worker base: claim jobs, run ``handle()``, then finish, retry with back-off, or bury."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable

from gateway.config import QueuesConfig
from gateway.errors import PermanentFailure, TemporaryFailure
from gateway.storage import queues
from gateway.storage.db import Database, WriteConnection
from gateway.storage.queues import Job

log = logging.getLogger(__name__)


class Worker:
    """Runs jobs of one queue. Subclasses set ``queue`` and implement ``handle()`` only."""

    queue: str = ""

    def __init__(
        self,
        db: Database,
        cfg: QueuesConfig,
        *,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.cfg = cfg
        self.clock = clock
        self.rand = rand
        self.wakeup = asyncio.Event()
        self._stopping = False
        self._inflight: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = threading.Lock()  # the writer thread takes slots too (hand-off)
        self._busy = 0  # slots taken: jobs running, or being claimed to run
        self.handed = 0  # jobs claimed in the commit that created them
        self._pending = True  # jobs may be waiting that no claim has looked for yet
        self.handled = 0
        self.failed = 0

    async def handle(self, job: Job) -> None:
        raise NotImplementedError

    def backoff(self, attempts: int) -> float:
        """min(base * 2**(attempts-1), cap), with up to 20 % jitter."""
        base = min(self.cfg.backoff_base * 2 ** max(attempts - 1, 0), self.cfg.backoff_cap)
        return base * (1 + 0.2 * self.rand())

    def wake(self) -> None:
        """Jobs may be ready (a commit added some): claim now, or when a slot frees up."""
        self._pending = True
        self.wakeup.set()

    # -- the loop --------------------------------------------------------------------
    async def run(self) -> None:
        log.info("worker started queue=%s", self.queue)
        self._loop = asyncio.get_running_loop()
        while not self._stopping:
            self.wakeup.clear()  # before claiming: a wake during the claim is not lost
            free = self._take_slots()
            if free > 0:
                self._pending = False  # this claim sees every job committed before it
                jobs: list[Job] = []
                try:
                    jobs = await self._claim(free)
                finally:
                    self._give_slots(free - len(jobs))
                self._start(jobs)
                if len(jobs) == free:  # maybe more: claim again as soon as a slot is free
                    self._pending = True
                    await asyncio.sleep(0)
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.cfg.poll_interval)

    def _take_slots(self) -> int:
        with self._slots:
            free = max(self.cfg.concurrency - self._busy, 0)
            self._busy += free
            return free

    def _give_slots(self, n: int) -> None:
        if n:
            with self._slots:
                self._busy -= n

    def _start(self, jobs: list[Job]) -> None:
        """Run claimed jobs, each in a slot already taken for it."""
        for job in jobs:
            task = asyncio.create_task(self._run_job(job))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._give_slots(1)
        if self._pending or self._stopping:  # else no claim: it would only hold the slots
            self.wakeup.set()                 # the next hand-off needs

    # -- hand-off: claimed in the commit that creates the job ------------------------------
    def enable_handoff(self) -> None:
        """Claim this queue's due jobs in the commit of this instance that adds them, and run
        them right after it: no wake-up, no claim commit of its own. Same lease, same attempt
        count, same row: other instances see the job claimed, a crash recovers it as usual."""
        self.db.add_handoff(self.queue, self._claim_in_commit)

    def handoff_ok(self) -> bool:
        """Whether to take jobs in the creating commit now (called in the writer thread)."""
        return True

    def _claim_in_commit(self, conn: WriteConnection) -> Callable[[bool], None] | None:
        loop = self._loop
        if loop is None or self._stopping or not self.handoff_ok():
            return None
        free = self._take_slots()
        if not free:
            return None
        try:
            jobs = queues.claim(conn, self.queue, now=self.clock(), lease=self.cfg.lease_seconds,
                                limit=free, owner=self.db.instance_id)
        except Exception:
            self._give_slots(free)
            raise
        if len(jobs) < free:  # nothing due is left: no wake-up, no NOTIFY needed
            conn.touched_queues.discard(self.queue)

        def after(committed: bool) -> None:
            if not committed or not jobs:
                self._give_slots(free)
                return
            self._give_slots(free - len(jobs))
            self.handed += len(jobs)
            try:
                loop.call_soon_threadsafe(self._start, jobs)
            except RuntimeError:  # the loop has closed: the leases bring the jobs back
                self._give_slots(len(jobs))

        return after

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; give in-flight jobs ``timeout`` seconds (their leases cover the rest)."""
        self._stopping = True
        self.wakeup.set()
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=timeout)

    async def _claim(self, limit: int) -> list[Job]:
        now = self.clock()
        return await self.db.write(
            lambda c: queues.claim(c, self.queue, now=now, lease=self.cfg.lease_seconds,
                                   limit=limit, owner=self.db.instance_id)
        )

    async def _run_job(self, job: Job) -> None:
        try:
            await self.handle(job)
        except TemporaryFailure as exc:
            delay = exc.retry_after if exc.retry_after is not None else self.backoff(job.attempts)
            await self._retry(job, delay, str(exc) or type(exc).__name__,
                              level=self.retry_log_level(exc))
        except PermanentFailure as exc:
            await self._bury(job, str(exc) or type(exc).__name__)
        except Exception as exc:  # worker boundary: unexpected errors are retried, then buried
            log.exception("job crashed queue=%s job=%s", self.queue, job.id)
            await self._retry(job, self.backoff(job.attempts), f"{type(exc).__name__}: {exc}")
        else:
            self.handled += 1
            now = self.clock()
            await self.db.write(lambda c: queues.finish(c, job.id, now=now))

    def retry_log_level(self, exc: TemporaryFailure) -> int:
        """WARNING per scheduled retry; subclasses go quieter while a known outage lasts."""
        return logging.WARNING

    async def _retry(self, job: Job, delay: float, error: str,
                     level: int = logging.WARNING) -> None:
        self.failed += 1
        now = self.clock()
        status = await self.db.write(
            lambda c: queues.retry(c, job.id, now=now, delay=delay, error=error)
        )
        if status == "dead":
            log.error("job buried queue=%s job=%s error=%s", self.queue, job.id, error)
            await self.on_dead(job, error)
        else:
            log.log(level, "job retry queue=%s job=%s attempt=%d delay=%.1fs error=%s",
                    self.queue, job.id, job.attempts, delay, error)

    async def _bury(self, job: Job, error: str) -> None:
        self.failed += 1
        now = self.clock()
        await self.db.write(lambda c: queues.bury(c, job.id, now=now, error=error))
        log.error("job buried queue=%s job=%s error=%s", self.queue, job.id, error)
        await self.on_dead(job, error)

    async def on_dead(self, job: Job, error: str) -> None:
        """Hook for subclasses that record a dead job elsewhere (e.g. on the session)."""

    # -- tests and the CLI -------------------------------------------------------------
    async def drain(self, *, max_rounds: int = 1000) -> int:
        """Run due jobs until none is ready now; returns how many ran."""
        ran = 0
        for _ in range(max_rounds):
            jobs = await self._claim(max(self.cfg.concurrency, 1))
            if not jobs:
                return ran
            await asyncio.gather(*(self._run_job(j) for j in jobs))
            ran += len(jobs)
        return ran
