"""Processing over real SMTP: threading rules, dedupe, forwarding verification, Gmail capture."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.smtp.verification import make_challenge
from gateway.storage import sessions
from tests.conftest import build_mail, make_config, wait_until
from tests.relay.sink import SinkServer

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
SUPPORT = "support@example.com"
FORWARD = "support+example.com@gateway.localhost"


@pytest.fixture
async def gw(tmp_path: Path, secrets: Secrets) -> AsyncIterator[Gateway]:
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": SUPPORT}]},
                      agent={"debounce_seconds": 3600})
    gateway = Gateway(cfg, secrets)
    await gateway.start()
    yield gateway
    await gateway.stop()


async def deliver(gw: Gateway, raw: bytes, sender: str = "jane@customer.test",
                  rcpt: str = SUPPORT) -> str:
    host, port = gw.smtp_address
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.mail(sender)
        await client.rcpt(rcpt)
        _, msg = await client.data(raw)
    inbound_id = msg.rsplit(" ", 1)[1]
    await wait_until(lambda: gw.db.read_sync(
        lambda c: sessions.get_inbound(c, inbound_id))["state"] != "queued")
    return inbound_id


def inbound(gw: Gateway, inbound_id: str) -> dict:
    return gw.db.read_sync(lambda c: sessions.get_inbound(c, inbound_id))


def mail(**kw: object) -> bytes:
    kw.setdefault("to", SUPPORT)
    return build_mail(**kw)  # type: ignore[arg-type]


async def test_reply_headers_and_subject_token_thread_into_the_session(gw: Gateway) -> None:
    first = inbound(gw, await deliver(gw, mail(subject="Invoice", message_id="a@c.test")))
    sid = first["session_id"]
    by_header = inbound(gw, await deliver(gw, mail(
        subject="Re: Invoice", message_id="b@c.test", headers={"In-Reply-To": "<a@c.test>"})))
    by_token = inbound(gw, await deliver(gw, mail(subject=f"Other words [#{sid}]",
                                                  message_id="c@c.test")))
    assert by_header["session_id"] == sid and by_token["session_id"] == sid


async def test_another_sender_never_joins_someone_elses_session(gw: Gateway) -> None:
    first = inbound(gw, await deliver(gw, mail(subject="Private", message_id="p1@c.test")))
    intruder = inbound(gw, await deliver(gw, mail(
        sender="mallory@evil.test", subject=f"Re: Private [#{first['session_id']}]",
        message_id="p2@evil.test", headers={"In-Reply-To": "<p1@c.test>"}),
        sender="mallory@evil.test"))
    assert intruder["session_id"] != first["session_id"]


async def test_duplicate_message_id_is_recorded_once(gw: Gateway) -> None:
    raw = mail(subject="Twice", message_id="dup@c.test")
    one = inbound(gw, await deliver(gw, raw))
    two = inbound(gw, await deliver(gw, raw))
    assert one["session_id"] == two["session_id"]
    msgs = gw.db.read_sync(lambda c: sessions.session_messages(c, one["session_id"]))
    assert [m["message_id"] for m in msgs] == ["dup@c.test"]


async def test_closed_session_is_not_reopened(gw: Gateway) -> None:
    first = inbound(gw, await deliver(gw, mail(subject="Done", message_id="d1@c.test")))
    now = time.time()
    await gw.db.write(lambda c: sessions.update_session(
        c, first["session_id"], now, status="closed", closed_at=now))
    again = inbound(gw, await deliver(gw, mail(subject="Re: Done", message_id="d2@c.test",
                                               headers={"In-Reply-To": "<d1@c.test>"})))
    assert again["session_id"] != first["session_id"]


async def test_returning_contact_with_open_handoff_is_appended(gw: Gateway) -> None:
    first = inbound(gw, await deliver(gw, mail(subject="Broken", message_id="h1@c.test")))
    now = time.time()
    await gw.db.write(lambda c: sessions.update_session(
        c, first["session_id"], now, status="handed_off"))
    new_topic = inbound(gw, await deliver(gw, mail(subject="Something else",
                                                   message_id="h2@c.test")))
    assert new_topic["session_id"] == first["session_id"]
    jobs = gw.db.read_sync(lambda c: [r[0] for r in c.execute(
        "SELECT payload FROM jobs WHERE queue='hubspot'")])
    assert any('"append"' in j for j in jobs)


async def test_mail_via_forward_verifies_the_address(gw: Gateway) -> None:
    await deliver(gw, mail(subject="Hello", message_id="f1@c.test"), rcpt=FORWARD)
    row = gw.db.read_sync(lambda c: sessions.list_addresses(c))[0]
    assert row["status"] == "verified" and row["last_mail_at"]


async def test_gmail_confirmation_is_captured_not_answered(gw: Gateway) -> None:
    raw = (FIXTURES / "gmail_forwarding_confirmation.eml").read_bytes()
    got = inbound(gw, await deliver(gw, raw, sender="forwarding-noreply@google.com",
                                    rcpt=FORWARD))
    assert got["state"] == "ignored" and got["kind"] == "verification"
    row = gw.db.read_sync(lambda c: sessions.list_addresses(c))[0]
    assert row["gmail_code"] and row["gmail_link"].startswith("https://")
    assert gw.db.read_sync(lambda c: sessions.list_sessions(c)) == []


async def test_our_challenge_coming_back_verifies_and_is_discarded(gw: Gateway) -> None:
    token = make_challenge(SUPPORT, gw.secret_key, time.time())
    raw = mail(sender="verify@gateway.localhost", subject="opencx-gateway forwarding test",
               headers={"X-OpenCX-Challenge": token})
    got = inbound(gw, await deliver(gw, raw, sender="support@example.com", rcpt=FORWARD))
    assert got["state"] == "ignored"
    row = gw.db.read_sync(lambda c: sessions.list_addresses(c))[0]
    assert row["verified_by"] in {"test mail returned", "mail received"}
    assert gw.db.read_sync(lambda c: sessions.list_sessions(c)) == []


async def test_test_mail_that_never_returns_fails_the_address(tmp_path: Path,
                                                              secrets: Secrets,
                                                              sink: SinkServer) -> None:
    now = [1_800_000_000.0]
    # through a relay (Maildir mode loops the test mail back, so it always returns)
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": SUPPORT}]},
                      outbound={"mode": "smtp", "render_processes": 0,
                                "relay": {"host": "127.0.0.1", "port": sink.port}})
    gateway = Gateway(cfg, secrets, clock=lambda: now[0])
    await gateway.start()
    try:
        await gateway.actions.send_test(SUPPORT)
        assert (await gateway.maintain())["challenges_failed"] == 0
        now[0] += 3601
        done = await gateway.maintain()
        assert done["challenges_failed"] == 1 and done["jobs_pruned"] == 0
        await wait_until(lambda: gateway.db.read_sync(lambda c: c.execute(
            "SELECT COUNT(*) FROM jobs WHERE queue='outbox' AND status='done'").fetchone()[0]))
        now[0] += 8 * 86400  # the outbox job of the test mail finished long ago
        assert (await gateway.maintain())["jobs_pruned"] >= 1
        row = gateway.db.read_sync(lambda c: sessions.list_addresses(c))[0]
        assert row["status"] == "failed" and "did not come back" in row["failure"]
    finally:
        await gateway.stop()
