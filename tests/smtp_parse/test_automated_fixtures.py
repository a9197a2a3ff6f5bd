"""Mail no person wrote (tests/fixtures/mail/automated): every file is classified as automated."""

from __future__ import annotations

import pytest

from gateway.smtp.loops import classify
from gateway.smtp.parse import normalize_email, parse_message
from tests.smtp_parse.conftest import FIXTURES, HOSTNAME, OWN

AUTOMATED = FIXTURES / "automated"

# name -> expected kind (issue 10 point 3: each of these was answered as customer mail)
KINDS: dict[str, str] = {
    "arf_complaint_bom.eml": "bounce",
    "bounce_no_from_header.eml": "bounce",
    "bounce_recognised_customer_envelope.eml": "bounce",
    "echo_session_header.eml": "own",
    "list_post_only.eml": "list",
    "ooo_away_from_the_office.eml": "auto_reply",
    "ooo_body_only.eml": "auto_reply",
    "ooo_bracket_auto_reply.eml": "auto_reply",
    "ooo_french_absent_du_bureau.eml": "auto_reply",
    "ooo_out_of_office_reply_hyphen.eml": "auto_reply",
    "ooo_portuguese_ausencia.eml": "auto_reply",
    "ooo_subject_ooo_colon.eml": "auto_reply",
    "ooo_vacation_notice.eml": "auto_reply",
    "own_host_other_address.eml": "own",
    "sender_header_own_address.eml": "own",
}


def automated_names() -> list[str]:
    return sorted(p.name for p in AUTOMATED.glob("*.eml"))


def envelope_of(raw: bytes) -> str:
    """The fixtures carry their envelope sender as Return-Path."""
    mail = parse_message(raw)
    return normalize_email(mail.headers.get("return-path", ""))


def test_every_automated_fixture_has_a_kind() -> None:
    assert sorted(KINDS) == automated_names()
    readme = (AUTOMATED / "README.md").read_text(encoding="utf-8")
    for name in automated_names():
        assert f"| `{name}` |" in readme


@pytest.mark.parametrize("name", sorted(KINDS))
def test_automated_mail_is_never_answerable(name: str) -> None:
    raw = (AUTOMATED / name).read_bytes()
    result = classify(parse_message(raw), envelope_of(raw), OWN, own_hosts=(HOSTNAME,))
    assert result.kind == KINDS[name], result
    assert not result.answerable


@pytest.mark.parametrize("subject", [
    "Out-of-office reply: Re: order", "Out of Office AutoReply: Re: order", "OOO: Re: order",
    "OOO - back Monday", "Vacation notice: Re: x", "Vacation auto-reply: x",
    "Away from the office: Re: x", "Away from my desk: x", "[Auto-Reply] Re: x",
    "[Autoreply] x", "[Out of Office] x", "Automatic reply: x",
    "Abwesenheit: Re: x", "Außer Haus: Re: x", "Nicht im Büro: x", "Urlaub: x",
    "Absence : Re: x", "Absent du bureau : x", "Message d'absence : x", "En congé : x",
    "Ausencia: Re: x", "Fuera de la oficina: x", "De vacaciones: x",
    "Assente: Re: x", "Fuori ufficio: x", "In ferie: x",
    "Afwezigheidsmelding: x", "Niet op kantoor: x", "Afwezig: x", "Vakantie: x",
    "Ausência temporária: x", "Fora do escritório: x", "Em férias: x", "Ausente: x",
])
def test_subject_only_auto_replies(subject: str) -> None:
    raw = f"From: a@b.example\r\nSubject: {subject}\r\n\r\nBack soon.\r\n".encode()
    assert classify(parse_message(raw), "a@b.example", OWN).kind == "auto_reply"


@pytest.mark.parametrize("subject", [
    "Absence of invoice in my account", "Vacation rental booking question",
    "Out of stock?", "Away team jerseys", "Ferie: can I change my booking dates",
])
def test_customer_subjects_are_not_auto_replies(subject: str) -> None:
    raw = f"From: a@b.example\r\nSubject: {subject}\r\n\r\nPlease help.\r\n".encode()
    assert classify(parse_message(raw), "a@b.example", OWN).kind == "normal"


def test_a_customer_mentioning_being_away_in_a_long_mail_is_answered() -> None:
    body = ("Hello, my order 1234 never arrived. " * 20
            + "\n\nI am out of the office next week, so please reply by Friday.")
    raw = f"From: a@b.example\r\nSubject: Order\r\n\r\n{body}\r\n".encode()
    assert classify(parse_message(raw), "a@b.example", OWN).kind == "normal"


def test_group_sender_is_not_own_when_the_group_names_the_author() -> None:
    raw = (b"From: Jane <jane@customer.example>\r\nSender: support@example.com\r\n"
           b"X-Original-Sender: jane@customer.example\r\nList-ID: <support.example.com>\r\n"
           b"Subject: Help\r\n\r\nMy login fails.\r\n")
    assert classify(parse_message(raw), "x@y.example", OWN).kind == "normal"


@pytest.mark.parametrize("body", [
    "I am on vacation next week, can you hold the parcel?",
    "I'm out of the office today, could you email the invoice instead of posting it?",
])
def test_a_short_customer_mail_about_being_away_is_answered(body: str) -> None:
    raw = f"From: a@b.example\r\nSubject: Parcel\r\n\r\n{body}\r\n".encode()
    assert classify(parse_message(raw), "a@b.example", OWN).kind == "normal"


@pytest.mark.parametrize("body", [
    "Ich bin bis einschließlich 28.03. nicht im Büro.",
    "Je suis absente jusqu'au 22 avril.",
    "Estoy fuera de la oficina hasta el lunes.",
    "Sono fuori ufficio fino al 3 maggio.",
    "Ik ben afwezig tot en met vrijdag.",
    "Estou fora do escritório até dia 30.",
])
def test_body_only_notices_in_other_languages(body: str) -> None:
    raw = f"From: a@b.example\r\nSubject: Re: x\r\n\r\n{body}\r\n".encode()
    assert classify(parse_message(raw), "a@b.example", OWN).kind == "auto_reply"
