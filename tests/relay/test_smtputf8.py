"""Issue 10 point 2a: a customer with a non-ASCII address is answered, or handed off visibly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosmtplib

from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import SUPPORT, make_config, relay_config, wait_until

from .sink import SinkServer

JOSE = "josé@correo.example"
MAIL = ("From: José García <josé@correo.example>\r\nTo: support@acme.test\r\n"
        "Subject: Password\r\nMessage-ID: <utf8-1@correo.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHow do I reset my password?\r\n")


async def _send(gw: Gateway) -> None:
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.sendmail(JOSE, [SUPPORT], MAIL.encode(), mail_options=["SMTPUTF8"])


def _session(gw: Gateway) -> dict[str, Any] | None:
    found = gw.db.read_sync(lambda c: sessions.latest_session_for_contact(
        c, JOSE, ("ai", "handed_off", "closed")))
    return found


def _outgoing(gw: Gateway) -> list[dict[str, Any]]:
    return [dict(r) for r in gw.db.read_sync(lambda c: c.execute(
        "SELECT status, rcpt_to, last_error, raw FROM outgoing").fetchall())]


async def _run(cfg: Any, secrets: Any) -> Gateway:
    gw = Gateway(cfg, secrets)
    await gw.start()
    return gw


async def test_maildir_mode_writes_the_reply(tmp_path: Path, secrets) -> None:
    gw = await _run(make_config(tmp_path), secrets)
    try:
        await _send(gw)
        [row] = await wait_until(lambda: [r for r in _outgoing(gw) if r["status"] == "sent"])
        assert row["rcpt_to"] == JOSE
        assert "To: José García <josé@correo.example>".encode() in row["raw"]
    finally:
        await gw.stop()


async def test_relay_with_smtputf8_gets_the_reply(tmp_path: Path, secrets) -> None:
    sink = await SinkServer(smtputf8=True).start()
    gw = await _run(relay_config(tmp_path, sink), secrets)
    try:
        await _send(gw)
        await wait_until(lambda: sink.deliveries)
        assert sink.deliveries[0].rcpt_tos == (JOSE,)
        assert "josé@correo.example".encode() in sink.deliveries[0].raw
    finally:
        await gw.stop()
        await sink.stop()


async def test_relay_without_smtputf8_hands_off_with_the_reason(tmp_path: Path, secrets) -> None:
    sink = await SinkServer().start()
    gw = await _run(relay_config(tmp_path, sink), secrets)
    try:
        await _send(gw)
        session = await wait_until(
            lambda: (s := _session(gw)) is not None and s["status"] == "handed_off" and s)
        assert "SMTPUTF8" in session["handoff_detail"]
        assert sink.deliveries == []
        assert [r["status"] for r in _outgoing(gw)] == ["dead"]
    finally:
        await gw.stop()
        await sink.stop()


async def test_an_address_no_reply_can_be_built_for_is_handed_off(tmp_path: Path,
                                                                   secrets) -> None:
    gw = await _run(make_config(tmp_path), secrets)
    bad = "jane..doe@customer.example"  # accepted by MTAs, refused by RFC 5322 dot-atom
    try:
        host, port = gw.smtp_address or ("127.0.0.1", 0)
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.sendmail("x@customer.example", [SUPPORT], (
                f"From: Jane <{bad}>\r\nTo: {SUPPORT}\r\nSubject: Password\r\n\r\n"
                "How do I reset my password?\r\n").encode())
        session = await wait_until(lambda: (s := gw.db.read_sync(
            lambda c: sessions.latest_session_for_contact(c, bad, ("handed_off",)))) and s)
        assert session["handoff_reason"] == "reply_undeliverable"
        assert bad in session["handoff_detail"]
    finally:
        await gw.stop()


async def test_a_dead_agent_job_hands_the_customer_to_a_human(tmp_path: Path,
                                                               secrets) -> None:
    from gateway.storage import queues

    gw = await _run(make_config(tmp_path, agent={"debounce_seconds": 3600}), secrets)
    try:
        await _send(gw)
        session = await wait_until(lambda: _session(gw))
        [job] = gw.db.read_sync(lambda c: queues.list_jobs(c, queue="agent"))
        await gw.workers["agent"].on_dead(job, "RuntimeError: model server crashed")
        found = _session(gw)
        assert found is not None and found["status"] == "handed_off"
        assert found["handoff_reason"] == "ai_failed"
        assert "model server crashed" in found["handoff_detail"]
        assert session["id"] == found["id"]
    finally:
        await gw.stop()
