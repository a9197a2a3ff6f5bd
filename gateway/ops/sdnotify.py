"""systemd's sd_notify protocol without libsystemd: READY, STATUS, WATCHDOG, STOPPING datagrams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping

log = logging.getLogger(__name__)


def _address(value: str | None) -> str | bytes | None:
    """$NOTIFY_SOCKET: a path, or '@name' for the abstract namespace."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    return None  # vsock addresses (vsock:CID:PORT) are for VMs, not for services


def watchdog_interval(environ: Mapping[str, str]) -> float | None:
    """Seconds between WATCHDOG=1 pings: half of $WATCHDOG_USEC, if it is meant for us."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 2 / 1_000_000


class Notifier:
    """Talks to the service manager when started by systemd (Type=notify); else does nothing."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET"))
        self.interval = watchdog_interval(env) if self.address is not None else None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        """Send one datagram of ``KEY=value`` lines; False (logged once) when it fails."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %r failed: %s", self.address, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> bool:
        return self.notify(f"STATUS={status}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1", "STATUS=stopping")

    async def watchdog(self) -> None:
        """Ping until cancelled: the pings stop, and systemd restarts us, if the loop hangs."""
        if self.interval is None:
            return
        while True:
            self.notify("WATCHDOG=1")
            await asyncio.sleep(self.interval)

    @contextlib.asynccontextmanager
    async def serving(self, status: str) -> AsyncIterator[Notifier]:
        """READY=1 and the watchdog on entry; STOPPING=1 and no more pings on exit."""
        self.ready(status)
        task = asyncio.create_task(self.watchdog(), name="sd-watchdog")
        if self.enabled:
            log.info("systemd notified: ready (watchdog every %ss)", self.interval)
        try:
            yield self
        finally:
            self.stopping()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
