"""Disk full: the daemon answers 451 (never 5xx) once it cannot write, and loses nothing it took."""

from __future__ import annotations

import asyncio
import resource
import signal
import sqlite3
import time
from pathlib import Path

import aiosmtplib

from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import SUPPORT, build_mail

LIMIT = 4 * 2**20  # bytes any one file of the daemon may grow to (RLIMIT_FSIZE)


def limit() -> None:
    """Runs in the child before exec; SIG_IGN survives exec, so writes fail with EFBIG."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


async def test_disk_full_answers_451_and_keeps_what_it_accepted(tmp_path: Path) -> None:
    port = free_port()
    db_path = tmp_path / "gw.db"
    config = write_config(tmp_path, port, agent={"debounce_seconds": 3600})
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log, preexec_fn=limit)
    accepted: dict[str, str] = {}
    codes: list[int] = []
    try:
        await wait_port(port)
        body = ("x" * 76 + "\n") * 2600  # ~200 KB per message
        for n in range(60):
            mid = f"full-{n}@customer.test"
            raw = build_mail(subject=f"big {n}", message_id=mid, body=body)
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=20) as c:
                await c.mail("jane@customer.test")
                await c.rcpt(SUPPORT)
                try:
                    code, msg = await c.data(raw)
                except aiosmtplib.SMTPDataError as exc:
                    code, msg = exc.code, exc.message
            codes.append(code)
            if code == 250:
                accepted[mid] = msg.rsplit(" ", 1)[1]
            if codes.count(451) >= 3:
                break
        assert proc.poll() is None, "the daemon must survive a full disk"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 451 in codes, f"never hit the limit: {codes}"
    assert all(c in (250, 451) for c in codes), codes
    assert accepted, "nothing was accepted before the disk filled"

    proc = start_daemon(config, log)  # space again: restart without the limit
    try:
        await wait_port(port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(db_path) as conn:
                rows = dict(conn.execute("SELECT id, state FROM inbound").fetchall())
            if all(rows.get(i) == "processed" for i in accepted.values()):
                break
            await asyncio.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert all(rows.get(i) == "processed" for i in accepted.values())
