"""End to end over real SMTP: customer mail in -> AI reply at the relay, threaded and signed."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import CUSTOMER, SUPPORT, build_mail, relay_config, wait_until
from tests.relay.sink import SinkServer


async def send(gw: Gateway, raw: bytes, sender: str = CUSTOMER) -> None:
    import aiosmtplib

    host, port = gw.smtp_address
    await aiosmtplib.send(raw, sender=sender, recipients=[SUPPORT], hostname=host, port=port)


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


async def test_ai_reply_reaches_relay_threaded_signed_and_inlined(gw: Gateway,
                                                                  sink: SinkServer) -> None:
    await send(gw, build_mail(subject="Password help", message_id="q1@customer.test",
                              body="Hi, I forgot my password. How do I reset my password?"))
    await wait_until(lambda: sink.messages, timeout=20)
    mail_from, rcpts, raw = sink.messages[0]
    msg = parsed(raw)
    assert mail_from == SUPPORT and rcpts == [CUSTOMER]
    assert msg["From"].addresses[0].addr_spec == SUPPORT
    assert msg["Reply-To"].addresses[0].addr_spec == SUPPORT
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<q1@customer.test>"
    assert "<q1@customer.test>" in msg["References"]
    session = gw.db.read_sync(lambda c: sessions.list_sessions(c))[0]
    assert msg["Subject"] == f"Re: Password help [#{session['id']}]"
    assert f"opencx.{session['token']}." in msg["Message-ID"]
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert 'style="' in html and "<style" not in html.split("</head>")[-1]
    assert "password" in text.lower()
    assert html.count("Acme Support Team") == 1 and text.count("Acme Support Team") == 1
    assert "Wildcard team" not in html and "Default" not in html
    notes = [m["text"] for m in gw.db.read_sync(
        lambda c: sessions.session_messages(c, session["id"])) if m["kind"] == "note"]
    assert any(n.startswith("AI answered from account-access#") and "confidence" in n
               for n in notes), notes  # the evidence shows in `inbox show` and the UI

    # the customer's reply to the AI's mail threads back into the same session
    await send(gw, build_mail(subject=msg["Subject"], message_id="q2@customer.test",
                              body="Thanks, that worked.",
                              headers={"In-Reply-To": msg["Message-ID"],
                                       "References": msg["Message-ID"]}))
    await wait_until(lambda: len([m for m in gw.db.read_sync(
        lambda c: sessions.session_messages(c, session["id"])) if m["role"] == "customer"]) >= 2)
    assert len(gw.db.read_sync(lambda c: sessions.list_sessions(c))) == 1


async def test_quick_followups_get_one_answer(tmp_path: Path, sink: SinkServer,
                                              secrets: Secrets) -> None:
    gateway = Gateway(relay_config(tmp_path, sink, agent={"debounce_seconds": 1.0}), secrets)
    await gateway.start()
    try:
        for n in range(3):
            await send(gateway, build_mail(subject="Reset", message_id=f"f{n}@customer.test",
                                           body="How do I reset my password?"))
        await wait_until(lambda: sink.messages, timeout=20)
        await wait_until(lambda: not gateway.db.read_sync(
            lambda c: queues.has_pending(c, ("process", "agent", "outbox"))), timeout=20)
        assert len(sink.messages) == 1
        assert parsed(sink.messages[0][2])["In-Reply-To"] == "<f2@customer.test>"
    finally:
        await gateway.stop()


async def test_human_request_is_marked_for_handoff_not_answered(gw: Gateway,
                                                                sink: SinkServer) -> None:
    await send(gw, build_mail(subject="Refund", body="I want to speak to a human right now."))

    def handed_off() -> dict | None:
        rows = gw.db.read_sync(lambda c: sessions.list_sessions(c, status="handed_off"))
        return rows[0] if rows else None

    session = await wait_until(handed_off, timeout=20)
    assert session["handoff_reason"] == "user_request"
    assert session["language"] == "en"
    assert session["sentiment_label"] in {"negative", "neutral", "positive"}
    assert session["summary"]
    assert sink.messages == []
