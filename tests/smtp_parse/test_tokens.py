"""Threading tokens: session tokens in our Message-IDs, ticket numbers and reply subjects."""

from __future__ import annotations

import random
import re

import pytest

from gateway.smtp.tokens import (
    make_message_id,
    new_session_token,
    reply_subject,
    session_token_from_ids,
    subject_ticket_number,
)
from tests.smtp_parse.conftest import HOSTNAME, all_fixture_names, fixture_mail


def seeded(seed: int):
    rng = random.Random(seed)
    return lambda n: rng.randbytes(n)


def test_token_shape_and_determinism_under_seeded_randomness() -> None:
    assert new_session_token(seeded(1)) == new_session_token(seeded(1))
    tokens = {new_session_token(seeded(s)) for s in range(2000)}
    assert len(tokens) == 2000
    assert all(re.fullmatch(r"[a-z2-7]{12}", t) for t in tokens)


def test_token_uses_all_random_bits() -> None:
    assert new_session_token(lambda n: b"\x00" * n) == "a" * 12
    assert new_session_token(lambda n: b"\xff" * n) == "7" * 12


def test_round_trip_through_headers() -> None:
    rand = seeded(7)
    for i in range(200):
        token = new_session_token(rand)
        mid = make_message_id(token, HOSTNAME, f"m{i}")
        assert mid == f"opencx.{token}.m{i}@{HOSTNAME}"
        assert session_token_from_ids([mid], HOSTNAME) == token
        assert session_token_from_ids([f"<{mid}>"], HOSTNAME) == token
        assert session_token_from_ids(["<a@b>", f" <{mid.upper()}> "], "GATEWAY.localhost") == token


def test_first_of_our_ids_wins() -> None:
    first = make_message_id("aaaaaaaaaaaa", HOSTNAME, "1")
    second = make_message_id("bbbbbbbbbbbb", HOSTNAME, "2")
    assert session_token_from_ids([first, second], HOSTNAME) == "aaaaaaaaaaaa"


@pytest.mark.parametrize(
    "foreign",
    [
        "CAJx9fQm8Z0gT+u7Hn4rLk2vYp1Wq3eN5sFh6tGd7cB8aXy0zKw@mail.gmail.com",
        "opencx.k3v7qz2mxa4p.m1@other-gateway.example",  # our shape, another host
        "opencx.k3v7qz2mxa4p.m1@gateway.localhost.evil.example",
        "opencx.K3V7QZ2MXA4P1.m1@gateway.localhost",  # 13 chars
        "opencx.k3v7qz2mxa4.m1@gateway.localhost",  # 11 chars
        "opencx.k3v7qz2mxa01.m1@gateway.localhost",  # 0 and 1 are not base32
        "opencx.k3v7qz2mxa4p@gateway.localhost",  # no unique part
        "xopencx.k3v7qz2mxa4p.m1@gateway.localhost",
        "opencx.k3v7qz2mxa4p.m1@gateway.localhost@gateway.localhost",
        "",
    ],
)
def test_foreign_ids_never_match(foreign: str) -> None:
    assert session_token_from_ids([foreign], HOSTNAME) is None


def test_no_fixture_message_id_of_others_matches() -> None:
    for name in all_fixture_names():
        mail = fixture_mail(name)
        if mail.message_id and not mail.message_id.startswith("opencx."):
            assert session_token_from_ids([mail.message_id], HOSTNAME) is None


def test_fixture_threading_finds_our_token() -> None:
    mail = fixture_mail("huge_header_200kb.eml")
    assert session_token_from_ids(mail.in_reply_to, HOSTNAME) == "p4mx7ka2zt6e"
    assert session_token_from_ids(reversed(mail.references), HOSTNAME) == "p4mx7ka2zt6e"
    spanish = fixture_mail("spanish_reply_html_only.eml")
    assert (
        session_token_from_ids(spanish.in_reply_to + spanish.references, HOSTNAME) == "c5vt7jm2kq4x"
    )


@pytest.mark.parametrize(
    ("token", "host", "unique"),
    [
        ("short", HOSTNAME, "1"),
        ("ABCDEFGHIJKL", HOSTNAME, "1"),
        ("aaaaaaaaaaaa", HOSTNAME, "has space"),
        ("aaaaaaaaaaaa", HOSTNAME, "a@b"),
        ("aaaaaaaaaaaa", HOSTNAME, ""),
        ("aaaaaaaaaaaa", "", "1"),
        ("aaaaaaaaaaaa", "bad host", "1"),
    ],
)
def test_make_message_id_rejects_bad_parts(token: str, host: str, unique: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(token, host, unique)


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Re: Refund [#12345]", 12345),
        ("[#7] first", 7),
        ("Re: [#1] old [#99] new", 99),
        ("Order #12345", None),
        ("[# 12]", None),
        ("", None),
    ],
)
def test_subject_ticket_number(subject: str, number: int | None) -> None:
    assert subject_ticket_number(subject) == number


@pytest.mark.parametrize(
    ("subject", "want"),
    [
        ("Refund for order 10432", "Re: Refund for order 10432 [#12345]"),
        ("Re: Refund for order 10432", "Re: Refund for order 10432 [#12345]"),
        ("RE: Re: AW: Fwd: Refund", "Re: Refund [#12345]"),
        ("Re: Refund [#12345]", "Re: Refund [#12345]"),
        ("Re: Re: Refund [#12345] [#12345]", "Re: Refund [#12345]"),
        ("Re: Refund [#999]", "Re: Refund [#12345]"),
        ("Re[2]: Refund", "Re: Refund [#12345]"),
        ("Re : Remboursement", "Re: Remboursement [#12345]"),
        ("SV: VS: Tilaus", "Re: Tilaus [#12345]"),
        ("  lots   of   space ", "Re: lots of space [#12345]"),
        ("", "Re: [#12345]"),
        ("Re:", "Re: [#12345]"),
        ("Reminder about my invoice", "Re: Reminder about my invoice [#12345]"),
    ],
)
def test_reply_subject(subject: str, want: str) -> None:
    assert reply_subject(subject, 12345) == want
    assert reply_subject(reply_subject(subject, 12345), 12345) == want
