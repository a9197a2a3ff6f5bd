"""SMTP conformance from outside testing (issues 10.5, 11.1): postmaster, bad addresses,
per-client connection cap, idle timeouts, connection reuse, command loops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest
import yaml

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import CUSTOMER, SUPPORT, build_mail, make_config, wait_until


class Wire:
    """A raw SMTP client on a socket: sends exact bytes, reads whole (multi-line) replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, address: tuple[str, int], local: str | None = None) -> Wire:
        reader, writer = await asyncio.open_connection(
            *address, local_addr=(local, 0) if local else None)
        return cls(reader, writer)

    async def reply(self) -> bytes:
        lines = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), 10)
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    async def cmd(self, line: bytes) -> bytes:
        self.writer.write(line + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def started(tmp_path: Path, secrets: Secrets, **smtp: object) -> Gateway:
    gw = Gateway(make_config(tmp_path, smtp=smtp), secrets)
    await gw.start()
    return gw


@pytest.fixture
async def wire(gateway: Gateway) -> AsyncIterator[Wire]:
    w = await Wire.open(gateway.smtp_address)
    assert (await w.reply()).startswith(b"220")
    assert (await w.cmd(b"EHLO client.test")).startswith(b"250")
    yield w
    await w.close()


# -- postmaster (RFC 5321 §4.5.1) -------------------------------------------------------------
async def test_postmaster_is_accepted_recorded_and_not_answered(gateway: Gateway,
                                                               tmp_path: Path) -> None:
    host, port = gateway.smtp_address
    ids = []
    for rcpt in ("postmaster@acme.test", "Postmaster@GW.TEST", "postmaster"):
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.ehlo()
            await client.mail("abuse-desk@isp.test")
            code, _ = await client.rcpt(rcpt)
            assert code == 250, rcpt
            raw = build_mail(sender="abuse-desk@isp.test", to=rcpt, subject="Spam complaint",
                             body="Your server sent us spam; please look at it.")
            _, msg = await client.data(raw)
            ids.append(msg.rsplit(" ", 1)[1])

    def done() -> list[dict] | None:
        rows = [gateway.db.read_sync(lambda c, i=i: sessions.get_inbound(c, i)) for i in ids]
        return rows if all(r and r["state"] != "queued" for r in rows) else None

    rows = await wait_until(done)
    assert [(r["state"], r["kind"], r["session_id"]) for r in rows] == [
        ("ignored", "postmaster", None)] * 3
    assert all("postmaster" in " ".join(r["reasons"]) for r in rows)
    assert gateway.db.read_sync(lambda c: sessions.list_sessions(c)) == []
    assert not any((tmp_path / "maildir").rglob("*.eml")) and not any(
        p.is_file() for p in (tmp_path / "maildir").rglob("*"))
    # The operator sees it: `inbox list --ignored` and `inbox raw ID`.
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(json.loads(gateway.cfg.model_dump_json())))
    cli = [sys.executable, "-m", "gateway.cli", "--config", str(config)]
    env = {"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k"}
    listed = subprocess.run([*cli, "inbox", "list", "--ignored"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("postmaster") == 3
    raw = subprocess.run([*cli, "inbox", "raw", ids[0]], capture_output=True, timeout=60,
                         env=env)
    assert raw.returncode == 0 and b"Your server sent us spam" in raw.stdout
    missing = subprocess.run([*cli, "inbox", "raw", "nope"], capture_output=True, text=True,
                             timeout=60, env=env)
    assert missing.returncode != 0 and "no inbound mail nope" in missing.stderr


async def test_help_still_lists_the_commands(wire: Wire) -> None:
    reply = await wire.cmd(b"HELP")
    assert reply.startswith(b"250") and b"MAIL" in reply and b"RCPT" in reply, reply


async def test_postmaster_of_a_foreign_domain_is_still_refused(wire: Wire) -> None:
    assert (await wire.cmd(b"MAIL FROM:<a@b.test>")).startswith(b"250")
    assert (await wire.cmd(b"RCPT TO:<postmaster@elsewhere.test>")).startswith(b"550")


# -- malformed addresses get 501/553, never 451 (a retry for days) or 250 ------------------------
@pytest.mark.parametrize("line", [
    b"RCPT TO:<\xff\xfe\xfd@acme.test>", b"RCPT TO:<support@\xc3\x28.test>",
    b"RCPT TO:<\x00@acme.test>", b"RCPT TO:<sup\x01port@acme.test>",
])
async def test_garbage_rcpt_is_refused_permanently(wire: Wire, line: bytes) -> None:
    assert (await wire.cmd(b"MAIL FROM:<jane@customer.test>")).startswith(b"250")
    reply = await wire.cmd(line)
    assert reply[:3] in (b"501", b"553"), reply
    assert (await wire.cmd(f"RCPT TO:<{SUPPORT}>".encode())).startswith(b"250")


@pytest.mark.parametrize("line", [
    b"MAIL FROM:<\x00@b.c>", b"MAIL FROM:<\xff\xfe@b.c>", b"MAIL FROM:<a\x7f@b.c>",
    b"MAIL FROM:<a@b\x1b.c>",
])
async def test_garbage_mail_from_is_refused(wire: Wire, line: bytes) -> None:
    reply = await wire.cmd(line)
    assert reply[:3] in (b"501", b"553"), reply
    assert (await wire.cmd(b"MAIL FROM:<>")).startswith(b"250")  # bounces stay welcome


@pytest.mark.parametrize("line", [b"VRFY <\xff@acme.test>", b"VRFY \xff\xfe"])
async def test_8bit_garbage_elsewhere_never_gets_451(wire: Wire, line: bytes) -> None:
    reply = await wire.cmd(line)
    assert reply[:1] in (b"2", b"5") and b"\xff" not in reply, reply


async def test_utf8_addresses_are_not_refused_as_garbage(wire: Wire) -> None:
    assert (await wire.cmd("MAIL FROM:<josé@correo.test> SMTPUTF8".encode())).startswith(b"250")
    assert (await wire.cmd("RCPT TO:<søren@elsewhere.test>".encode())).startswith(b"550")


# -- connections: one client cannot lock out the others ------------------------------------------
async def test_one_client_cannot_take_every_connection(tmp_path: Path, secrets: Secrets) -> None:
    gw = await started(tmp_path, secrets, max_sessions=10, max_sessions_per_client=3)
    held: list[Wire] = []
    try:
        banners = []
        for _ in range(10):
            w = await Wire.open(gw.smtp_address, "127.0.0.1")
            held.append(w)
            banners.append((await w.reply())[:3])
        assert banners == [b"220"] * 3 + [b"421"] * 7
        other = await Wire.open(gw.smtp_address, "127.0.0.2")  # a real sender elsewhere
        held.append(other)
        assert (await other.reply()).startswith(b"220")
        for w in held[:3]:
            await w.close()
        await wait_until(lambda: len(gw.smtp.active) == 1)  # type: ignore[union-attr]
        again = await Wire.open(gw.smtp_address, "127.0.0.1")  # slots are given back
        held.append(again)
        assert (await again.reply()).startswith(b"220")
    finally:
        for w in held:
            await w.close()
        await gw.stop()


async def test_idle_connection_is_dropped_sooner_than_one_in_a_mail(tmp_path: Path,
                                                                    secrets: Secrets) -> None:
    """No mail under way: `idle_timeout`; after MAIL FROM: the longer `command_timeout`."""
    gw = await started(tmp_path, secrets, idle_timeout=0.3, command_timeout=30)
    try:
        idle = await Wire.open(gw.smtp_address)
        busy = await Wire.open(gw.smtp_address)
        for w in (idle, busy):
            assert (await w.reply()).startswith(b"220")
            assert (await w.cmd(b"EHLO client.test")).startswith(b"250")
        assert (await busy.cmd(b"MAIL FROM:<jane@customer.test>")).startswith(b"250")
        assert await asyncio.wait_for(idle.reader.read(), 10) == b""  # closed by the server
        assert (await busy.cmd(f"RCPT TO:<{SUPPORT}>".encode())).startswith(b"250")
        assert (await busy.cmd(b"DATA")).startswith(b"354")
        busy.writer.write(build_mail() + b".\r\n")
        assert (await busy.reply()).startswith(b"250")
        await idle.close()
        await busy.close()
    finally:
        await gw.stop()


# -- connection reuse (issue 11.1) ----------------------------------------------------------------
async def test_one_connection_delivers_200_mails(gateway: Gateway) -> None:
    host, port = gateway.smtp_address
    ids = []
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        for n in range(200):
            raw = build_mail(subject=f"reuse {n}", message_id=f"reuse-{n}@customer.test")
            if n % 2:
                await client.rset()  # as relays do between mails
            _, msg = await client.sendmail(CUSTOMER, [SUPPORT], raw)
            ids.append(msg.rsplit(" ", 1)[1])
    assert len(set(ids)) == 200
    count = gateway.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM inbound")
                                 .fetchone()[0])
    assert count == 200


async def test_command_loops_without_mail_are_cut_off(tmp_path: Path, secrets: Secrets) -> None:
    gw = await started(tmp_path, secrets, command_limit=5)
    try:
        for verb in (b"NOOP", b"RSET", b"HELP", b"VRFY x", b"EHLO again.test"):
            w = await Wire.open(gw.smtp_address)
            assert (await w.reply()).startswith(b"220")
            replies = [(await w.cmd(verb))[:3] for _ in range(6)]
            assert replies[-1] == b"421", (verb, replies)
            assert b"421" not in replies[:-1], (verb, replies)
            await w.close()
        # Refused recipients count too (a dictionary attack is a loop without mail).
        w = await Wire.open(gw.smtp_address)
        await w.reply()
        await w.cmd(b"EHLO c.test")
        await w.cmd(b"MAIL FROM:<a@b.test>")
        replies = [(await w.cmd(f"RCPT TO:<guess{n}@acme.test>".encode()))[:3]
                   for n in range(5)]
        assert replies == [b"550"] * 4 + [b"421"]  # the EHLO was the fifth
        await w.close()
        # An accepted mail renews the allowance: NOOP between mails never runs out.
        host, port = gw.smtp_address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            for n in range(4):
                for _ in range(3):
                    await client.noop()
                await client.sendmail(CUSTOMER, [SUPPORT], build_mail(subject=f"n{n}"))
    finally:
        await gw.stop()


async def test_messages_per_connection_are_capped(tmp_path: Path, secrets: Secrets) -> None:
    gw = await started(tmp_path, secrets, max_messages_per_connection=3)
    try:
        host, port = gw.smtp_address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            for n in range(3):
                await client.sendmail(CUSTOMER, [SUPPORT], build_mail(subject=f"m{n}"))
            with pytest.raises(aiosmtplib.SMTPResponseException) as err:
                await client.mail(CUSTOMER)
        assert err.value.code == 421
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:  # a new one is fine
            await client.sendmail(CUSTOMER, [SUPPORT], build_mail(subject="after"))
    finally:
        await gw.stop()
