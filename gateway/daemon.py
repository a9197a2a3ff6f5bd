"""Start-up and shutdown order of the whole daemon on one event loop; signals; the banner."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import secrets as pysecrets
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.accepted import FileMarks, SendMarks
from gateway.actions import Actions
from gateway.agent.factory import build_agent
from gateway.answering import AgentWorker
from gateway.budget import ByteBudget
from gateway.config import Config, Secrets, database_target, split_hostport
from gateway.errors import GatewayError
from gateway.malloc import return_big_blocks_to_os
from gateway.ops.sdnotify import Notifier
from gateway.outbox import OutboxWorker
from gateway.pipeline import Pipeline, ProcessWorker
from gateway.private import private_dir, tighten
from gateway.replies import Renderer
from gateway.smtp.handler import SmtpHandler
from gateway.smtp.relay import SmtpRelay, build_relay
from gateway.smtp.server import SmtpServer
from gateway.storage import instances, queues, sessions
from gateway.storage.db import Database
from gateway.storage.sendmarks import PgSendMarks
from gateway.workers import Worker

log = logging.getLogger(__name__)
CHALLENGE_MAX_AGE = 3600.0  # a forwarding test mail must come back within an hour
MAINTENANCE_INTERVAL = 60.0
GIL_SWITCH_INTERVAL = 0.0005  # seconds; measured in bench/ingest.py (docs/benchmarks.md)
DONE_JOB_RETENTION = 7 * 86400.0  # finished jobs are kept a week for `queue list --all`
# queues whose jobs are claimed in the commit that creates them and run at once (no claim hop)
HANDOFF_QUEUES = ("process", "agent", "outbox")


def local_secret(cfg: Config, secrets: Secrets, name: str, env_name: str) -> str:
    """A secret from the environment, else one generated once into the state directory (0600)."""
    value = secrets.get(name)
    if value:
        return value
    path = cfg.storage.path.parent / name.replace("_", "-")
    if not path.exists():
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(pysecrets.token_urlsafe(32))
        log.warning("%s not set: generated one in %s", env_name, path)
    tighten(path)
    return path.read_text().strip()


@contextlib.contextmanager
def binding(setting: str, address: str) -> Iterator[None]:
    """A listening socket that cannot be opened names the setting (and variable) to change."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        env = "OPENCX_GATEWAY__" + setting.upper().replace(".", "__")
        raise GatewayError(
            f"cannot listen on {address} ({exc.strerror or exc}): change {setting} in the "
            f"config file or set {env}") from exc


class Gateway:
    """Owns every long-lived component; `start()` and `stop()` order them."""

    def __init__(self, cfg: Config, secrets: Secrets, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.secrets = secrets
        self.clock = clock
        self.db = Database(database_target(cfg.storage, secrets),
                           busy_timeout_ms=cfg.storage.busy_timeout_ms,
                           max_batch=cfg.storage.max_batch)
        self.db.dead_after = cfg.storage.dead_after_seconds
        self.budget = ByteBudget(cfg.memory.inflight_bytes)
        self.secret_key = b""
        self.admin_token = ""
        self.started_at = 0.0
        self.actions: Actions | None = None
        self.renderer: Renderer | None = None
        self.agent: Any = None
        self.relay: Any = None
        self.handler: SmtpHandler | None = None
        self.http_runner: web.AppRunner | None = None
        self.hubspot: Any = None  # gateway.hubspot.service.HubSpotService when mode != off
        self.workers: dict[str, Worker] = {}
        self.smtp: SmtpServer | None = None
        self.smtp_address: tuple[str, int] | None = None
        self.http_url: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stack: list[Callable[[], Any]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.db.open()
        self.started_at = self.clock()
        self.secret_key = local_secret(
            self.cfg, self.secrets, "secret_key", "OPENCX_GATEWAY_SECRET_KEY").encode()
        self.admin_token = local_secret(
            self.cfg, self.secrets, "admin_token", "OPENCX_GATEWAY_ADMIN_TOKEN")
        await self._recover()
        # off the loop: loading the KB, its index and the semantic model takes ~0.5 s
        self.agent = await asyncio.to_thread(build_agent, self.cfg.agent, self.secrets)
        self._stack.append(self.agent.close)
        self.renderer = Renderer()
        self._stack.append(self.renderer.close)
        self._tasks.append(asyncio.create_task(self.renderer.warm_up(), name="renderer-warm-up"))
        self.relay = build_relay(self.cfg.outbound, self.secrets, self.cfg.smtp.hostname,
                                 own=self.cfg.smtp.accepted_recipients(),
                                 listener=lambda: self.smtp_address,
                                 pool_size=self.cfg.queues.concurrency)
        if isinstance(self.relay, SmtpRelay):
            self._stack.append(self.relay.close)  # QUIT kept-open connections, after the workers
        self.actions = Actions(self.db, self.cfg, self.agent, self.secret_key, clock=self.clock)
        if self.cfg.hubspot.mode != "off":
            from gateway.hubspot.service import HubSpotService

            self.hubspot = HubSpotService(self)
            with binding("hubspot.emulator.listen", self.cfg.hubspot.emulator.listen):
                await self.hubspot.start()
            self._stack.append(self.hubspot.close)
        self.db.add_commit_listener(
            lambda touched: loop.call_soon_threadsafe(self._wake, touched))
        for worker in self._build_workers():
            self.workers[worker.queue] = worker
            if self.cfg.queues.handoff and worker.queue in HANDOFF_QUEUES:
                worker.enable_handoff()
            self._tasks.append(asyncio.create_task(worker.run(), name=f"worker-{worker.queue}"))
        self._tasks.append(asyncio.create_task(self._maintenance(), name="maintenance"))
        with binding("http.listen", self.cfg.http.listen):
            await self._start_http()
        self.handler = SmtpHandler(self.db, self.cfg.smtp, self.cfg.queues, clock=self.clock,
                                   budget=self.budget)
        self.smtp = SmtpServer(self.handler, self.cfg.smtp)
        with binding("smtp.listen", self.cfg.smtp.listen):
            self.smtp_address = await self.smtp.start()
        await self.heartbeat()
        self._tasks.append(asyncio.create_task(self._heartbeats(), name="heartbeat"))
        # What start-up built (modules, knowledge-base index, config) lives as long as the
        # process: out of the collector's sight, a full collection costs ~1 ms instead of
        # 40-110 ms (a pause every in-flight mail waits out; docs/benchmarks.md)
        gc.freeze()

    async def _start_http(self) -> None:
        from gateway.web.app import create_app

        app = create_app(self)
        if self.hubspot is not None:
            self.hubspot.add_routes(app)
        self.http_runner = web.AppRunner(app, access_log=None)
        await self.http_runner.setup()
        host, port = split_hostport(self.cfg.http.listen)
        site = web.TCPSite(self.http_runner, host, port)
        await site.start()
        server = site._server
        sock = server.sockets[0].getsockname() if server and server.sockets else (host, port)
        self.http_url = f"http://{sock[0]}:{sock[1]}"
        log.info("http listening on %s", self.http_url)

    async def _recover(self) -> None:
        now = self.clock()
        pairs = [(a.address, self.cfg.smtp.forward_address(a))
                 for a in self.cfg.smtp.support_addresses]

        shared, dead_before = self.db.shared, now - self.cfg.storage.dead_after_seconds

        def fn(conn: Any) -> int:
            sessions.sync_addresses(conn, pairs, now)
            self._beat(conn, now)
            # the only instance takes back every claimed job; one of several only the jobs
            # of instances that stopped or died (the others' are in progress)
            return queues.recover(conn, now=now, all_claimed=not shared,
                                  dead_before=dead_before if shared else None)

        recovered = await self.db.write(fn)
        if recovered:
            log.warning("recovered %d interrupted jobs", recovered)

    def _build_workers(self) -> list[Worker]:
        kw: dict[str, Any] = {"clock": self.clock}
        pipeline = Pipeline(self.db, self.cfg, self.secret_key, clock=self.clock,
                            budget=self.budget)
        return [
            ProcessWorker(pipeline, self.db, self.cfg.queues, busy=self._ingest_busy, **kw),
            AgentWorker(self.agent, self.renderer, self.cfg, self.db, self.cfg.queues, **kw),
            OutboxWorker(self.relay, self.db, self.cfg.queues, **kw,
                         marks=self._send_marks(), config=self.cfg),
            *(self.hubspot.workers() if self.hubspot else []),
        ]

    def _send_marks(self) -> SendMarks:
        """Files beside the database for one instance; the shared database for several."""
        if self.db.url is None:
            return FileMarks(self.cfg.storage.path.parent / "outbox-accepted")
        marks = PgSendMarks(self.db.url, self.db.instance_id, dead_after=self.db.dead_after,
                            clock=self.clock)
        self._stack.append(marks.close)
        return marks

    async def maintain(self) -> dict[str, int]:
        """Periodic upkeep: overdue forwarding tests fail; finished jobs older than a week go."""
        now = self.clock()

        def upkeep(c: Any) -> dict[str, int]:
            if not instances.singleton(c, "maintenance"):  # another instance is at it
                return {"challenges_failed": 0, "jobs_pruned": 0}
            instances.forget_old(c, now - DONE_JOB_RETENTION)
            sessions.prune_send_marks(c, now - DONE_JOB_RETENTION)
            return {"challenges_failed": sessions.fail_overdue_challenges(
                        c, now, CHALLENGE_MAX_AGE),
                    "jobs_pruned": queues.prune_done(c, before=now - DONE_JOB_RETENTION)}

        done = await self.db.write(upkeep)
        if done["challenges_failed"]:
            log.warning("forwarding test failed for %d address(es): no mail came back",
                        done["challenges_failed"])
        return done

    async def _maintenance(self) -> None:
        while True:
            await asyncio.sleep(MAINTENANCE_INTERVAL)
            try:
                await self.maintain()
            except GatewayError as exc:
                log.error("maintenance failed: %s", exc)

    def _beat(self, conn: Any, now: float) -> None:
        smtp = "{}:{}".format(*self.smtp_address) if self.smtp_address else None
        stats = {q: {"handled": w.handled, "failed": w.failed} for q, w in self.workers.items()}
        instances.heartbeat(conn, self.db.instance_id, host=os.uname().nodename, pid=os.getpid(),
                            smtp=smtp, http=self.http_url, started_at=self.started_at, now=now,
                            stats=stats)

    async def heartbeat(self) -> int:
        """Say this instance is alive; on a shared database take over the jobs of dead ones."""
        now, storage = self.clock(), self.cfg.storage

        def fn(conn: Any) -> int:
            self._beat(conn, now)
            if not self.db.shared:
                return 0
            return queues.recover(conn, now=now, dead_before=now - storage.dead_after_seconds)

        taken = await self.db.write(fn)
        if taken:
            log.warning("took over %d jobs of instances that stopped or died", taken)
        return taken

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.storage.heartbeat_seconds)
            try:
                await self.heartbeat()
            except GatewayError as exc:
                log.error("heartbeat failed: %s", exc)

    def down_workers(self) -> list[str]:
        """Queues whose worker task is missing or has ended (for /readyz and status)."""
        tasks = {t.get_name(): t for t in self._tasks}
        return sorted(q for q in self.workers
                      if (t := tasks.get(f"worker-{q}")) is None or t.done())

    def _ingest_busy(self) -> bool:
        return self.handler is not None and self.handler.busy()

    def _wake(self, touched: set[str]) -> None:
        if "*" in touched:
            touched = set(self.workers)
        for name in touched:
            worker = self.workers.get(name)
            if worker is not None:
                worker.wake()

    async def stop(self) -> None:
        """SMTP first (finish DATA in flight), then workers, then the database."""
        if self.smtp is not None:
            await self.smtp.stop()
        await asyncio.gather(*(w.stop() for w in self.workers.values()))
        if self.http_runner is not None:
            await self.http_runner.cleanup()
            self.http_runner = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for closer in reversed(self._stack):
            result = closer()
            if asyncio.iscoroutine(result):
                await result
        self._stack.clear()
        with contextlib.suppress(GatewayError):
            now = self.clock()
            await self.db.write(lambda c: instances.stopped(c, self.db.instance_id, now))
        self.db.close()

    def public_url(self) -> str:
        return public_url_of(self.cfg, self.http_url)

    def banner(self) -> str:
        host, port = self.smtp_address or ("?", 0)
        lines = [f"opencx-gateway is running (database {self.db.where})",
                 f"  SMTP    {host}:{port}   send mail to:"]
        for a in self.cfg.smtp.support_addresses:
            target = self.cfg.smtp.forward_address(a)
            lines.append(f"            {a.address}  (forward target {target})")
        lines.append(f"  try     swaks --server {host}:{port} --to "
                     f"{self.cfg.smtp.support_addresses[0].address} --from you@example.org "
                     "--header 'Subject: Password' --body 'How do I reset my password?'")
        if self.http_url:
            where = ("$OPENCX_GATEWAY_ADMIN_TOKEN" if self.secrets.admin_token
                     else state_dir(self.cfg) / "admin-token")
            lines.append(f"  Inbox   {self.public_url()}/   (log in with the token in {where})")
        if self.cfg.outbound.mode == "maildir":
            lines.append(f"  Replies {self.cfg.outbound.maildir}/new/")
        return "\n".join(lines)


async def run_forever(cfg: Config, secrets: Secrets) -> None:
    """`opencx-gateway run`: start, print where things are, stop cleanly on SIGTERM/SIGINT."""
    # The writer thread needs the GIL right after each fsync; with the default 5 ms switch
    # interval a busy event loop delays every commit (and so every 250) by up to 5 ms.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    return_big_blocks_to_os()  # peak RSS for big mail: docs/benchmarks.md
    gateway = Gateway(cfg, secrets)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await gateway.start()
    except BaseException:
        await gateway.stop()  # a half-started daemon leaves no process or thread behind
        raise
    print(gateway.banner(), flush=True)
    host, port = gateway.smtp_address or ("?", 0)
    try:
        async with Notifier().serving(  # systemd Type=notify: READY, watchdog, STOPPING
                f"SMTP on {host}:{port}, web on {gateway.http_url}"):
            await stop.wait()
    finally:
        log.info("shutting down")
        await gateway.stop()
        log.info("stopped")


def public_url_of(cfg: Config, http_url: str | None) -> str:
    """The configured public URL, else the address the web server is bound to."""
    if cfg.http.public_url:
        return cfg.http.public_url.rstrip("/")
    return http_url or f"http://{cfg.http.listen}"


def state_dir(cfg: Config) -> Path:
    return cfg.storage.path.parent
