"""SMTP ingress over real loopback sockets: recipient policy, limits, durability, 451."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import CUSTOMER, SUPPORT, build_mail, make_config, wait_until


def _stored(gw: Gateway, inbound_id: str) -> dict | None:
    return gw.db.read_sync(lambda c: sessions.get_inbound(c, inbound_id))


async def test_accepts_support_address_and_stores_exact_bytes(gateway: Gateway, smtp_send) -> None:
    raw = build_mail(subject="Stored verbatim", body="x" * 100)
    reply = await smtp_send(raw)
    assert reply.startswith("2.0.0 queued as ")
    inbound_id = reply.rsplit(" ", 1)[1]
    row = _stored(gateway, inbound_id)
    assert row is not None
    assert row["mail_from"] == CUSTOMER and row["rcpt_tos"] == [SUPPORT]
    assert row["raw"].replace(b"\r\n", b"\n").rstrip() == raw.replace(b"\r\n", b"\n").rstrip()


async def test_forward_target_address_is_accepted(gateway: Gateway, smtp_send) -> None:
    reply = await smtp_send(build_mail(), rcpt=["support+acme.test@gw.test"])
    assert reply.startswith("2.0.0 queued as")


async def test_unknown_recipient_is_refused_at_rcpt(gateway: Gateway) -> None:
    host, port = gateway.smtp_address
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.mail(CUSTOMER)
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
            await client.rcpt("someone@elsewhere.test")
    assert err.value.code == 550
    assert "5.7.1" in err.value.message


async def test_too_many_recipients_get_452(tmp_path: Path, secrets) -> None:
    cfg = make_config(tmp_path, smtp={"max_recipients": 1, "support_addresses": [
        {"address": SUPPORT}, {"address": "help@acme.test"}]})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        host, port = gw.smtp_address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.mail(CUSTOMER)
            await client.rcpt(SUPPORT)
            with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
                await client.rcpt("help@acme.test")
        assert err.value.code == 452
    finally:
        await gw.stop()


async def test_oversize_message_gets_552_and_is_not_stored(tmp_path: Path, secrets) -> None:
    gw = Gateway(make_config(tmp_path, smtp={"max_message_bytes": 2000}), secrets)
    await gw.start()
    try:
        host, port = gw.smtp_address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.mail(CUSTOMER)
            await client.rcpt(SUPPORT)
            with pytest.raises(aiosmtplib.SMTPDataError) as err:
                await client.data(build_mail(body="y" * 5000))
        assert err.value.code == 552
        count = gw.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM inbound").fetchone()[0])
        assert count == 0
    finally:
        await gw.stop()


async def test_long_lines_are_accepted(gateway: Gateway, smtp_send) -> None:
    raw = build_mail(body="<p>" + "a" * 20000 + "</p>")
    reply = await smtp_send(raw)
    row = _stored(gateway, reply.rsplit(" ", 1)[1])
    assert b"a" * 20000 in row["raw"]


async def test_locked_database_answers_451_not_5xx(tmp_path: Path, secrets) -> None:
    cfg = make_config(tmp_path, storage={"busy_timeout_ms": 100, "url": None})  # SQLite's lock
    gw = Gateway(cfg, secrets)
    await gw.start()
    blocker = sqlite3.connect(cfg.storage.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        host, port = gw.smtp_address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.mail(CUSTOMER)
            await client.rcpt(SUPPORT)
            with pytest.raises(aiosmtplib.SMTPDataError) as err:
                await client.data(build_mail())
        assert err.value.code == 451
        assert "4.3.0" in err.value.message
        blocker.execute("ROLLBACK")
        # the sender retries and now succeeds
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            response = await client.sendmail(CUSTOMER, [SUPPORT], build_mail())
        assert "queued as" in response[1]
    finally:
        blocker.close()
        await gw.stop()


async def test_connection_cap_answers_421(tmp_path: Path, secrets) -> None:
    gw = Gateway(make_config(tmp_path, smtp={"max_sessions": 2}), secrets)
    await gw.start()
    host, port = gw.smtp_address
    held = []
    try:
        for _ in range(2):
            c = aiosmtplib.SMTP(hostname=host, port=port)
            await c.connect()
            held.append(c)
        reader, writer = await asyncio.open_connection(host, port)
        banner = await asyncio.wait_for(reader.readline(), 5)
        assert banner.startswith(b"421 4.7.0")
        writer.close()
        await writer.wait_closed()
    finally:
        for c in held:
            await c.quit()
        await gw.stop()


async def test_many_concurrent_sessions_all_durable_and_processed_once(gateway: Gateway) -> None:
    host, port = gateway.smtp_address

    async def client(n: int) -> list[str]:
        out = []
        async with aiosmtplib.SMTP(hostname=host, port=port) as c:
            for k in range(5):
                raw = build_mail(sender=f"user{n}@customer.test", subject=f"q{n}-{k}",
                                 message_id=f"m{n}.{k}@customer.test")
                _, msg = await c.sendmail(f"user{n}@customer.test", [SUPPORT], raw)
                out.append(msg.rsplit(" ", 1)[1])
        return out

    ids = [i for batch in await asyncio.gather(*(client(n) for n in range(20))) for i in batch]
    assert len(set(ids)) == 100

    def all_processed() -> bool:
        return gateway.db.read_sync(lambda c: c.execute(
            "SELECT COUNT(*) FROM inbound WHERE state='processed'").fetchone()[0]) == 100

    await wait_until(all_processed, timeout=30)
    counts = gateway.db.read_sync(lambda c: c.execute(
        "SELECT COUNT(*), COUNT(DISTINCT message_id) FROM messages WHERE role='customer'"
    ).fetchone())
    assert tuple(counts) == (100, 100)
    depth = gateway.db.read_sync(lambda c: queues.depths(c, now=0))
    assert depth.get("process", {}).get("dead", 0) == 0


async def test_swaks_delivers(gateway: Gateway) -> None:
    assert shutil.which("swaks"), "swaks is needed: apt-get install swaks (.ci/run does)"
    host, port = gateway.smtp_address
    proc = await asyncio.to_thread(
        subprocess.run,
        ["swaks", "--server", f"{host}:{port}", "--to", SUPPORT, "--from", CUSTOMER,
         "--header", "Subject: swaks test", "--body", "Where is my invoice?"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "250 2.0.0 queued as" in proc.stdout
    denied = await asyncio.to_thread(
        subprocess.run,
        ["swaks", "--server", f"{host}:{port}", "--to", "x@relay.test", "--from", CUSTOMER],
        capture_output=True, text=True, timeout=30,
    )
    assert denied.returncode != 0
    assert "550 5.7.1" in denied.stdout


async def test_disconnect_mid_data_stores_nothing(gateway: Gateway) -> None:
    host, port = gateway.smtp_address
    reader, writer = await asyncio.open_connection(host, port)
    await reader.readline()
    for line in (b"EHLO c.test", f"MAIL FROM:<{CUSTOMER}>".encode(),
                 f"RCPT TO:<{SUPPORT}>".encode(), b"DATA"):
        writer.write(line + b"\r\n")
        await writer.drain()
        while True:
            resp = await reader.readline()
            if resp[3:4] != b"-":
                break
    writer.write(b"Subject: half\r\n\r\npartial body")
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.2)
    count = gateway.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM inbound").fetchone()[0])
    assert count == 0



async def test_idle_client_is_disconnected(tmp_path: Path, secrets) -> None:
    gw = Gateway(make_config(tmp_path, smtp={"idle_timeout": 0.5}), secrets)
    await gw.start()
    try:
        host, port = gw.smtp_address
        reader, writer = await asyncio.open_connection(host, port)
        assert (await reader.readline()).startswith(b"220")
        rest = await asyncio.wait_for(reader.read(), 5)  # server closes after the timeout
        assert rest.startswith(b"421") or rest == b""
        writer.close()
    finally:
        await gw.stop()


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


async def test_every_fixture_is_accepted_and_processed_never_failed(tmp_path: Path,
                                                                    secrets) -> None:
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": "support@example.com"}]},
                      agent={"debounce_seconds": 3600})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        host, port = gw.smtp_address
        names = sorted(p.name for p in FIXTURES.glob("*.eml"))
        for name in names:
            async with aiosmtplib.SMTP(hostname=host, port=port) as client:
                await client.mail("sender@somewhere.test")
                await client.rcpt("support@example.com")
                code, _ = await client.data((FIXTURES / name).read_bytes())
                assert code == 250, name

        def states() -> dict[str, int]:
            return dict(gw.db.read_sync(lambda c: c.execute(
                "SELECT state, COUNT(*) FROM inbound GROUP BY state").fetchall()))

        await wait_until(lambda: "queued" not in states(), timeout=30)
        assert "failed" not in states()
        assert sum(states().values()) == len(names)
    finally:
        await gw.stop()
