"""identify_customer: which header names the person to answer, and what is never returned."""

from __future__ import annotations

import pytest

from gateway.smtp.identify import identify_customer, is_bounce_address, is_daemon, is_noreply
from gateway.smtp.parse import Address, ParsedMail, parse_message
from tests.smtp_parse.conftest import SUPPORT


def mail_with(*headers: str) -> ParsedMail:
    return parse_message(("\n".join([*headers, "Subject: x"]) + "\n\nbody\n").encode())


def who(mail: ParsedMail, envelope: str = "") -> Address | None:
    return identify_customer(mail, envelope, SUPPORT)


def test_from_is_normalised() -> None:
    mail = mail_with('From: "  Jane   Doe " <Jane.Doe@Example.COM>')
    assert who(mail) == Address("Jane Doe", "jane.doe@example.com")


def test_name_equal_to_address_is_dropped() -> None:
    assert who(mail_with("From: jane@x.example <jane@x.example>")) == Address("", "jane@x.example")


def test_missing_name_taken_from_reply_to_of_same_address() -> None:
    mail = mail_with("From: jane@x.example", "Reply-To: Jane Doe <JANE@x.example>")
    assert who(mail) == Address("Jane Doe", "jane@x.example")


def test_from_wins_over_a_different_reply_to() -> None:
    mail = mail_with("From: Jane <jane@x.example>", "Reply-To: Team <team@x.example>")
    assert who(mail) == Address("Jane", "jane@x.example")


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@forms.example",
        "no-reply@forms.example",
        "support@example.com",
        "Support+x@Example.com",
    ],
)
def test_reply_to_used_when_from_is_not_a_person(sender: str) -> None:
    mail = mail_with(f"From: {sender}", "Reply-To: Ahmed <ahmed@mail.example>")
    assert who(mail) == Address("Ahmed", "ahmed@mail.example")


def test_google_groups_rewrite_uses_original_sender_and_strips_via() -> None:
    mail = mail_with(
        "From: \"'Jane Roe' via Acme Support\" <support@example.com>",
        "X-Original-Sender: jane.roe@customer.example",
    )
    assert who(mail) == Address("Jane Roe", "jane.roe@customer.example")


def test_list_rewrite_via_name_uses_x_original_from() -> None:
    mail = mail_with(
        'From: "Jane Roe via Users" <users@lists.example>',
        "X-Original-From: Jane Roe <jane@customer.example>",
        "List-Post: <mailto:users@lists.example>",
    )
    assert who(mail) == Address("Jane Roe", "jane@customer.example")


def test_x_original_sender_wins_over_a_group_address_that_looks_personal() -> None:
    mail = mail_with("From: ACME group <acme_group@x.example>", "X-Original-Sender: jane@x.example")
    assert who(mail) == Address("", "jane@x.example")


def test_x_original_sender_equal_to_from_keeps_the_from_name() -> None:
    mail = mail_with("From: Jane <JANE@x.example>", "X-Original-Sender: jane@x.example")
    assert who(mail) == Address("Jane", "jane@x.example")


def test_resent_from_used_when_from_and_reply_to_are_not_people() -> None:
    mail = mail_with(
        "From: Shop <noreply@shop.example>",
        "Reply-To: donotreply@shop.example",
        "Resent-From: Carla <carla@customer.example>",
    )
    assert who(mail) == Address("Carla", "carla@customer.example")


def test_forwarding_mailboxes_are_never_the_customer() -> None:
    mail = mail_with(
        "From: support@example.com",
        "X-Forwarded-For: support@example.com support+example.com@gateway.localhost",
    )
    assert who(mail, "support+example.com@gateway.localhost") is None


def test_support_address_never_returned_from_any_header() -> None:
    mail = mail_with(
        "From: Support <support@example.com>",
        "Reply-To: support@example.com",
        "Sender: SUPPORT@example.com",
        "Resent-From: support+abc@example.com",
    )
    assert who(mail, "support@example.com") is None


def test_envelope_used_as_last_resort_only_for_people() -> None:
    mail = mail_with("To: support@example.com")
    assert who(mail, "<Scanner@Office.example>") == Address("", "scanner@office.example")
    for envelope in (
        "",
        "bounces+123-abc@em.sender.example",
        "SRS0=abc=XY=customer.example=jane@forwarder.example",
        "x1y2@gaia.bounces.google.com",
        "MAILER-DAEMON@mx.example",
        "noreply@x.example",
    ):
        assert who(mail, envelope) is None


@pytest.mark.parametrize(
    ("address", "noreply", "daemon", "bounce"),
    [
        ("noreply@x.example", True, False, False),
        ("no_reply@x.example", True, False, False),
        ("do-not-reply@x.example", True, False, False),
        ("forwarding-noreply@google.com", True, False, False),
        ("noreply123@x.example", True, False, False),
        ("mailer-daemon@x.example", False, True, False),
        ("postmaster@x.example", False, True, False),
        ("bounces+1-2@x.example", False, False, True),
        ("bounce-7f3a@notify.example", False, False, True),
        ("norepy@x.example", False, False, False),
        ("renoreplyx@x.example", False, False, False),
        ("jane@x.example", False, False, False),
    ],
)
def test_address_predicates(address: str, noreply: bool, daemon: bool, bounce: bool) -> None:
    assert (is_noreply(address), is_daemon(address), is_bounce_address(address)) == (
        noreply,
        daemon,
        bounce,
    )
