"""Forwarding verification: Gmail confirmation extraction and signed, expiring challenges."""

from __future__ import annotations

import pytest

from gateway.smtp.parse import parse_message
from gateway.smtp.verification import (
    GmailConfirmation,
    check_challenge,
    find_challenge,
    gmail_confirmation,
    make_challenge,
)
from tests.smtp_parse.conftest import all_fixture_names, fixture_mail

SECRET = b"fixture-secret-not-for-production"
NOW = 1743580800.0
DAY = 86400.0


def test_gmail_confirmation_fixture() -> None:
    found = gmail_confirmation(fixture_mail("gmail_forwarding_confirmation.eml"))
    assert found == GmailConfirmation(
        code="726451983",
        link=(
            "https://mail-settings.google.com/mail/vf-%5BANGjdJ9kWq2xR5tY8uI1oP4aS7dF0gH3jK6lZ9x"
            "C2vB5nM8qW1eR4tY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4nM7qW0eR3%5D-Zk3u9Rr2yVfXq5T1oNcBw8LhJ6mA"
        ),
        forwarding_from="support@example.com",
    )


def test_gmail_confirmation_only_from_google() -> None:
    for name in all_fixture_names():
        if name != "gmail_forwarding_confirmation.eml":
            assert gmail_confirmation(fixture_mail(name)) is None


def test_gmail_confirmation_from_html_and_localised_subject() -> None:
    raw = (
        b"From: forwarding-noreply@google.com\n"
        b"Subject: (#55512345) Gmail-Weiterleitungsbest\xc3\xa4tigung - Nachrichten von "
        b"team@firma.example empfangen\n"
        b"Content-Type: text/html; charset=utf-8\n\n"
        b'<p>Klicken Sie: <a href="https://mail-settings.google.com/mail/vf-%5Babc%5D-xyz">'
        b"https://mail-settings.google.com/mail/vf-%5Babc%5D-xyz</a>.</p>\n"
    )
    assert gmail_confirmation(parse_message(raw)) == GmailConfirmation(
        code="55512345",
        link="https://mail-settings.google.com/mail/vf-%5Babc%5D-xyz",
        forwarding_from=None,
    )


def test_cancel_link_is_not_taken_for_the_confirm_link() -> None:
    raw = (
        b"From: forwarding-noreply@google.com\nSubject: (#123456) Gmail Forwarding Confirmation\n\n"
        b"cancel: https://mail-settings.google.com/mail/uf-%5Bx%5D-y\n"
        b"confirm: https://mail-settings.google.com/mail/vf-%5Bx%5D-y\n"
    )
    found = gmail_confirmation(parse_message(raw))
    assert found is not None
    assert found.link == "https://mail-settings.google.com/mail/vf-%5Bx%5D-y"


def test_gmail_sender_without_details_still_recognised() -> None:
    raw = b"From: forwarding-noreply@google.com\nSubject: hello\n\nnothing useful\n"
    assert gmail_confirmation(parse_message(raw)) == GmailConfirmation(None, None, None)


def test_challenge_round_trip_and_fixture() -> None:
    token = make_challenge("Support@Example.com", SECRET, NOW)
    assert check_challenge(token, SECRET, NOW + 60) == "support@example.com"
    mail = fixture_mail("forwarding_challenge_test.eml")
    assert find_challenge(mail) == token
    assert check_challenge(find_challenge(mail) or "", SECRET, NOW + 9) == "support@example.com"


def test_challenge_expiry_and_clock_skew() -> None:
    token = make_challenge("a@b.example", SECRET, NOW)
    assert check_challenge(token, SECRET, NOW + 7 * DAY) == "a@b.example"
    assert check_challenge(token, SECRET, NOW + 7 * DAY + 1) is None
    assert check_challenge(token, SECRET, NOW + 2 * DAY, max_age=DAY) is None
    assert check_challenge(token, SECRET, NOW - 299) == "a@b.example"
    assert check_challenge(token, SECRET, NOW - 301) is None


def test_challenge_tampering_is_rejected() -> None:
    token = make_challenge("a@b.example", SECRET, NOW)
    prefix, encoded, stamp, signature = token.split(".")
    other = make_challenge("evil@b.example", SECRET, NOW).split(".")[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in (
        f"{prefix}.{other}.{stamp}.{signature}",  # other address, old signature
        f"{prefix}.{encoded}.{int(stamp) + 86400}.{signature}",  # extended lifetime
        f"{prefix}.{encoded}.{stamp}.{flipped}",
        f"occ2.{encoded}.{stamp}.{signature}",
        token + "x",
        token[:-1],
        "",
        "occ1...",
        "not a token at all",
    ):
        assert check_challenge(forged, SECRET, NOW) is None
    assert check_challenge(token, b"another secret", NOW) is None
    assert check_challenge(token, b"", NOW) is None


def test_make_challenge_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        make_challenge("not an address", SECRET, NOW)
    with pytest.raises(ValueError):
        make_challenge("a@b.example", b"", NOW)


def test_find_challenge_prefers_header_then_body_then_html() -> None:
    head = make_challenge("a@b.example", SECRET, NOW)
    body = make_challenge("c@d.example", SECRET, NOW)
    both = f"From: x@y.example\nX-OpenCX-Challenge: {head}\n\ntext {body}\n".encode()
    assert find_challenge(parse_message(both)) == head
    only_body = f"From: x@y.example\n\nplease keep: {body}.\n".encode()
    assert find_challenge(parse_message(only_body)) == body
    html = f'From: x@y.example\nContent-Type: text/html\n\n<p data-c="{body}"></p>\n'.encode()
    assert find_challenge(parse_message(html)) == body
    assert find_challenge(parse_message(b"From: x@y.example\n\nno token\n")) is None
