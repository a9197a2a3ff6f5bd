"""classify: every loop/bounce/list marker on its own, priorities, and the exemptions."""

from __future__ import annotations

import pytest

from gateway.smtp.loops import KINDS, Classification, classify
from gateway.smtp.parse import ParsedMail, parse_message
from tests.smtp_parse.conftest import OWN

CUSTOMER = "Jane Doe <jane@customer.example>"


def mail_with(
    *headers: str, sender: str = CUSTOMER, subject: str = "Question", body: str = "Hi"
) -> ParsedMail:
    lines = [f"From: {sender}", "To: support@example.com", f"Subject: {subject}", *headers]
    return parse_message(("\n".join(lines) + "\n\n" + body + "\n").encode())


def kind_and_reasons(
    mail: ParsedMail, envelope: str = "jane@customer.example"
) -> tuple[str, tuple[str, ...]]:
    result = classify(mail, envelope, OWN)
    return result.kind, result.reasons


def test_plain_customer_mail_is_normal_and_answerable() -> None:
    result = classify(mail_with(), "jane@customer.example", OWN)
    assert result == Classification("normal", ())
    assert result.answerable


@pytest.mark.parametrize(
    ("header", "kind", "reason"),
    [
        ("Auto-Submitted: auto-replied", "auto_reply", "auto-submitted: auto-replied"),
        ("Auto-Submitted: auto-generated", "auto_reply", "auto-submitted: auto-generated"),
        ("Auto-Submitted: auto-notified", "auto_reply", "auto-submitted: auto-notified"),
        ("Auto-Submitted: Auto-Replied (vacation)", "auto_reply", "auto-submitted: auto-replied"),
        ("X-Autoreply: yes", "auto_reply", "x-autoreply"),
        ("X-Autorespond: Out of office", "auto_reply", "x-autorespond"),
        ("X-Loop: helpdesk@vendor.example", "auto_reply", "x-loop"),
        ("Precedence: auto_reply", "auto_reply", "precedence: auto_reply"),
        ("X-Precedence: auto_reply", "auto_reply", "x-precedence: auto_reply"),
        ("X-Auto-Response-Suppress: All", "auto_reply", "x-auto-response-suppress: all"),
        ("X-Auto-Response-Suppress: DR, OOF", "auto_reply", "x-auto-response-suppress: oof"),
        (
            "X-Auto-Response-Suppress: AutoReply",
            "auto_reply",
            "x-auto-response-suppress: autoreply",
        ),
        ("Precedence: bulk", "list", "precedence: bulk"),
        ("Precedence: junk", "list", "precedence: junk"),
        ("Precedence: list", "list", "precedence: list"),
        ("X-Precedence: bulk", "list", "x-precedence: bulk"),
        ("List-Id: Users <users.lists.example>", "list", "list-id"),
        ("List-Unsubscribe: <mailto:leave@lists.example>", "list", "list-unsubscribe"),
        ("X-Failed-Recipients: a@b.example", "bounce", "x-failed-recipients"),
        ("Return-Path: <>", "bounce", "return-path: <>"),
    ],
)
def test_each_marker_alone(header: str, kind: str, reason: str) -> None:
    assert kind_and_reasons(mail_with(header)) == (kind, (reason,))


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: no",
        "Auto-Submitted: No (a person wrote this)",
        "X-Auto-Response-Suppress: DR, RN, NRN",
        "Precedence: first-class",
        "Return-Path: <jane@customer.example>",
        "X-Mailer: Microsoft Outlook 16.0",
    ],
)
def test_harmless_values_stay_normal(header: str) -> None:
    assert kind_and_reasons(mail_with(header)) == ("normal", ())


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Re: Invoice",
        "Out of the office",
        "Automatic reply: Your order",
        "AutoReply: Re: hello",
        "Auto-Reply: holiday",
        "Abwesenheitsnotiz: Ihre Anfrage",
        "Automatische Antwort: Rechnung",
        "Réponse automatique : Commande",
        "Respuesta automática: Pedido",
        "Risposta automatica: ordine",
        "Automatisch antwoord: factuur",
        "RE: Out of Office",
        "自動返信: ご注文",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert kind_and_reasons(mail_with(subject=subject)) == (
        "auto_reply",
        ("subject: automatic reply",),
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Question about the office chair",
        "Where is my automatic reply setting?",
        "Absence of invoice",
        "Autoreplying is broken in your app",
        "Vacation rental booking",
    ],
)
def test_customer_subjects_that_merely_mention_the_words(subject: str) -> None:
    assert kind_and_reasons(mail_with(subject=subject)) == ("normal", ())


@pytest.mark.parametrize(
    ("subject", "reasons"),
    [
        ("Undelivered Mail Returned to Sender", ("subject: delivery failure",)),
        ("Undeliverable: Your order", ("subject: delivery failure",)),
        ("Delivery Status Notification (Failure)", ("subject: delivery failure",)),
        ("Mail delivery failed: returning message to sender", ("subject: delivery failure",)),
        ("failure notice", ("subject: delivery failure",)),
    ],
)
def test_bounce_subjects(subject: str, reasons: tuple[str, ...]) -> None:
    assert kind_and_reasons(mail_with(subject=subject)) == ("bounce", reasons)


def test_empty_envelope_sender_is_a_bounce() -> None:
    for envelope in ("", "<>", "  "):
        assert kind_and_reasons(mail_with(), envelope) == ("bounce", ("envelope sender: <>",))


def test_mailer_daemon_and_postmaster_senders_are_bounces() -> None:
    for sender in (
        "MAILER-DAEMON@mx.example",
        "postmaster@mx.example",
        "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
    ):
        kind, reasons = kind_and_reasons(mail_with(sender=sender))
        assert (kind, reasons) == ("bounce", ("from: mailer-daemon",))


def test_read_receipt_report_is_auto_reply_not_bounce() -> None:
    mail = mail_with(
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"',
        body="--r\nContent-Type: text/plain\n\nRead.\n--r--",
    )
    assert kind_and_reasons(mail) == (
        "auto_reply",
        ("content-type: multipart/report; report-type=disposition-notification",),
    )


def test_own_address_wins_over_other_markers_and_matches_case_and_tags() -> None:
    for sender in ("Support@Example.COM", "support+loop@example.com", "verify@gateway.localhost"):
        mail = mail_with("Auto-Submitted: auto-replied", sender=sender)
        assert kind_and_reasons(mail) == (
            "own",
            ("from: own address", "auto-submitted: auto-replied"),
        )


def test_envelope_of_the_forwarding_mailbox_does_not_make_mail_own() -> None:
    assert kind_and_reasons(mail_with(), "support@example.com") == ("normal", ())


def test_bounce_outranks_auto_reply_and_keeps_all_reasons() -> None:
    mail = mail_with(
        "Auto-Submitted: auto-replied", "X-Failed-Recipients: x@y.example", "Precedence: bulk"
    )
    assert kind_and_reasons(mail) == (
        "bounce",
        ("x-failed-recipients", "auto-submitted: auto-replied", "precedence: bulk"),
    )


def test_noreply_sender_without_alternative_is_noreply() -> None:
    for sender in (
        "noreply@shop.example",
        "no-reply@x.example",
        "DoNotReply@bank.example",
        "orders.noreply@shop.example",
    ):
        assert kind_and_reasons(mail_with(sender=sender)) == ("noreply", ("from: noreply",))


def test_noreply_sender_with_customer_reply_to_is_normal() -> None:
    mail = mail_with("Reply-To: Jane <jane@customer.example>", sender="noreply@forms.example")
    assert kind_and_reasons(mail) == ("normal", ())


def test_noreply_sender_with_noreply_reply_to_is_noreply() -> None:
    mail = mail_with("Reply-To: no-reply@forms.example", sender="noreply@forms.example")
    assert kind_and_reasons(mail) == ("noreply", ("from: noreply",))


def test_google_group_of_our_own_address_is_not_a_list() -> None:
    mail = mail_with(
        "X-Original-Sender: jane@customer.example",
        "List-ID: <support.example.com>",
        "Precedence: list",
        "List-Unsubscribe: <mailto:googlegroups-manage+1+unsubscribe@googlegroups.com>",
        sender="'Jane' via Support <support@example.com>",
    )
    assert kind_and_reasons(mail) == ("normal", ())


def test_foreign_google_group_is_a_list() -> None:
    mail = mail_with(
        "X-Original-Sender: jane@customer.example",
        "List-ID: <users.community.example>",
        "Precedence: list",
        sender="'Jane' via Users <users@community.example>",
    )
    assert kind_and_reasons(mail) == ("list", ("list-id", "precedence: list"))


def test_gmail_confirmation_is_verification() -> None:
    mail = mail_with(
        sender="Gmail Team <forwarding-noreply@google.com>",
        subject="(#123456789) Gmail Forwarding Confirmation - Receive Mail from a@b.example",
    )
    kind, reasons = kind_and_reasons(mail)
    assert kind == "verification"
    assert reasons[0] == "gmail forwarding confirmation"


def test_challenge_in_body_counts_only_from_our_own_sender() -> None:
    token = "occ1.YUBiLmV4YW1wbGU.1743580800.AAAAAAAAAAAAAAAAAAAAAA"
    own = mail_with(sender="verify@gateway.localhost", body=f"Challenge: {token}")
    assert kind_and_reasons(own) == ("verification", ("challenge in body", "from: own address"))
    stranger = mail_with(body=f"I got this: {token}")
    assert kind_and_reasons(stranger) == ("normal", ())


def test_kinds_are_the_documented_ones() -> None:
    assert set(KINDS) == {
        "normal",
        "auto_reply",
        "bounce",
        "list",
        "own",
        "noreply",
        "verification",
    }
    assert not Classification("bounce", ()).answerable
