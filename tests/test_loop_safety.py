"""Loop safety: no AI answer to auto-replies, bounces, lists, no-reply, own mail; the cap holds."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import build_mail, make_config, wait_until

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
SUPPORT = "support@example.com"
NOT_ANSWERED = [
    "ooo_exchange_automatic_reply.eml", "ooo_gmail_vacation.eml", "ooo_zimbra.eml",
    "ooo_subject_only_abwesenheitsnotiz.eml", "dsn_multipart_report.eml",
    "postfix_bounce_null_sender.eml", "list_mailman.eml", "newsletter_bulk_noreply.eml",
    "noreply_notification.eml", "own_address_loop.eml", "gmail_forwarding_confirmation.eml",
]


@pytest.fixture
async def gw(tmp_path: Path, secrets: Secrets) -> AsyncIterator[Gateway]:
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": SUPPORT}]},
                      agent={"reply_cap": {"max_replies": 2, "window_minutes": 60}})
    gateway = Gateway(cfg, secrets)
    await gateway.start()
    yield gateway
    await gateway.stop()


def envelope_sender(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return_path = (msg.get("Return-Path") or "").strip().strip("<>")
    return return_path


async def deliver(gw: Gateway, raw: bytes, sender: str) -> None:
    host, port = gw.smtp_address
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.mail(sender)  # "" is the null sender of bounces
        await client.rcpt(SUPPORT)
        await client.data(raw)


def idle(gw: Gateway) -> bool:
    return not gw.db.read_sync(lambda c: queues.has_pending(c, ("process", "agent", "outbox")))


def maildir_files(gw: Gateway) -> list[Path]:
    new = gw.cfg.outbound.maildir / "new"
    return list(new.iterdir()) if new.exists() else []


@pytest.mark.parametrize("name", NOT_ANSWERED)
async def test_machine_mail_is_recorded_never_answered(gw: Gateway, name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    await deliver(gw, raw, envelope_sender(raw))
    await wait_until(lambda: gw.db.read_sync(lambda c: c.execute(
        "SELECT state FROM inbound").fetchone()[0] != "queued"))
    await wait_until(lambda: idle(gw))
    inbound = gw.db.read_sync(lambda c: dict(c.execute("SELECT * FROM inbound").fetchone()))
    assert inbound["kind"] != "normal"
    agent_jobs = gw.db.read_sync(lambda c: queues.list_jobs(
        c, statuses=queues.STATUSES, queue="agent"))
    assert agent_jobs == []
    assert maildir_files(gw) == []


async def test_reply_cap_holds_per_customer(gw: Gateway) -> None:
    for n in range(4):
        await deliver(gw, build_mail(to=SUPPORT, subject=f"Question {n}",
                                     body="How do I reset my password?"), "jane@customer.test")
    await wait_until(lambda: gw.db.read_sync(lambda c: c.execute(
        "SELECT COUNT(*) FROM inbound WHERE state='processed'").fetchone()[0]) == 4)
    await wait_until(lambda: idle(gw), timeout=20)
    assert len(maildir_files(gw)) == 2
    notes = gw.db.read_sync(lambda c: c.execute(
        "SELECT COUNT(*) FROM messages WHERE role='system' AND text LIKE 'reply cap%'"
    ).fetchone()[0])
    assert notes == 2
    assert len(gw.db.read_sync(lambda c: sessions.list_sessions(c))) == 4
