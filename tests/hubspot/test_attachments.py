"""Attachments both ways: customer files reach HubSpot Files and the inbox thread; rep files
reach the customer's mail (size cap, executables left out, never inline)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import CUSTOMER, SUPPORT, wait_until

from .conftest import HUMAN, emulator_of, hubspot_config, maildir_messages, wait_handoff

PDF = b"%PDF-1.4 fake invoice " + bytes(range(256)) * 2
BIG = b"x" * 5000


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(tmp_path, {"max_attachment_bytes": 4096})


async def send_with_files(gw: Gateway) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Jane Doe <{CUSTOMER}>", SUPPORT, "Invoice wrong"
    msg.set_content(HUMAN)
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(BIG, maintype="application", subtype="zip", filename="logs.zip")
    msg.add_attachment(b"\x89PNG inline", maintype="image", subtype="png", filename="logo.png",
                       disposition="inline")
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    await aiosmtplib.send(msg.as_bytes(), sender=CUSTOMER, recipients=[SUPPORT], hostname=host,
                          port=port)


async def test_customer_files_are_uploaded_and_attached_to_the_published_message(
        gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    await send_with_files(gateway)
    row = await wait_handoff(gateway, timeout=30)
    thread = emu.threads[row["thread_id"]]
    [incoming] = [emu.messages[m] for m in thread.message_ids
                  if emu.messages[m].get("direction") == "INCOMING"]
    [attachment] = incoming["attachments"]  # the zip is over the cap, the PNG inline
    assert attachment["type"] == "FILE" and attachment["name"] == "invoice.pdf"
    stored = emu.state.files[attachment["fileId"]]
    assert stored.data == PDF and stored.content_type == "application/pdf"
    assert stored.meta["access"] == "PRIVATE" and len(emu.state.files) == 1


async def test_rep_files_reach_the_customer_mail_as_attachments(gateway: Gateway,
                                                                config: Config) -> None:
    emu = emulator_of(gateway)
    await send_with_files(gateway)
    row = await wait_handoff(gateway, timeout=30)
    before = len(maildir_messages(config))
    await emu.rep_reply(row["thread_id"], "Here is the corrected invoice.", attachments=[
        ("invoice-fixed.pdf", "application/pdf", PDF),
        ("setup.exe", "application/x-msdownload", b"MZ\x90\x00"),
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("huge.bin", "application/octet-stream", BIG)])
    await wait_until(lambda: len(maildir_messages(config)) > before, 15)
    mail = maildir_messages(config)[-1]
    parts = {p.get_filename(): p for p in mail.iter_attachments()}
    assert set(parts) == {"invoice-fixed.pdf", "page.html"}
    assert parts["invoice-fixed.pdf"].get_content() == PDF
    assert parts["invoice-fixed.pdf"].get_content_type() == "application/pdf"
    assert parts["page.html"].get_content_type() == "application/octet-stream"
    assert all(p.get_content_disposition() == "attachment" for p in parts.values())
    assert "corrected invoice" in mail.get_body(("plain",)).get_content()
    history = await gateway.db.read(lambda c: sessions.session_messages(c, row["session_id"]))
    [agent] = [m for m in history if m["role"] == "agent"]
    skipped = {a["filename"]: a.get("skipped") for a in agent["attachments"]}
    assert skipped["setup.exe"] == "executable file type .exe"
    assert skipped["huge.bin"] == "larger than 4096 bytes"
