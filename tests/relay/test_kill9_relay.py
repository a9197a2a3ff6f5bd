"""kill -9 while the relay holds our QUIT: a mail the relay took (250) is never sent again."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import aiosmtplib

from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import SUPPORT, build_mail

from .sink import SinkServer

CUSTOMERS = 8


async def _wait(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _sent_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM outgoing WHERE status='sent'").fetchone()[0])


def message_ids(sink: SinkServer) -> list[str]:
    parser = BytesHeaderParser()
    return [str(parser.parsebytes(raw)["Message-ID"]) for _, _, raw in sink.messages]


async def test_kill_9_after_the_relays_250_sends_no_duplicate(tmp_path: Path) -> None:
    sink = await SinkServer().start()
    sink.hold_quit()  # each relay session stops after its 250, before the 221
    port = free_port()
    db = tmp_path / "gw.db"
    config = write_config(
        tmp_path, port, agent={"debounce_seconds": 0}, queues={"concurrency": 4},
        outbound={"mode": "smtp", "render_processes": 0,
                  # one connection per mail, so each send ends in the QUIT the sink holds
                  "relay": {"host": "127.0.0.1", "port": sink.port, "timeout": 60,
                            "keepalive_seconds": 0}},
    )
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log)
    try:
        await wait_port(port)
        for n in range(CUSTOMERS):
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as c:
                await c.sendmail(f"c{n}@customer.test", [SUPPORT],
                                 build_mail(sender=f"c{n}@customer.test", subject=f"q {n}",
                                            body="How do I reset my password?"))
        # every outbox slot is now waiting for a 221 the sink holds back
        await _wait(lambda: sink.quits >= 4 or proc.poll() is not None)
        assert proc.poll() is None, log.read_text()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sink.release_quit()
        held = len(sink.messages)
        assert held >= 4

        proc = start_daemon(config, log)
        await wait_port(port)
        await _wait(lambda: _sent_rows(db) >= CUSTOMERS)
        await _wait(lambda: len(sink.messages) >= CUSTOMERS)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        await sink.stop()

    ids = message_ids(sink)
    duplicates = {mid: n for mid, n in Counter(ids).items() if n > 1}
    assert duplicates == {}, f"{len(duplicates)} replies sent twice after kill -9"
    assert len(ids) == CUSTOMERS


async def test_a_resent_reply_carries_the_same_message_id_and_bytes(tmp_path: Path) -> None:
    """Should a crash still fall between the 250 and our commit, the resend is identical."""
    from gateway.config import RelayConfig
    from gateway.smtp.relay import SmtpRelay
    from tests.relay.test_smtp_relay import raw_message

    sink = await SinkServer().start()
    try:
        relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=sink.port, timeout=5), None, "gw")
        raw = raw_message("fixed.id@gw.test")
        await relay.send("support@acme.test", "jane@customer.test", raw)
        await relay.send("support@acme.test", "jane@customer.test", raw)
    finally:
        await sink.stop()
    assert message_ids(sink) == ["<fixed.id@gw.test>"] * 2
    assert sink.messages[0][2] == sink.messages[1][2]


async def test_a_mail_marked_accepted_before_a_crash_is_not_sent_again(
        gw: Any, sink: SinkServer) -> None:
    """The restart half of the mark: accepted by the relay, killed before the commit
    (the mark is a file on SQLite, a row of the shared database on PostgreSQL)."""
    from gateway.outbox import queue_mail
    from tests.relay.test_smtp_relay import raw_message

    marks = gw.workers["outbox"].marks
    await marks.accepted("marked@gw.test")
    now = gw.clock()
    oid = await gw.db.write(lambda c: queue_mail(
        c, gw.cfg, session_id=None, message_row=None, message_id="marked@gw.test",
        mail_from="support@acme.test", rcpt_to="jane@customer.test",
        raw=raw_message("marked@gw.test"), now=now))

    row = await _wait_row(gw, oid)
    assert row["status"] == "sent" and "before a restart" in row["relay_response"]
    assert sink.messages == []
    assert await marks.state("marked@gw.test") is None  # removed once the database says sent


async def _wait_row(gw: Any, oid: int) -> dict:
    from gateway.storage import sessions
    from tests.conftest import wait_until

    return await wait_until(lambda: (r := gw.db.read_sync(
        lambda c: sessions.get_outgoing(c, oid))) and r["status"] == "sent" and r)
