"""build_message: parse the bytes back and check headers, threading, parts and injection defence."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from gateway.mime import MAX_REFERENCES, MailHeaderError, OutgoingMail, build_message
from gateway.render import RenderedBody

DATE = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
BODY = RenderedBody(html="<p>Hello <b>Jane</b> — café</p>\n", text="Hello Jane — café\n")
MAIL = OutgoingMail(
    from_addr="support@acme.test",
    from_name="ACME Support",
    to_addr="jane@customer.test",
    to_name="Jane Doe",
    reply_to="support+acme.test@gw.test",
    subject="Re: my order",
    message_id="abc123@gw.test",
    in_reply_to="cust1@customer.test",
    references=("first@customer.test", "cust1@customer.test"),
    auto_submitted=True,
    extra_headers={"X-OpenCX-Session": "s-42"},
)


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def build(**changes: object) -> bytes:
    return build_message(replace(MAIL, **changes), BODY, date=DATE)  # type: ignore[arg-type]


def header_names(raw: bytes) -> list[str]:
    return [k.lower() for k in parse(raw)]


def test_headers_round_trip() -> None:
    msg = parse(build())
    assert msg["From"].addresses[0].display_name == "ACME Support"
    assert msg["From"].addresses[0].addr_spec == "support@acme.test"
    assert str(msg["To"]) == "Jane Doe <jane@customer.test>"
    assert str(msg["Reply-To"]) == "support+acme.test@gw.test"
    assert msg["Subject"] == "Re: my order"
    assert msg["Date"].datetime == DATE
    assert msg["Message-ID"] == "<abc123@gw.test>"
    assert msg["In-Reply-To"] == "<cust1@customer.test>"
    assert msg["References"] == "<first@customer.test> <cust1@customer.test>"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-OpenCX-Session"] == "s-42"


def test_human_reply_is_not_auto_submitted_and_has_no_reply_to() -> None:
    names = header_names(build(auto_submitted=False, reply_to=None))
    assert "auto-submitted" not in names and "reply-to" not in names


def test_first_message_has_no_threading_headers() -> None:
    names = header_names(build(in_reply_to=None, references=()))
    assert "in-reply-to" not in names and "references" not in names


def test_parts_text_then_html_utf8() -> None:
    msg = parse(build())
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    decoded = [p.get_content().replace("\r\n", "\n") for p in parts]
    assert decoded == [BODY.text, BODY.html]
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in parts)


def test_wire_format_is_7bit_crlf_and_short_lines() -> None:
    raw = build(subject="Grüße zur Bestellung " * 8, from_name="Zoë Support-Team")
    raw.decode("ascii")  # headers encoded, bodies quoted-printable
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and all(len(line) <= 78 for line in lines)


def test_non_ascii_names_and_subject_use_rfc2047() -> None:
    raw = build(from_name="Zoë Ünicode, Inc.", to_name='Jane "JD" Døe', subject="Grüße — 你好")
    assert b"=?utf-8?" in raw
    msg = parse(raw)
    assert msg["From"].addresses[0].display_name == "Zoë Ünicode, Inc."
    assert msg["To"].addresses[0].display_name == 'Jane "JD" Døe'
    assert msg["Subject"] == "Grüße — 你好"


def test_idn_domain_becomes_punycode() -> None:
    msg = parse(build(to_addr="jane@bücher.test"))
    assert msg["To"].addresses[0].addr_spec == "jane@xn--bcher-kva.test"


@pytest.mark.parametrize(
    "field",
    ["subject", "from_name", "to_name"],
)
@pytest.mark.parametrize(
    "attack",
    ["Hi\r\nBcc: evil@x.test", "Hi\nBcc: evil@x.test", "Hi\rBcc: evil@x.test",
     "Hi\r\n\r\n<html>body</html>", "Hi\x00\x1b\u2028Bcc: evil@x.test"],
)  # fmt: skip
def test_free_text_injection_is_neutralised(field: str, attack: str) -> None:
    raw = build(**{field: attack})
    msg = parse(raw)
    assert "bcc" not in header_names(raw)
    assert msg.get_content_type() == "multipart/alternative"
    header = {"subject": "Subject", "from_name": "From", "to_name": "To"}[field]
    value = str(msg[header])
    assert "\n" not in value and "\r" not in value and "\x00" not in value
    assert "Hi" in value


@pytest.mark.parametrize("field", ["from_addr", "to_addr", "reply_to"])
@pytest.mark.parametrize(
    "attack",
    ["jane@customer.test\r\nBcc: evil@x.test", "jane@customer.test\n", "jane\x00@customer.test",
     "Jane <jane@customer.test>", "jane@customer.test, evil@x.test", "no-at-sign",
     'ja"ne@customer.test', "jane@cust omer.test", "jane@-bad-.test", "jäne\u2028@customer.test",
     "jä..ne@customer.test", "jä\u00a0ne@customer.test", "j\ud800ne@customer.test"],
)  # fmt: skip
def test_bad_addresses_are_rejected(field: str, attack: str) -> None:
    with pytest.raises(MailHeaderError):
        build(**{field: attack})


def test_a_non_ascii_address_is_written_as_raw_utf8() -> None:
    """RFC 6532: sent with SMTPUTF8; no encoded-word may stand in an addr-spec."""
    raw = build(to_addr="jäne@customer.test")
    assert "To: Jane Doe <jäne@customer.test>\r\n".encode() in raw


@pytest.mark.parametrize(
    "attack",
    ["abc@gw.test\r\nBcc: evil@x.test", "<abc@gw.test>", "abc gw.test", "abc", "a b@gw.test",
     "abc@gw.test>\r\nX: y"],
)  # fmt: skip
def test_bad_message_id_is_rejected(attack: str) -> None:
    with pytest.raises(MailHeaderError):
        build(message_id=attack)


def test_bad_references_are_dropped_good_ones_kept() -> None:
    msg = parse(
        build(
            in_reply_to="parent@c.test\r\nBcc: evil@x.test",
            references=("<ok1@c.test>", "bad one@c.test", "ok2@c.test\nX-Evil: 1", "ok3@c.test"),
        )
    )
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["In-Reply-To"] is None
    assert msg["References"] == "<ok1@c.test> <ok3@c.test>"


def test_parent_is_appended_to_references_once() -> None:
    msg = parse(build(in_reply_to="p@c.test", references=("p@c.test", "a@c.test")))
    assert msg["References"] == "<a@c.test> <p@c.test>"
    assert msg["In-Reply-To"] == "<p@c.test>"


def test_long_reference_chains_keep_first_and_latest() -> None:
    refs = tuple(f"m{i}@c.test" for i in range(40))
    msg = parse(build(in_reply_to="m39@c.test", references=refs))
    kept = msg["References"].split()
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "<m0@c.test>" and kept[-1] == "<m39@c.test>"


@pytest.mark.parametrize("name", ["X-Bad\r\nBcc", "X Bad", "X:Bad", "Bcc", "from", "", "X-Ü"])
def test_extra_header_names_are_checked(name: str) -> None:
    with pytest.raises(MailHeaderError):
        build(extra_headers={name: "v"})


def test_extra_header_values_are_neutralised() -> None:
    msg = parse(build(extra_headers={"X-OpenCX-Session": "s-1\r\nBcc: evil@x.test"}))
    assert msg["Bcc"] is None and msg["X-OpenCX-Session"] == "s-1 Bcc: evil@x.test"


def test_date_must_be_aware_and_keeps_its_offset() -> None:
    with pytest.raises(ValueError):
        build_message(MAIL, BODY, date=datetime(2025, 1, 1))
    tz = timezone(timedelta(hours=2))
    raw = build_message(MAIL, BODY, date=datetime(2025, 1, 1, 12, tzinfo=tz))
    assert parse(raw)["Date"].endswith("+0200")


def test_same_input_same_bytes() -> None:
    assert build() == build()  # a retry that rebuilds the mail sends identical bytes
    assert build() != build(message_id="other@gw.test")
