"""Unit tests of the header, charset and body helpers behind parse_message."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from gateway.smtp.parse import (
    Address,
    normalize_email,
    parse_addresses,
    parse_date,
    parse_message,
    parse_message_ids,
)
from gateway.smtp.textcodec import decode_text, decode_words, html_to_text, unflow
from tests.smtp_parse.conftest import fixture_bytes


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?utf-8?b?w6TDtsO8?=", "äöü"),
        ("=?ISO-8859-1?Q?Caf=E9?= au lait", "Café au lait"),
        # whitespace between adjacent encoded words disappears (RFC 2047 §6.2)
        ("=?UTF-8?Q?a?=  =?UTF-8?Q?b?=", "ab"),
        # a multi-byte character split across two words is joined before decoding
        ("=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "€"),
        ("=?UTF-8?Q?x?= plain =?UTF-8?Q?y?=", "x plain y"),
        ("=?utf-8*en?q?lang_tag?=", "lang tag"),
        ("=?nonexistent-cs?Q?caf=C3=A9?=", "café"),
        ("=?utf-8?B?!!!bad?=", "=?utf-8?B?!!!bad?="),
        ("no words here", "no words here"),
        # raw spaces inside a word: invalid, but sent by real clients (issue 10.8)
        ("=?utf-8?Q?RE: Probl=C3=A8me de connexion?=", "RE: Problème de connexion"),
        ("=?utf-8?Q?Hello World?= =?utf-8?Q? again?=", "Hello World again"),
        ("=?UTF-8?B?SGVsbG8g V29ybGQ=?=", "Hello World"),
        ("a =?x and ?= b", "a =?x and ?= b"),
    ],
)
def test_decode_words(raw: str, want: str) -> None:
    assert decode_words(raw) == want


@pytest.mark.parametrize(
    ("data", "charset", "want"),
    [
        ("Grüße".encode(), "utf-8", "Grüße"),
        ("Grüße".encode("latin-1"), "iso-8859-1", "Grüße"),
        # iso-8859-1 labels mean windows-1252 (curly quotes survive)
        ("“quote”".encode("cp1252"), "iso-8859-1", "“quote”"),
        ("Grüße".encode(), "us-ascii", "Grüße"),
        ("Grüße".encode(), "x-unknown", "Grüße"),
        ("Grüße".encode("cp1252"), "utf-8", "Grüße"),
        ("日本語".encode("shift_jis"), "Shift_JIS", "日本語"),
        (b"caf\x81", None, "caf\ufffd"),
        (b"\\u00e9", "unicode_escape", "\\u00e9"),  # escape codecs are refused
        (b"plain", "base64", "plain"),  # bytes-to-bytes codecs are refused
        (b"x", '"UTF-8"', "x"),
    ],
)
def test_decode_text_fallbacks(data: bytes, charset: str | None, want: str) -> None:
    assert decode_text(data, charset) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("Jane Doe <Jane.Doe@Example.COM>", [("Jane Doe", "jane.doe@example.com")]),
        (
            '"Smith, J" <j@x.example>, b@y.example',
            [("Smith, J", "j@x.example"), ("", "b@y.example")],
        ),
        ("=?UTF-8?Q?M=C3=BCller=2C_Anna?= <anna@x.example>", [("Müller, Anna", "anna@x.example")]),
        ("undisclosed-recipients:;", []),
        ("<a@x.example>a@x.example", [("", "a@x.example")]),
        ("a@x.example b@y.example", [("", "a@x.example"), ("", "b@y.example")]),
        ('"a@x.example" <a@x.example>', [("", "a@x.example")]),
        ("Team: one@x.example, two@x.example;", [("", "one@x.example"), ("", "two@x.example")]),
        ('<"">', []),
        ("", []),
    ],
)
def test_parse_addresses(value: str, want: list[tuple[str, str]]) -> None:
    assert parse_addresses(value) == tuple(Address(n, e) for n, e in want)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("<Jane@Example.com>", "jane@example.com"),
        ("  jane@example.com. ", "jane@example.com"),
        ("<>", ""),
        ("", ""),
        ("not an address", ""),
        ("mailto:x@y.example", "x@y.example"),
    ],
)
def test_normalize_email(value: str, want: str) -> None:
    assert normalize_email(value) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("<a@x> <b@y>", ("a@x", "b@y")),
        ("<a@x>,\r\n <a@x>", ("a@x",)),
        ("<test-reference-id>", ("test-reference-id",)),
        ("bare@id.example other@id.example", ("bare@id.example", "other@id.example")),
        ("<broken id@x>", ("brokenid@x",)),
        ("garbage without ids", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_parse_message_ids(value: str | None, want: tuple[str, ...]) -> None:
    assert parse_message_ids(value) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("Tue, 4 Mar 2025 10:14:48 +0100", datetime(2025, 3, 4, 9, 14, 48, tzinfo=UTC)),
        ("Mon,  1 Jan 2024 03:27:12 -0500 (EST)", datetime(2024, 1, 1, 8, 27, 12, tzinfo=UTC)),
        ("4 Mar 2025 10:14:48 -0000", datetime(2025, 3, 4, 10, 14, 48, tzinfo=UTC)),
        ("Someday in April", None),
        ("", None),
        (None, None),
        ("Tue, 4 Mar 99999 10:14:48 +0100", None),
    ],
)
def test_parse_date(value: str | None, want: datetime | None) -> None:
    assert parse_date(value) == want


def test_unflow_joins_soft_breaks_and_keeps_quote_depth() -> None:
    text = "one \ntwo\n> quoted \n> more\n-- \nsig"
    assert unflow(text) == "one two\n> quoted more\n-- \nsig"
    assert unflow("ab  \ncd", delsp=True) == "ab cd"


def test_html_to_text_handles_declarations_and_garbage() -> None:
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>hi</p>') == "hi"
    assert html_to_text("") == ""
    assert html_to_text("<div>a<div>b</div></div>") == "a\nb"
    assert html_to_text("\x00<b>x</b>\x00") == "x"


def test_headers_mapping_first_value_decoded() -> None:
    raw = (
        b"Received: first\nReceived: second\nX-Thing: =?utf-8?q?caf=C3=A9?=\n"
        b"Subject:   lots   of\n   space\n\nbody\n"
    )
    mail = parse_message(raw)
    assert mail.headers["received"] == "first"
    assert mail.headers["x-thing"] == "café"
    assert mail.subject == "lots of space"


def test_text_part_declared_attachment_is_not_body() -> None:
    raw = (
        b"From: a@x.example\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nbody text\n"
        b"--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nattached\n"
        b"--b--\n"
    )
    mail = parse_message(raw)
    assert mail.text == "body text"
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        (None, "text/plain", 8)
    ]


def test_html_part_kept_raw_and_converted_when_no_plain() -> None:
    raw = b"From: a@x.example\nContent-Type: text/html\n\n<p>Hello <b>there</b></p>\n"
    mail = parse_message(raw)
    assert mail.html == "<p>Hello <b>there</b></p>\n"
    assert mail.text == "Hello there"


def test_empty_and_tiny_inputs() -> None:
    for raw in (b"", b"\n", b"\r\n\r\n", b"garbage", b"\x00\xff\xfe"):
        mail = parse_message(raw)
        assert mail.message_id is None
        assert mail.from_addr is None


def test_deep_nesting_is_cut_off() -> None:
    depth = 60
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth)
    )
    raw = b"From: a@x.example\n" + head + b"Content-Type: text/plain\n\ndeep\n"
    mail = parse_message(raw)
    assert "NestingTooDeep" in mail.defects
    assert mail.text == ""


def test_many_parts_are_capped() -> None:
    parts = b"".join(b"--b\nContent-Type: image/png\n\nx\n" for _ in range(700))
    raw = b'From: a@x.example\nContent-Type: multipart/mixed; boundary="b"\n\n' + parts + b"--b--\n"
    mail = parse_message(raw)
    assert len(mail.attachments) == 500
    assert "TooManyParts" in mail.defects


def test_huge_header_parses_fast() -> None:
    raw = fixture_bytes("huge_header_200kb.eml")
    assert len(raw) > 200_000
    start = time.perf_counter()
    for _ in range(5):
        mail = parse_message(raw)
    assert (time.perf_counter() - start) / 5 < 0.5
    assert len(mail.references) == 3201


def test_text_never_contains_nul_or_lone_surrogates() -> None:
    raw = (
        b"From: a@x.example\nSubject: a\x00b\n"
        b"Content-Type: text/plain; charset=utf-7\n\n+2D0-x\x00y\n"
    )
    mail = parse_message(raw)
    assert mail.subject == "ab"
    assert "\x00" not in mail.text
    mail.text.encode("utf-8")  # raises if a lone surrogate slipped through


def test_parser_failure_falls_back_to_headers_and_plain_body() -> None:
    depth = 3000  # deeper than the email package's recursion can follow
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth)
    )
    raw = b"From: Deep <deep@x.example>\nSubject: nested\nMessage-ID: <d@x.example>\n" + head
    mail = parse_message(raw + b"Content-Type: text/plain\n\nthe words\n")
    assert mail.defects == ("ParseFailure:RecursionError",)
    assert (mail.from_addr, mail.subject, mail.message_id) == (
        Address("Deep", "deep@x.example"),
        "nested",
        "d@x.example",
    )
    assert mail.content_type == "text/plain"
    assert mail.text.endswith("the words")
