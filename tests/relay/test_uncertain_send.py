"""kill -9 while the relay holds DATA (stored, no 250 yet): the mail is never sent a second time.

Before "sending" marks, a restarted instance (or, on PostgreSQL, another instance taking the
dead one's jobs) sent such a mail again: the customer got the same reply twice.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiosmtplib
import psycopg
import pytest

from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import SUPPORT, build_mail

from .sink import SinkServer
from .test_kill9_relay import message_ids

pytestmark = pytest.mark.timeout(240)
CUSTOMERS = 3


def _config(folder: Path, sink: SinkServer, uncertain: str, storage: dict[str, Any]) -> tuple[
        Path, int]:
    folder.mkdir(exist_ok=True)
    port = free_port()
    config = write_config(
        folder, port, agent={"debounce_seconds": 0}, queues={"concurrency": 4},
        storage=storage,
        outbound={"mode": "smtp", "uncertain": uncertain,
                  "relay": {"host": "127.0.0.1", "port": sink.port, "timeout": 60}},
    )
    return config, port


def _query(target: Path | str, sql: str) -> list[tuple[Any, ...]]:
    if isinstance(target, str):
        with psycopg.connect(target) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(target) as conn:
        return conn.execute(sql).fetchall()


async def _until(check: Any, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _ask(port: int) -> None:
    for n in range(CUSTOMERS):
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as c:
            await c.sendmail(f"c{n}@customer.test", [SUPPORT],
                             build_mail(sender=f"c{n}@customer.test", subject=f"q {n}",
                                        body="How do I reset my password?"))


def _settled(target: Path | str) -> bool:
    left = _query(target, "SELECT COUNT(*) FROM outgoing WHERE status NOT IN"
                          " ('sent', 'uncertain')")[0][0]
    return left == 0 and _query(target, "SELECT COUNT(*) FROM outgoing")[0][0] >= CUSTOMERS


async def _kill_while_relay_holds_data(first: Path, sink: SinkServer, log: Path) -> None:
    sink.hold_data()
    proc = start_daemon(first, log)
    try:
        port = int(str(_listen(first)).rsplit(":", 1)[1])
        await wait_port(port)
        await _ask(port)
        await _until(lambda: len(sink.messages) >= CUSTOMERS or proc.poll() is not None,
                     "every reply to reach the relay's DATA")
        assert proc.poll() is None, log.read_text()[-2000:]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    sink.release_data()  # the relay keeps what it stored; the sender never saw its 250


def _listen(config: Path) -> str:
    import yaml

    return yaml.safe_load(config.read_text())["smtp"]["listen"]


async def _run_until_settled(config: Path, target: Path | str, log: Path) -> None:
    proc = start_daemon(config, log)
    try:
        await _until(lambda: _settled(target) or proc.poll() is not None, "the outbox to settle")
        assert proc.poll() is None, log.read_text()[-2000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _check_handed_off(target: Path | str, sink: SinkServer) -> None:
    ids = Counter(message_ids(sink))
    assert len(ids) == CUSTOMERS and set(ids.values()) == {1}, ids  # never sent twice
    statuses = Counter(r[0] for r in _query(target, "SELECT status FROM outgoing"))
    assert statuses == {"uncertain": CUSTOMERS}
    reasons = [r[0] for r in _query(target, "SELECT handoff_reason FROM sessions")]
    assert reasons == ["reply_delivery_uncertain"] * CUSTOMERS
    notes = _query(target, "SELECT text FROM messages WHERE kind='delivery_uncertain'")
    assert len(notes) == CUSTOMERS and "may or may not have reached" in notes[0][0]


async def _crash_and_restart(tmp_path: Path, uncertain: str) -> tuple[Path, SinkServer]:
    sink = await SinkServer().start()
    db = tmp_path / "gw" / "gw.db"
    config, _ = _config(tmp_path / "gw", sink, uncertain, {"path": str(db)})
    try:
        await _kill_while_relay_holds_data(config, sink, tmp_path / "daemon.log")
        await _run_until_settled(config, db, tmp_path / "daemon.log")
    finally:
        await sink.stop()
    return db, sink


async def test_restarted_instance_hands_off_instead_of_resending(tmp_path: Path) -> None:
    db, sink = await _crash_and_restart(tmp_path, "handoff")
    _check_handed_off(db, sink)


async def test_uncertain_resend_sends_the_same_mail_again(tmp_path: Path) -> None:
    """``outbound.uncertain: resend``: at-least-once instead, the copy byte-identical."""
    db, sink = await _crash_and_restart(tmp_path, "resend")
    ids = Counter(message_ids(sink))
    assert len(ids) == CUSTOMERS and set(ids.values()) == {2}
    assert Counter(r[0] for r in _query(db, "SELECT status FROM outgoing")) == {
        "sent": CUSTOMERS}
    assert {r[0] for r in _query(db, "SELECT status FROM sessions")} == {"ai"}


async def test_another_instance_takes_over_without_resending(
        tmp_path: Path, pg_server: Any) -> None:
    """PostgreSQL: the marks are in the shared database, so the survivor sees them."""
    url = pg_server.new_database()
    sink = await SinkServer().start()
    shared = {"url": url, "heartbeat_seconds": 0.5, "dead_after_seconds": 2.0}
    first, _ = _config(tmp_path / "a", sink, "handoff", shared)
    second, _ = _config(tmp_path / "b", sink, "handoff", shared)
    try:
        await _kill_while_relay_holds_data(first, sink, tmp_path / "a.log")
        await _run_until_settled(second, url, tmp_path / "b.log")
    finally:
        await sink.stop()
    _check_handed_off(url, sink)
