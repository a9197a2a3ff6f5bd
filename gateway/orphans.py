"""Worker processes that exit with the daemon, even after a kill -9 that skips every cleanup."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 0.5  # seconds between checks that the daemon still lives


def exit_with(daemon_pid: int) -> None:
    """Pool initializer: die with the parent process (Linux PR_SET_PDEATHSIG, which fires when
    the direct parent, such as a forkserver, exits) and, everywhere, when `daemon_pid` is gone
    (a watchdog thread: the daemon may not be the direct parent)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not alive(daemon_pid):  # it died before the line above took effect
        os._exit(0)
    threading.Thread(target=_watch, args=(daemon_pid,), name="exit-with-daemon",
                     daemon=True).start()


def _watch(daemon_pid: int) -> None:
    while alive(daemon_pid):
        time.sleep(WATCH_INTERVAL)
    os._exit(0)


def alive(pid: int) -> bool:
    """The process runs (a zombie waiting to be reaped counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return True  # no /proc: kill(0) is all we can know
