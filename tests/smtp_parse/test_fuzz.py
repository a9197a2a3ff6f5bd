"""Property test: seeded random mutations of every fixture never make the pure functions raise."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

import pytest

from gateway.smtp.identify import identify_customer
from gateway.smtp.loops import KINDS, classify
from gateway.smtp.parse import Address, ParsedMail, parse_message
from gateway.smtp.quotes import strip_quotes
from gateway.smtp.tokens import session_token_from_ids
from gateway.smtp.verification import find_challenge, gmail_confirmation
from tests.smtp_parse.conftest import HOSTNAME, OWN, SUPPORT, all_fixture_names, fixture_bytes

ROUNDS_PER_FIXTURE = 40
NASTY = [
    b"\x00",
    b"\r",
    b"\n\n",
    b"\xff\xfe",
    b"=?utf-8?b?",
    b"=?x?q?=ZZ?=",
    b"--",
    b'boundary="',
    b"Content-Type: multipart/mixed; boundary=\n",
    b"Content-Transfer-Encoding: base64\n",
    b"charset=utf-7",
    b"<<<>>>",
    b"\xc3",
    b"\xe2\x80",
    b";;;;",
    b"(((",
    b'"',
    b"\\",
    b"@",
    b"\t ",
]


def _flip(data: bytearray, rng: random.Random) -> None:
    if data:
        data[rng.randrange(len(data))] = rng.randrange(256)


def _insert(data: bytearray, rng: random.Random) -> None:
    pos = rng.randrange(len(data) + 1)
    data[pos:pos] = rng.choice(NASTY) * rng.randint(1, 3)


def _delete(data: bytearray, rng: random.Random) -> None:
    if data:
        start = rng.randrange(len(data))
        del data[start : start + rng.randint(1, 64)]


def _duplicate(data: bytearray, rng: random.Random) -> None:
    if data:
        start = rng.randrange(len(data))
        chunk = data[start : start + rng.randint(1, 200)]
        pos = rng.randrange(len(data) + 1)
        data[pos:pos] = chunk


def _truncate(data: bytearray, rng: random.Random) -> None:
    if data:
        del data[rng.randrange(len(data)) :]


def _swap_lines(data: bytearray, rng: random.Random) -> None:
    lines = bytes(data).split(b"\n")
    if len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        data[:] = b"\n".join(lines)


MUTATIONS: list[Callable[[bytearray, random.Random], None]] = [
    _flip,
    _insert,
    _delete,
    _duplicate,
    _truncate,
    _swap_lines,
]


def mutate(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        rng.choice(MUTATIONS)(data, rng)
    return bytes(data)


def assert_well_formed(mail: ParsedMail) -> None:
    assert isinstance(mail, ParsedMail)
    assert mail.message_id is None or (mail.message_id and "<" not in mail.message_id)
    assert all(isinstance(i, str) and i for i in mail.in_reply_to + mail.references)
    assert isinstance(mail.subject, str) and "\n" not in mail.subject
    assert mail.date is None or (
        isinstance(mail.date, datetime) and mail.date.utcoffset() is not None
    )
    for addr in (mail.from_addr, mail.reply_to, *mail.to, *mail.cc):
        assert addr is None or (isinstance(addr, Address) and "@" in addr.email)
    for text in (mail.text, mail.subject, *mail.headers.values()):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: storable in SQLite


def exercise(mail: ParsedMail) -> None:
    assert classify(mail, "", OWN).kind in KINDS
    assert classify(mail, "x@y.example", OWN).kind in KINDS
    identify_customer(mail, "x@y.example", SUPPORT)
    assert isinstance(strip_quotes(mail.text, mail.html), str)
    session_token_from_ids(mail.in_reply_to + mail.references, HOSTNAME)
    find_challenge(mail)
    gmail_confirmation(mail)


@pytest.mark.parametrize("name", all_fixture_names())
def test_mutated_fixtures_never_raise(name: str) -> None:
    rng = random.Random(f"opencx-fuzz:{name}")
    raw = fixture_bytes(name)
    rounds = 4 if len(raw) > 100_000 else ROUNDS_PER_FIXTURE
    for _ in range(rounds):
        mail = parse_message(mutate(raw, rng))
        assert_well_formed(mail)
        exercise(mail)


def test_random_bytes_never_raise() -> None:
    rng = random.Random(20250401)
    for _ in range(300):
        raw = rng.randbytes(rng.randint(0, 2000))
        if rng.random() < 0.5:
            raw = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n--x\n" + raw
        mail = parse_message(raw)
        assert_well_formed(mail)
        exercise(mail)


def test_spliced_fixtures_never_raise() -> None:
    rng = random.Random(77)
    names = all_fixture_names()
    for _ in range(100):
        a, b = (fixture_bytes(rng.choice(names)) for _ in range(2))
        raw = a[: rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1) :]
        mail = parse_message(raw)
        assert_well_formed(mail)
        exercise(mail)
