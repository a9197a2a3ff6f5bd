"""The SQLite database: one writer thread with group commit, pooled readers, durable WAL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import secrets
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from gateway.errors import StorageError
from gateway.private import private_dir, private_file, tighten
from gateway.storage import pg

log = logging.getLogger(__name__)
T = TypeVar("T")
WriteFn = Callable[["WriteConnection"], Any]
CommitListener = Callable[[set[str]], None]
# Runs in the writer, in the transaction of a batch that added jobs to its queue, just before
# COMMIT; returns what to call once the batch committed (True) or did not (False), or None.
Handoff = Callable[["WriteConnection"], Callable[[bool], None] | None]
_STOP = object()
CHECKPOINT_INTERVAL = 0.5  # seconds between the checkpointer's passive WAL checkpoints


class WriteConnection(sqlite3.Connection):
    """The writer's connection; remembers which job queues a batch touched, to wake workers."""

    touched_queues: set[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched_queues = set()


def connect(path: Path, busy_timeout_ms: int, factory: type = sqlite3.Connection) -> Any:
    """Open a connection with the durability settings every connection must carry."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, factory=factory
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Database:
    """Owns the only write connection (in a thread) and hands out read connections per thread.

    ``target`` is the SQLite file, or a ``postgresql://`` URL: then the connections are
    :class:`gateway.storage.pg.PgConnection` and several instances may share the database.
    """

    def __init__(self, target: Path | str, *, busy_timeout_ms: int = 5000,
                 max_batch: int = 256) -> None:
        self.url = str(target) if pg.is_url(target) else None
        self.path = Path("postgresql") if self.url else Path(target)
        self.busy_timeout_ms = busy_timeout_ms
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._read_pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="db-read")
        self._listeners: list[CommitListener] = []
        self._handoffs: list[tuple[str, Handoff]] = []
        self._notify_thread: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._closing = threading.Event()
        self.checkpoints = 0  # passive checkpoints that copied new WAL frames
        self.batches = 0
        self.writes = 0
        # who claims jobs: unique per process start, so a restarted instance is a new one
        self.instance_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.dead_after = 30.0  # seconds of silence after which an instance counts as dead

    # -- lifecycle -----------------------------------------------------------------
    def open(self) -> Database:
        """Create the file, apply migrations, start the writer thread. Idempotent."""
        if self._writer is not None:
            return self
        if self.url:
            from gateway.storage.pgschema import migrate as migrate_pg

            migrate_pg(self.url)
        else:
            from gateway.storage.migrations import migrate

            private_dir(self.path.parent)
            private_file(self.path)  # SQLite gives -wal and -shm the database file's mode
            for suffix in ("-wal", "-shm", "-journal"):
                tighten(self.path.with_name(self.path.name + suffix))
            migrate(self.path)
            self._checkpointer = threading.Thread(target=self._checkpoint_loop,
                                                  name="db-checkpoint", daemon=True)
            self._checkpointer.start()
        self._writer = threading.Thread(target=self._write_loop, name="db-writer", daemon=True)
        self._writer.start()
        return self

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database file off the writer's path: SQLite's automatic
        checkpoint runs inside the COMMIT that crosses 1000 pages, and every 250 waiting on
        that batch waited for the checkpoint's fsyncs too (docs/benchmarks.md)."""
        conn = connect(self.path, self.busy_timeout_ms)
        last = (0, 0)
        try:
            while not self._closing.wait(CHECKPOINT_INTERVAL):
                try:
                    _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # e.g. disk full: the writer reports its own
                    log.warning("WAL checkpoint failed: %s", exc)
                    continue
                if copied > 0 and (frames, copied) != last:
                    self.checkpoints += 1
                last = (frames, copied)
        finally:
            conn.close()

    @property
    def shared(self) -> bool:
        """True when other instances may use the same database (PostgreSQL)."""
        return self.url is not None

    @property
    def where(self) -> str:
        """The database for logs and banners (a URL without its password)."""
        return pg.redact(self.url) if self.url else str(self.path)

    def close(self) -> None:
        self._closing.set()
        for thread in (self._notify_thread, self._checkpointer):
            if thread is not None:
                thread.join()
        self._notify_thread = self._checkpointer = None
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        self._read_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(queues)`` after a commit that enqueued jobs: this instance's commits
        (in the writer thread) and, on PostgreSQL, every instance's (LISTEN/NOTIFY thread)."""
        self._listeners.append(listener)
        if self.url and self._notify_thread is None:
            self._notify_thread = threading.Thread(target=self._listen_loop, name="db-listen",
                                                   daemon=True)
            self._notify_thread.start()

    def add_handoff(self, queue: str, hook: Handoff) -> None:
        """Call ``hook(conn)`` in every commit of this instance that added jobs to ``queue``,
        before COMMIT and in a savepoint: a worker claims the new jobs in the same commit."""
        self._handoffs.append((queue, hook))

    def _listen_loop(self) -> None:
        """LISTEN for other instances' enqueues; reconnects after the server went away."""
        assert self.url is not None
        while not self._closing.is_set():
            try:
                conn = pg.connect(self.url)
                try:
                    conn.execute(f"LISTEN {pg.NOTIFY_CHANNEL}")
                    self._notify_all({"*"})  # a reconnect may have missed some: look everywhere
                    while not self._closing.is_set():
                        touched = {n.payload for n in conn.notifies(timeout=0.25)}
                        if touched:
                            self._notify_all(touched)
                finally:
                    conn.close()
            except Exception as exc:  # the database is away: try again shortly
                log.warning("LISTEN connection lost: %s", exc)
                self._closing.wait(1.0)

    def _notify_all(self, touched: set[str]) -> None:
        for listener in self._listeners:
            with contextlib.suppress(RuntimeError):  # the listener's event loop has closed
                listener(set(touched))

    # -- writes --------------------------------------------------------------------
    def submit(self, fn: WriteFn) -> concurrent.futures.Future[Any]:
        """Queue ``fn(conn)`` for the writer; the future resolves after its batch commits."""
        if self._writer is None:
            raise StorageError("database is not open")
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._queue.put((fn, fut))
        return fut

    async def write(self, fn: Callable[[WriteConnection], T]) -> T:
        """Run ``fn(conn)`` in the writer; returns after its batch has committed."""
        if self._writer is None:
            raise StorageError("database is not open")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, (loop, fut)))
        return await fut

    def write_sync(self, fn: Callable[[WriteConnection], T]) -> T:
        return self.submit(fn).result()

    def _connect_writer(self) -> Any:
        if self.url:
            return pg.PgConnection(self.url)
        conn = connect(self.path, self.busy_timeout_ms, factory=WriteConnection)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        return conn

    def _write_loop(self) -> None:
        conn = self._connect_writer()
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._run_batch(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: WriteConnection, batch: list[tuple[WriteFn, Any]]) -> None:
        try:
            results = self._attempt(conn, batch, isolated=False)
            if results is None:  # a write failed: redo the batch, each write in a savepoint
                results = self._attempt(conn, batch, isolated=True)
        except Exception as exc:  # storage boundary: every waiter gets the failure
            log.error("write batch failed size=%d error=%s", len(batch), exc)
            _reset(conn)
            failure = StorageError(f"write failed: {exc}")
            _resolve_all([(False, failure)] * len(batch), batch)
            return
        self.batches += 1
        self.writes += len(batch)
        _resolve_all(results, batch)
        if conn.touched_queues:
            for listener in self._listeners:
                listener(set(conn.touched_queues))

    def _attempt(self, conn: WriteConnection, batch: list[tuple[WriteFn, Any]],
                 *, isolated: bool) -> list[tuple[bool, Any]] | None:
        """One transaction over the batch. Without savepoints (the fast, usual case) a failing
        write rolls everything back and returns None so the caller retries it isolated."""
        conn.touched_queues = set()
        conn.execute("BEGIN IMMEDIATE")
        run = self._run_one if isolated else self._run_plain
        results = [run(conn, fn) for fn, _ in batch]
        if not isolated and not all(ok for ok, _ in results):
            conn.execute("ROLLBACK")
            conn.touched_queues = set()
            return results if len(batch) == 1 else None
        afters = self._before_commit(conn) if conn.touched_queues and self._handoffs else []
        committed = False
        try:
            if self.url and conn.touched_queues:
                conn.notify(conn.touched_queues)
            conn.execute("COMMIT")
            committed = True
        finally:
            for after in afters:
                after(committed)
        return results

    def _before_commit(self, conn: WriteConnection) -> list[Callable[[bool], None]]:
        """Run the hand-off hooks of the queues this transaction added jobs to."""
        afters = []
        for name, hook in self._handoffs:
            if name not in conn.touched_queues:
                continue
            conn.execute("SAVEPOINT handoff")
            try:
                after = hook(conn)
            except Exception as exc:  # the jobs stay ready: the worker claims them itself
                conn.execute("ROLLBACK TO handoff")
                conn.execute("RELEASE handoff")
                log.warning("hand-off failed queue=%s error=%s", name, exc)
                continue
            conn.execute("RELEASE handoff")
            if after is not None:
                afters.append(after)
        return afters

    @staticmethod
    def _run_plain(conn: WriteConnection, fn: WriteFn) -> tuple[bool, Any]:
        try:
            return True, fn(conn)
        except Exception as exc:  # returned to that write's caller (after a rollback)
            return False, exc

    @staticmethod
    def _run_one(conn: WriteConnection, fn: WriteFn) -> tuple[bool, Any]:
        """Run one write in a savepoint so its failure does not undo its batch-mates."""
        conn.execute("SAVEPOINT one")
        touched = set(conn.touched_queues)
        try:
            value = fn(conn)
        except Exception as exc:  # returned to that write's caller only
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
            conn.touched_queues = touched
            return False, exc
        conn.execute("RELEASE one")
        return True, value

    # -- reads ---------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.url and conn.broken:
            conn.reconnect()
        if conn is None:
            conn = pg.PgConnection(self.url) if self.url else connect(
                self.path, self.busy_timeout_ms)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._reader()
            conn.execute("BEGIN")
        except pg.psycopg.Error as exc:
            raise StorageError(f"read failed: {exc}") from exc
        try:
            return fn(conn)
        except pg.psycopg.OperationalError as exc:  # the server went away mid-read
            raise StorageError(f"read failed: {exc}") from exc
        finally:
            _finish_read(conn)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_pool, self.read_sync, fn)


def _reset(conn: Any) -> None:
    """After a failed batch: roll back, or on PostgreSQL reconnect a connection that broke."""
    if isinstance(conn, pg.PgConnection) and conn.broken:
        try:
            conn.reconnect()
        except pg.psycopg.Error as exc:
            log.error("database reconnect failed: %s", exc)
        return
    with contextlib.suppress(sqlite3.Error, pg.psycopg.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _finish_read(conn: Any) -> None:
    if getattr(conn, "broken", False):
        return  # the next read reconnects
    with contextlib.suppress(pg.psycopg.Error):
        conn.execute("COMMIT")


def _resolve_all(results: list[tuple[bool, Any]], batch: list[tuple[WriteFn, Any]]) -> None:
    """Hand results to waiters: thread futures directly, asyncio futures one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for (ok, value), (_, waiter) in zip(results, batch, strict=True):
        if isinstance(waiter, tuple):
            loop, fut = waiter
            by_loop.setdefault(loop, []).append((fut, ok, value))
        else:
            _set(waiter, ok, value)
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_set_many, items)


def _set_many(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for fut, ok, value in items:
        if not fut.done():  # a waiter that gave up (cancelled) gets nothing
            _set(fut, ok, value)


def _set(fut: Any, ok: bool, value: Any) -> None:
    try:
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
    except (concurrent.futures.InvalidStateError, asyncio.InvalidStateError):
        pass


def rows(cursor: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    return [dict(r) for r in cursor]
