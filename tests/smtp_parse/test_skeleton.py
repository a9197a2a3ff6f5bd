"""Big mail is parsed without its attachment bodies, with the same result and a fraction of
the memory (gateway.smtp.skeleton)."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import tracemalloc

import pytest

from gateway.smtp import skeleton
from gateway.smtp.parse import ParsedMail, _build, parse_message

PDF = bytes(range(256)) * 8000  # 2 MB: far above the size where bodies are left out


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def mail(*parts: bytes, boundary: str = "outer", head: str = "") -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        "From: Jane <jane@customer.test>\r\nTo: support@acme.test\r\nSubject: Big one\r\n"
        f"Message-ID: <big@customer.test>\r\nMIME-Version: 1.0\r\n{head}"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\npreamble\r\n'
    ).encode() + body + b"--" + boundary.encode() + b"--\r\nepilogue\r\n"


TEXT = b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease see the attached scan.\r\n"
HTML = b"Content-Type: text/html\r\n\r\n<p>Please see the <b>scan</b>.</p>\r\n"
ATTACHED = (b'Content-Type: application/pdf; name="scan.pdf"\r\nContent-Disposition: '
            b'attachment; filename="scan.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + b64(PDF))
INLINE = (b"Content-Type: image/png\r\nContent-ID: <logo@x>\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PDF[:300_000]))
ALTERNATIVE = (b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n' + TEXT
               + b"\r\n--alt\r\n" + HTML + b"\r\n--alt--\r\n")
QP = (b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable"
      b"\r\n\r\n" + quopri.encodestring(PDF[:200_000]).replace(b"\n", b"\r\n"))
EIGHT_BIT = b"Content-Type: text/csv; name=\"data.csv\"\r\n\r\n" + b"a,b,c\r\n" * 40_000
NO_HEADERS = b"\r\nA part without headers is plain text.\r\n"

SHAPES = {
    "text + pdf": mail(TEXT, ATTACHED),
    "alternative + inline image + pdf": mail(ALTERNATIVE, INLINE, ATTACHED),
    "nested related": mail(
        b'Content-Type: multipart/related; boundary="rel"\r\n\r\n--rel\r\n' + HTML
        + b"\r\n--rel\r\n" + INLINE + b"\r\n--rel--\r\n", ATTACHED),
    "quoted-printable + 8-bit csv": mail(TEXT, QP, EIGHT_BIT, ATTACHED),
    "part without headers": mail(NO_HEADERS, ATTACHED),
    "single-part pdf": (b"From: a@customer.test\r\nSubject: scan\r\nContent-Type: "
                        b"application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + b64(PDF)),
}


def full_parse(raw: bytes) -> ParsedMail:
    return _build(email.message_from_bytes(raw, policy=email.policy.default))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_slim_parse_equals_the_full_parse(shape: str) -> None:
    raw = SHAPES[shape]
    assert skeleton.slim(raw) is not None and len(skeleton.slim(raw) or b"") < 20_000
    slim, full = parse_message(raw), full_parse(raw)
    assert slim.attachments == full.attachments and slim.attachments
    assert (slim.text, slim.html, slim.headers, slim.subject, slim.message_id) == (
        full.text, full.html, full.headers, full.subject, full.message_id)
    assert skeleton.SIZE_HEADER.lower() not in slim.headers


def test_parsing_a_big_mail_holds_no_copy_of_it() -> None:
    raw = mail(TEXT, *(ATTACHED,) * 4)  # about 11 MB
    tracemalloc.start()
    try:
        parse_message(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(raw) / 10, (peak, len(raw))  # the full parse peaks near 8 x len(raw)


@pytest.mark.parametrize("broken", [
    mail(TEXT, ATTACHED)[:-30],  # no closing delimiter
    mail(TEXT, ATTACHED, b"Content-Type: text/plain"),  # a part whose headers never end
])
def test_anything_unexpected_is_parsed_as_it_is(broken: bytes) -> None:
    assert skeleton.slim(broken) is None
    assert parse_message(broken).text == full_parse(broken).text


def test_small_mail_and_a_forged_size_header_change_nothing() -> None:
    small = mail(TEXT, b"Content-Type: application/pdf\r\n\r\nxyz\r\n")
    assert skeleton.slim(small) is None
    forged = ATTACHED.replace(b"\r\n\r\n", b"\r\nX-Opencx-Omitted-Size: 1\r\n\r\n", 1)
    assert parse_message(mail(TEXT, forged)).attachments[0].size == len(PDF)
