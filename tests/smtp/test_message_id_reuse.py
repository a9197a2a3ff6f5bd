"""Issue 10 point 2b: dedupe on Message-ID *and* content; nobody left with an empty session."""

from __future__ import annotations

from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import build_mail, wait_until


def _rows(gw: Gateway, sql: str) -> list[tuple]:
    return [tuple(r) for r in gw.db.read_sync(lambda c: c.execute(sql).fetchall())]


def _settled(gw: Gateway) -> bool:
    return not _rows(gw, "SELECT 1 FROM inbound WHERE state='queued'")


async def test_another_mail_reusing_a_message_id_is_recorded_and_answered(
        gateway: Gateway, smtp_send) -> None:
    await smtp_send(build_mail(sender="jane@customer.test", subject="Refund",
                               body="Where is my refund?", message_id="same@mailer.test"),
                    mail_from="jane@customer.test")
    await wait_until(lambda: _settled(gateway))
    await smtp_send(build_mail(sender="bob@other.test", subject="Login",
                               body="I cannot log in.", message_id="same@mailer.test"),
                    mail_from="bob@other.test")
    await wait_until(lambda: _settled(gateway))

    found = _rows(gateway, "SELECT contact_email, id FROM sessions ORDER BY id")
    assert [email for email, _ in found] == ["jane@customer.test", "bob@other.test"]
    bob = found[1][1]
    found = gateway.db.read_sync(lambda c: [
        m for m in sessions.session_messages(c, bob) if m["role"] == "customer"])
    assert [m["text"] for m in found] == ["I cannot log in."]
    assert "message-id reused by a different mail" in found[0]["reasons"]  # shown as a flag
    # and bob is answered or handed off, not left waiting
    assert await wait_until(lambda: _rows(
        gateway, f"SELECT 1 FROM outgoing WHERE session_id={bob}"
                 f" UNION SELECT 1 FROM sessions WHERE id={bob} AND status='handed_off'"))


async def test_a_true_redelivery_is_deduped_without_an_empty_session(
        gateway: Gateway, smtp_send) -> None:
    raw = build_mail(subject="", body="Hello?", message_id="redelivered@customer.test")
    await smtp_send(raw)
    await wait_until(lambda: _settled(gateway))
    await smtp_send(raw)  # the sender's MTA retried after a lost 250
    await wait_until(lambda: _settled(gateway))

    assert _rows(gateway, "SELECT COUNT(*) FROM sessions") == [(1,)]
    assert _rows(gateway, "SELECT COUNT(*) FROM messages WHERE role='customer'") == [(1,)]
    empty = _rows(gateway, "SELECT id FROM sessions s WHERE NOT EXISTS"
                           " (SELECT 1 FROM messages m WHERE m.session_id=s.id)")
    assert empty == []
