"""kill -9 under load: every message answered 250 survives and is processed exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiosmtplib
import yaml

from tests.conftest import SUPPORT, build_mail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENCX_GATEWAY_SECRET_KEY": "crash-test"}
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env,
    )


async def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            await w.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"daemon did not listen on {port}")


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
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.test",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": "127.0.0.1:0"},
        "storage": {"path": str(db_path)},
        "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": 3600},
        "outbound": {"maildir": str(tmp_path / "maildir")},
    }))
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
