"""The automated-mail corpus through a running gateway: nothing answered, nothing threaded."""

from __future__ import annotations

import time
from pathlib import Path

import aiosmtplib

from gateway.answering import request_handoff
from gateway.daemon import Gateway
from gateway.smtp.parse import normalize_email, parse_message
from gateway.storage import sessions
from tests.conftest import make_config, wait_until
from tests.smtp_parse.test_fixtures_pipeline import CLASSIFIED, envelope_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
CUSTOMER = "jane.doe@customer.example"


async def _send(gw: Gateway, raw: bytes, mail_from: str) -> None:
    host, port = gw.smtp_address
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.mail(mail_from)
        await client.rcpt("support@example.com")
        code, _ = await client.data(raw)
        assert code == 250


def _count(gw: Gateway, sql: str) -> int:
    return int(gw.db.read_sync(lambda c: c.execute(sql).fetchone()[0]))


def _pending(gw: Gateway) -> bool:
    return _count(gw, "SELECT COUNT(*) FROM inbound WHERE state='queued'") > 0


async def test_no_automated_mail_is_answered_threaded_or_handed_off(tmp_path: Path,
                                                                     secrets) -> None:
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": "support@example.com"}]},
                      agent={"debounce_seconds": 3600})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        # an open session of the customer whose envelope address one bounce carries
        await _send(gw, (f"From: Jane Doe <{CUSTOMER}>\r\nTo: support@example.com\r\n"
                         "Subject: Where is my parcel\r\nMessage-ID: <q1@customer.example>\r\n"
                         "\r\nIt has been two weeks.\r\n").encode(), CUSTOMER)
        await wait_until(lambda: not _pending(gw))
        await gw.db.write(lambda c: request_handoff(  # its next mails join its ticket
            c, cfg, 10001, reason="customer_request", detail="", analysis=None, now=time.time()))
        before = gw.db.read_sync(lambda c: len(sessions.session_messages(c, 10001)))
        agent_jobs = _count(gw, "SELECT COUNT(*) FROM jobs WHERE queue='agent'")

        # the automated corpus, plus every machine-written mail of the main fixture corpus
        names = sorted((FIXTURES / "automated").glob("*.eml")) + [
            FIXTURES / name for name, (kind, _, _) in sorted(CLASSIFIED.items())
            if kind != "normal"]
        for path in names:
            raw = path.read_bytes()
            envelope = (envelope_of(path.name) if path.parent == FIXTURES else
                        normalize_email(parse_message(raw).headers.get("return-path", "")))
            await _send(gw, raw, envelope)
        await wait_until(lambda: not _pending(gw), timeout=30)

        assert _count(gw, "SELECT COUNT(*) FROM sessions") == 1
        assert gw.db.read_sync(lambda c: len(sessions.session_messages(c, 10001))) == before
        assert _count(gw, "SELECT COUNT(*) FROM jobs WHERE queue='agent'") == agent_jobs
        assert _count(gw, "SELECT COUNT(*) FROM jobs WHERE queue IN ('hubspot','outbox')") == 0
        ignored = _count(gw, "SELECT COUNT(*) FROM inbound WHERE state='ignored'")
        assert ignored == len(names)  # each one recorded, with its kind, for the operator
    finally:
        await gw.stop()
