"""The in-flight byte budget: big mails beyond it get 451 4.3.1, succeed on retry, none lost."""

from __future__ import annotations

import asyncio
import base64
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.budget import ByteBudget
from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import CUSTOMER, SUPPORT, make_config

MIB = 2**20


def big_mail(n: int, size: int) -> bytes:
    blob = base64.encodebytes(bytes(range(256)) * (size // 256 * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        f"From: Jane <{CUSTOMER}>\r\nTo: {SUPPORT}\r\nSubject: Scan {n}\r\n"
        f"Message-ID: <scan{n}@customer.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nPlease see the attached scan.\r\n"
        '--b\r\nContent-Type: application/pdf; name="scan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + blob + b"--b--\r\n"


def send(port: int, raw: bytes) -> tuple[int, str]:
    """One SMTP transaction; the DATA reply (code, text), whatever it is."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as s:
        s.ehlo()
        s.mail(CUSTOMER)
        s.rcpt(SUPPORT)
        code, msg = s.data(raw)
        return code, msg.decode()


@pytest.fixture
async def small_budget(tmp_path: Path, secrets: Secrets) -> AsyncIterator[Gateway]:
    config = make_config(tmp_path, memory={"inflight_bytes": 7 * MIB // 2})
    gw = Gateway(config, secrets)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def test_concurrent_big_mails_beyond_the_budget_get_451_then_succeed(
    small_budget: Gateway,
) -> None:
    gw = small_budget
    assert gw.smtp_address is not None
    port = gw.smtp_address[1]
    process = gw.workers["process"]
    await process.stop()  # nothing is parsed meanwhile: the holds stay until drained
    mails = [big_mail(n, 3 * MIB // 2) for n in range(3)]
    replies = await asyncio.gather(*(asyncio.to_thread(send, port, m) for m in mails))

    refused = [m for m, (code, _) in zip(mails, replies, strict=True) if code != 250]
    assert sorted(code for code, _ in replies) == [250, 250, 451], replies
    assert all(text.startswith("4.3.1") for code, text in replies if code == 451), replies
    assert gw.budget.in_use == sum(len(m) for m in mails) - len(refused[0])
    assert gw.handler is not None and gw.handler.stats["over_budget"] == 1
    async with aiohttp.ClientSession() as client, client.get(f"{gw.http_url}/metrics") as r:
        metrics = await r.text()
    values = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line[:1] != "#")
    assert float(values["opencx_gateway_inflight_bytes"]) == gw.budget.in_use
    assert float(values["opencx_gateway_inflight_budget_bytes"]) == 7 * MIB // 2
    assert float(values['opencx_gateway_messages_rejected_total{reason="inflight_budget"}']) == 1

    assert await process.drain() == 2  # parsing the accepted two releases their holds
    assert gw.budget.in_use == 0
    assert (await asyncio.to_thread(send, port, refused[0]))[0] == 250  # the sender's retry
    assert await process.drain() == 1 and gw.budget.in_use == 0

    def stored(c: Any) -> list[tuple[str, int]]:
        rows = sessions.list_sessions(c, limit=10)
        return sorted((r["subject"], r["message_count"]) for r in rows)

    assert await gw.db.read(stored) == [("Scan 0", 1), ("Scan 1", 1), ("Scan 2", 1)]


def test_budget_holds_refuses_and_releases() -> None:
    budget = ByteBudget(100)
    assert budget.try_hold("a", 60) and budget.try_hold("a", 60)  # the same mail once
    assert not budget.try_hold("b", 50) and budget.refused == 1
    budget.hold_anyway("c", 70)  # stored before a restart: taken even beyond the capacity
    assert budget.in_use == 130 and budget.peak == 130
    budget.release("a")
    budget.release("c")
    budget.release("unknown")
    assert budget.in_use == 0 and budget.try_hold("d", 500)  # alone, even a huge mail enters
    assert not budget.try_hold("e", 1)
