"""kill -9 under load: every message answered 250 survives and is processed exactly once."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import aiosmtplib

from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import SUPPORT, build_mail


async def load(port: int, accepted: dict[str, str], stop: asyncio.Event, n: int) -> None:
    """One client: send until told to stop or the server dies; remember what got 250."""
    k = 0
    while not stop.is_set():
        mid = f"crash-{n}-{k}@customer.test"
        raw = build_mail(sender=f"c{n}@customer.test", subject=f"crash {n} {k}", message_id=mid)
        try:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5) as c:
                _, msg = await c.sendmail(f"c{n}@customer.test", [SUPPORT], raw)
            accepted[mid] = msg.rsplit(" ", 1)[1]
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            return
        k += 1


async def test_kill_9_loses_nothing_that_got_250(tmp_path: Path) -> None:
    port = free_port()
    db_path = tmp_path / "gw.db"
    config = write_config(tmp_path, port, agent={"debounce_seconds": 3600})
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log)
    accepted: dict[str, str] = {}
    try:
        await wait_port(port)
        stop = asyncio.Event()
        clients = [asyncio.create_task(load(port, accepted, stop, n)) for n in range(12)]
        while len(accepted) < 300:
            await asyncio.sleep(0.01)
            assert proc.poll() is None, log.read_text()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        await asyncio.gather(*clients)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    proc = start_daemon(config, log)
    try:
        await wait_port(port)
        deadline = time.monotonic() + 60
        while True:
            with sqlite3.connect(db_path) as conn:
                queued = conn.execute(
                    "SELECT COUNT(*) FROM inbound WHERE state='queued'").fetchone()[0]
            if queued == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]

    with sqlite3.connect(db_path) as conn:
        rows = dict(conn.execute("SELECT id, state FROM inbound").fetchall())
        per_message = dict(conn.execute(
            "SELECT message_id, COUNT(*) FROM messages WHERE role='customer' GROUP BY message_id"
        ).fetchall())
        dead = conn.execute("SELECT COUNT(*) FROM jobs WHERE status='dead'").fetchone()[0]
    lost = [mid for mid, iid in accepted.items() if iid not in rows]
    assert not lost, f"{len(lost)} messages got 250 but are missing"
    unprocessed = [iid for iid in accepted.values() if rows[iid] != "processed"]
    assert not unprocessed
    assert all(per_message.get(mid) == 1 for mid in accepted), "a message was recorded twice"
    assert dead == 0
