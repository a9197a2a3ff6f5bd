"""classify, identify_customer and strip_quotes on every fixture, asserted exactly."""

from __future__ import annotations

import pytest

from gateway.smtp.identify import identify_customer
from gateway.smtp.loops import classify
from gateway.smtp.parse import Address as A
from gateway.smtp.parse import normalize_email
from gateway.smtp.quotes import strip_quotes
from tests.smtp_parse.conftest import OWN, SUPPORT, all_fixture_names, fixture_mail

# Envelope senders of the fixtures without a Return-Path header.
ENVELOPES = {
    "missing_headers.eml": "scanner@office.example",
    "ooo_exchange_automatic_reply.eml": "peter.novak@northwind.example",
    "outlook_desktop_original_message.eml": "priya.raman@fabrikam.example",
    "outlook_web_reply_quoted.eml": "Thomas.Mueller@contoso.example",
}
UNCHANGED = "<the full text, unchanged>"

# name -> (kind, reasons, customer)
CLASSIFIED: dict[str, tuple[str, tuple[str, ...], A | None]] = {
    "apple_mail_reply_iphone.eml": ("normal", (), A("Marco Rossi", "m.rossi@icloud.com")),
    "attachments_mixed.eml": ("normal", (), A("Contoso Finance", "finance@contoso.example")),
    "broken_mime.eml": ("normal", (), A("Broken Mime", "broken@mime.example")),
    "contact_form_noreply_reply_to.eml": (
        "normal",
        (),
        A("Ahmed Hassan", "ahmed.hassan@mail.example"),
    ),
    "danish_outlook_oprindelig_besked.eml": (
        "normal",
        (),
        A("Mette Larsen", "mette.larsen@post.example.dk"),
    ),
    "dsn_multipart_report.eml": (
        "bounce",
        (
            "envelope sender: <>",
            "return-path: <>",
            "content-type: multipart/report; report-type=delivery-status",
            "x-failed-recipients",
            "from: mailer-daemon",
            "subject: delivery failure",
            "auto-submitted: auto-replied",
        ),
        None,
    ),
    "finnish_gmail_kirjoitti.eml": (
        "normal",
        (),
        A("Matti Virtanen", "matti.virtanen@posti.example.fi"),
    ),
    "forwarding_challenge_test.eml": (
        "verification",
        ("x-opencx-challenge", "from: own address", "auto-submitted: auto-generated"),
        A("OpenCX Gateway", "verify@gateway.localhost"),
    ),
    "french_reply_windows1252.eml": (
        "normal",
        (),
        A("Sophie Martin", "sophie.martin@orange.example"),
    ),
    "german_reply_iso8859_1.eml": ("normal", (), A("Klaus Wächter", "k.wagner@web.example")),
    "gmail_autoforward_x_forwarded_for.eml": (
        "normal",
        (),
        A("Nils Eriksson", "nils.eriksson@eu-mail.example"),
    ),
    "gmail_forwarding_confirmation.eml": (
        "verification",
        ("gmail forwarding confirmation", "from: noreply"),
        None,
    ),
    "gmail_reply_quoted.eml": ("normal", (), A("Jane Doe", "jane.doe@gmail.com")),
    "google_groups_rewrite.eml": ("normal", (), A("Jane Roe", "jane.roe@customer.example")),
    "html_only_customer.eml": ("normal", (), A("Olivia Brown", "olivia.brown@yahoo.example")),
    "huge_header_200kb.eml": ("normal", (), A("Long Thread", "long.thread@bigcorp.example")),
    "inline_cid_images.eml": ("normal", (), A("Kim Nguyen", "kim.nguyen@outlook.example")),
    "list_mailman.eml": (
        "list",
        ("list-id", "list-unsubscribe", "precedence: list"),
        A("Oskar Lindqvist", "oskar@lindqvist.example"),
    ),
    "mislabeled_utf8_is_cp1252.eml": (
        "normal",
        (),
        A("Brendan O'Connor", "b.oconnor@oldmail.example"),
    ),
    "missing_headers.eml": ("normal", (), A("", "scanner@office.example")),
    "newsletter_bulk_noreply.eml": (
        "list",
        ("list-unsubscribe", "precedence: bulk", "from: noreply"),
        None,
    ),
    "noreply_notification.eml": ("noreply", ("from: noreply",), None),
    "norwegian_gmail_skrev.eml": ("normal", (), A("Ola Nordmann", "ola.nordmann@epost.example.no")),
    "nul_bytes.eml": ("normal", (), A("Dev Null", "dev@nulls.example")),
    "ooo_exchange_automatic_reply.eml": (
        "auto_reply",
        (
            "auto-submitted: auto-generated",
            "x-auto-response-suppress: all",
            "subject: automatic reply",
        ),
        A("Peter Novak", "peter.novak@northwind.example"),
    ),
    "ooo_gmail_vacation.eml": (
        "auto_reply",
        ("auto-submitted: auto-replied",),
        A("Chen Wei", "chen.wei@gmail.com"),
    ),
    "ooo_subject_only_abwesenheitsnotiz.eml": (
        "auto_reply",
        ("subject: automatic reply",),
        A("Berger, Hans", "h.berger@stadtwerke.example"),
    ),
    "ooo_zimbra.eml": (
        "auto_reply",
        ("auto-submitted: auto-replied", "subject: automatic reply", "precedence: bulk"),
        A("Anna Kowalski", "a.kowalski@mail.uni.example"),
    ),
    "outlook_desktop_original_message.eml": (
        "normal",
        (),
        A("Priya Raman", "priya.raman@fabrikam.example"),
    ),
    "outlook_ios_french_encoded_subject_spaces.eml": (
        "normal",
        (),
        A("Camille Bernard", "camille.bernard@courriel.example.fr"),
    ),
    "outlook_web_reply_quoted.eml": (
        "normal",
        (),
        A("Mueller, Thomas", "thomas.mueller@contoso.example"),
    ),
    "own_address_loop.eml": ("own", ("from: own address",), None),
    "postfix_bounce_null_sender.eml": (
        "bounce",
        (
            "envelope sender: <>",
            "return-path: <>",
            "content-type: multipart/report; report-type=delivery-status",
            "from: mailer-daemon",
            "subject: delivery failure",
            "auto-submitted: auto-replied",
        ),
        None,
    ),
    "raw_8bit_headers.eml": ("normal", (), A("José García Núñez", "jose.garcia@correo.example")),
    "resent_from_redirect.eml": ("normal", (), A("Carla Diaz", "carla.diaz@customer.example")),
    "russian_gmail_koi8r.eml": ("normal", (), A("Иван Петров", "ivan.petrov@pochta.example.ru")),
    "shift_jis_body.eml": ("normal", (), A("山田 太郎", "t.yamada@mail.example.jp")),
    "spanish_reply_html_only.eml": (
        "normal",
        (),
        A("Lucía Fernández", "lucia.fernandez@correo.example"),
    ),
    "thunderbird_reply_signature.eml": ("normal", (), A("Lena Schmidt", "lena@posteo.example")),
    "unknown_charset.eml": ("normal", (), A("ERP Operations", "ops@legacy-erp.example")),
}

STRIPPED: dict[str, str] = {
    "apple_mail_reply_iphone.eml": (
        "The parcel arrived today but the box was damaged and one mug is broken. "
        "Can you send a replacement?"
    ),
    "attachments_mixed.eml": UNCHANGED,
    "broken_mime.eml": UNCHANGED,
    "contact_form_noreply_reply_to.eml": (
        "Name: Ahmed Hassan\n"
        "Email: Ahmed.Hassan@Mail.Example\n"
        "\n"
        "Message:\n"
        "Do you offer discounts for orders above 200 units?"
    ),
    "danish_outlook_oprindelig_besked.eml": (
        "Hej,\n"
        "\n"
        "pakken er stadig ikke kommet frem. Kan I undersøge, hvor den er?\n"
        "\n"
        "Venlig hilsen\n"
        "Mette Larsen"
    ),
    "dsn_multipart_report.eml": UNCHANGED,
    "finnish_gmail_kirjoitti.eml": (
        "Hei,\n"
        "\n"
        "salasanan vaihto onnistui nyt. Kiitos avusta!\n"
        "\n"
        "Matti"
    ),
    "forwarding_challenge_test.eml": UNCHANGED,
    "french_reply_windows1252.eml": (
        "Bonjour,\n"
        "\n"
        "Merci pour votre réponse. Je n’ai toujours pas reçu les 49,90 € du "
        "remboursement.\n"
        "\n"
        "Cordialement,\n"
        "Sophie Martin"
    ),
    "german_reply_iso8859_1.eml": (
        "Guten Tag,\n"
        "\n"
        "vielen Dank für die schnelle Antwort. Die Rückerstattung ist heute "
        "eingegangen, das Ticket kann geschlossen werden.\n"
        "\n"
        "Mit freundlichen Grüßen\n"
        "Klaus Wächter"
    ),
    "gmail_autoforward_x_forwarded_for.eml": UNCHANGED,
    "gmail_forwarding_confirmation.eml": UNCHANGED,
    "gmail_reply_quoted.eml": (
        "Hi,\n\nThanks — the refund hasn't arrived yet. Could you check again?\n\nJane"
    ),
    "google_groups_rewrite.eml": UNCHANGED,
    "html_only_customer.eml": UNCHANGED,
    "huge_header_200kb.eml": UNCHANGED,
    "inline_cid_images.eml": UNCHANGED,
    "list_mailman.eml": UNCHANGED,
    "mislabeled_utf8_is_cp1252.eml": UNCHANGED,
    "missing_headers.eml": UNCHANGED,
    "newsletter_bulk_noreply.eml": UNCHANGED,
    "noreply_notification.eml": UNCHANGED,
    "norwegian_gmail_skrev.eml": (
        "Hei,\n"
        "\n"
        "fakturaen har feil adresse. Kan dere sende en ny?\n"
        "\n"
        "Hilsen Ola"
    ),
    "nul_bytes.eml": UNCHANGED,
    "ooo_exchange_automatic_reply.eml": UNCHANGED,
    "ooo_gmail_vacation.eml": UNCHANGED,
    "ooo_subject_only_abwesenheitsnotiz.eml": UNCHANGED,
    "ooo_zimbra.eml": UNCHANGED,
    "outlook_desktop_original_message.eml": (
        "Hi,\n"
        "\n"
        "SSO works again after clearing the cookies. You can close the ticket.\n"
        "\n"
        "Kind regards,\n"
        "Priya"
    ),
    "outlook_ios_french_encoded_subject_spaces.eml": (
        "Bonjour,\n"
        "\n"
        "je n'arrive toujours pas à me connecter depuis la mise à jour.\n"
        "\n"
        "Camille"
    ),
    "outlook_web_reply_quoted.eml": (
        "Hello,\n"
        "\n"
        "the invoice still lists 12 licenses, we only ordered 10. Please send a "
        "corrected invoice.\n"
        "\n"
        "Best regards\n"
        "Thomas Mueller"
    ),
    "own_address_loop.eml": UNCHANGED,
    "postfix_bounce_null_sender.eml": UNCHANGED,
    "raw_8bit_headers.eml": UNCHANGED,
    "resent_from_redirect.eml": UNCHANGED,
    "russian_gmail_koi8r.eml": (
        "Здравствуйте,\n"
        "\n"
        'оплата прошла, но заказ всё ещё в статусе "ожидает оплаты".\n'
        "\n"
        "Иван"
    ),
    "shift_jis_body.eml": UNCHANGED,
    "spanish_reply_html_only.eml": (
        "Hola,\n"
        "\n"
        "todavía no he recibido la factura corregida. ¿Pueden enviarla otra vez?\n"
        "\n"
        "Gracias,\n"
        "Lucía"
    ),
    "thunderbird_reply_signature.eml": (
        "Hi,\n"
        "\n"
        "the export still fails for the March report. I attached nothing, but "
        'the error appears right after clicking "Export CSV".\n'
        "\n"
        "Lena"
    ),
    "unknown_charset.eml": UNCHANGED,
}


def envelope_of(name: str) -> str:
    if name in ENVELOPES:
        return ENVELOPES[name]
    return normalize_email(fixture_mail(name).headers.get("return-path", ""))


def test_every_fixture_has_expectations() -> None:
    assert sorted(CLASSIFIED) == all_fixture_names()
    assert sorted(STRIPPED) == all_fixture_names()


@pytest.mark.parametrize("name", sorted(CLASSIFIED))
def test_classify_and_identify(name: str) -> None:
    mail = fixture_mail(name)
    kind, reasons, customer = CLASSIFIED[name]
    result = classify(mail, envelope_of(name), OWN)
    assert (result.kind, result.reasons) == (kind, reasons)
    assert result.answerable == (kind == "normal")
    assert identify_customer(mail, envelope_of(name), SUPPORT) == customer


@pytest.mark.parametrize("name", sorted(STRIPPED))
def test_strip_quotes(name: str) -> None:
    mail = fixture_mail(name)
    want = mail.text if STRIPPED[name] == UNCHANGED else STRIPPED[name]
    assert strip_quotes(mail.text, mail.html) == want
