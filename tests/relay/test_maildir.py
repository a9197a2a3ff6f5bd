"""MaildirRelay: real files in a real Maildir, one per Message-ID across retries and crashes."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from gateway.config import OutboundConfig, Secrets
from gateway.mime import MailHeaderError
from gateway.smtp.relay import MaildirRelay, build_relay

FROM = "support@acme.test"
TO = "jane@customer.test"


def raw(message_id: str | None, body: str = "Hello") -> bytes:
    ident = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    return (
        f"From: {FROM}\r\nTo: {TO}\r\nSubject: hi\r\n{ident}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
    ).encode()


def files(path: Path) -> list[Path]:
    return sorted((path / "new").iterdir())


async def test_delivers_into_new_with_envelope_headers(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    result = await relay.send(FROM, TO, raw("a1@gw.test"))
    [stored] = files(tmp_path / "md")
    assert result.endswith(stored.name)
    msg = message_from_bytes(stored.read_bytes(), policy=default_policy)
    assert msg["Return-Path"] == f"<{FROM}>" and msg["Delivered-To"] == TO
    assert msg["Message-ID"] == "<a1@gw.test>" and b"\r\n" not in stored.read_bytes()


async def test_same_message_id_is_stored_once(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    first = await relay.send(FROM, TO, raw("a1@gw.test"))
    second = await relay.send(FROM, TO, raw("a1@gw.test", body="retry"))
    assert "duplicate" in second and first.rsplit("/", 1)[1] in second
    await relay.send(FROM, TO, raw("a2@gw.test"))
    assert len(files(tmp_path / "md")) == 2


async def test_index_survives_a_restart(tmp_path: Path) -> None:
    await MaildirRelay(tmp_path / "md").send(FROM, TO, raw("a1@gw.test"))
    again = await MaildirRelay(tmp_path / "md").send(FROM, TO, raw("a1@gw.test"))
    assert "duplicate" in again and len(files(tmp_path / "md")) == 1


async def test_crash_between_store_and_index_does_not_duplicate(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    await relay.send(FROM, TO, raw("a1@gw.test"))
    [marker] = [p for p in (tmp_path / "md" / relay.INDEX_DIR).iterdir()]
    marker.write_text("")  # as if we died after the file landed but before the key was noted
    again = await MaildirRelay(tmp_path / "md").send(FROM, TO, raw("a1@gw.test"))
    assert "duplicate" in again and len(files(tmp_path / "md")) == 1
    assert marker.read_text().strip() in again


async def test_crash_before_store_delivers_on_retry(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    await relay.send(FROM, TO, raw("other@gw.test"))
    await relay.send(FROM, TO, raw("a1@gw.test"))
    box = mailbox.Maildir(tmp_path / "md", create=False)
    key = next(k for k in box.iterkeys() if b"a1@gw.test" in box.get_bytes(k))
    box.remove(key)  # the marker says "in progress" and the file never arrived
    for marker in (tmp_path / "md" / relay.INDEX_DIR).iterdir():
        if marker.read_text().strip() == key:
            marker.write_text("")
    result = await MaildirRelay(tmp_path / "md").send(FROM, TO, raw("a1@gw.test"))
    assert "duplicate" not in result and len(files(tmp_path / "md")) == 2


async def test_without_message_id_identical_bytes_count_as_one(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    await relay.send(FROM, TO, raw(None))
    await relay.send(FROM, TO, raw(None))
    await relay.send(FROM, TO, raw(None, body="different"))
    assert len(files(tmp_path / "md")) == 2


async def test_envelope_injection_is_refused(tmp_path: Path) -> None:
    relay = MaildirRelay(tmp_path / "md")
    with pytest.raises(MailHeaderError):
        await relay.send(FROM, f"{TO}\nBcc: evil@x.test", raw("a1@gw.test"))
    assert files(tmp_path / "md") == []


def test_build_relay_defaults_to_maildir(tmp_path: Path) -> None:
    relay = build_relay(OutboundConfig(maildir=tmp_path / "out"), Secrets(), "gw.test")
    assert isinstance(relay, MaildirRelay) and (tmp_path / "out" / "new").is_dir()
