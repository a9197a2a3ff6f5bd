"""strip_quotes: quote headers in several languages, '>' blocks, signatures, HTML containers."""

from __future__ import annotations

import pytest

from gateway.smtp.quotes import strip_html, strip_quotes
from tests.smtp_parse.conftest import fixture_mail

NEW = "Thanks, that fixed it."
QUOTE = "> Please restart the app.\n> Support"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, Mar 4, 2025 at 10:00 AM Acme Support <support@example.com> wrote:",
        "On Tue, Mar 4, 2025 at 10:00 AM Acme Support <support@example.com>\nwrote:",
        "On 4 Mar 2025, at 10:00, Acme Support <support@example.com> wrote:",
        "Am 04.03.2025 um 10:00 schrieb Acme Support <support@example.com>:",
        "Am Di., 4. März 2025 um 10:00 Uhr schrieb Acme Support\n<support@example.com>:",
        "Le mar. 4 mars 2025 à 10:00, Acme Support <support@example.com> a écrit :",
        "El mar, 4 mar 2025 a las 10:00, Acme Support (<support@example.com>) escribió:",
        "Il giorno mar 4 mar 2025 alle ore 10:00 Acme Support <support@example.com> ha scritto:",
        "Op di 4 mrt 2025 om 10:00 schreef Acme Support <support@example.com>:",
        "Em ter., 4 de mar. de 2025 às 10:00, Acme Support <support@example.com> escreveu:",
        "Den tis 4 mars 2025 kl 10:00 skrev Acme Support <support@example.com>:",
        "Den 4. mar. 2025 kl. 10.00 skrev Acme Support <support@example.com>:",
        "tir. 4. mar. 2025 kl. 10:00 skrev Acme Support <support@example.com>:",
        "man. 3. mar. 2025 kl. 14.03 skrev Acme Support <support@example.com>:",
        "ti 4. maalisk. 2025 klo 10.00 Acme Support <support@example.com> kirjoitti:",
        "ti 4. maalisk. 2025 klo 10.00 Acme Support\n<support@example.com> kirjoitti:",
        "вт, 4 мар. 2025 г. в 10:00, Acme Support <support@example.com>:",
        "4 марта 2025 г., в 10:00, Acme Support <support@example.com> написал(а):",
        "support@example.com wrote:",
    ],
)
def test_attribution_and_quote_removed(attribution: str) -> None:
    text = f"{NEW}\n\n{attribution}\n\n{QUOTE}\n"
    assert strip_quotes(text) == NEW


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "-----Ursprüngliche Nachricht-----",
        "-------- Message d'origine --------",
        "-----Mensaje original-----",
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
    ],
)
def test_history_after_separator_removed(separator: str) -> None:
    text = f"{NEW}\n\n{separator}\nFrom: Support\nSent: today\n\nold text\n"
    assert strip_quotes(text) == NEW


@pytest.mark.parametrize(
    "block",
    [
        "From: Acme Support <support@example.com>\nSent: Monday\nTo: Jane\nSubject: Re: x",
        "________________________________\nFrom: Acme Support\nSent: Monday\nTo: Jane",
        "*From:* Acme Support\n*Sent:* Monday\n*To:* Jane\n*Subject:* x",
        "Von: Acme Support\nGesendet: Montag\nAn: Jane\nBetreff: AW: x",
        "De : Acme Support\nEnvoyé : lundi\nÀ : Jane\nObjet : RE: x",
        "De: Acme Support\nEnviado el: lunes\nPara: Jane\nAsunto: RE: x",
    ],
)
def test_outlook_header_blocks(block: str) -> None:
    assert strip_quotes(f"{NEW}\n\n{block}\n\nold text\n") == NEW


def test_from_line_in_the_customer_text_alone_is_not_a_header_block() -> None:
    text = "From: my phone, I could not log in.\nIt says error 42."
    assert strip_quotes(text) == text


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nJane Doe\nACME Corp",
        "--\nJane Doe",
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for Android",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi iPhone",
        "Envoyé à partir de Outlook pour iOS",
        "Télécharger Outlook pour iOS<https://aka.ms/o0ukef>",
        "Von Outlook für Android gesendet",
        "Enviado desde Outlook para iOS",
        "Sendt fra Outlook til iOS",
        "Sendt fra min iPhone",
        "Lähetetty iPhonesta",
        "Отправлено с iPhone",
        "Inviato dal mio iPhone",
    ],
)
def test_signatures_removed(signature: str) -> None:
    assert strip_quotes(f"{NEW}\n\n{signature}\n") == NEW


def test_a_sentence_with_a_year_and_a_verb_is_not_an_attribution() -> None:
    text = "In 2024 I wrote to you about this:\nthe invoice was wrong then too.\n\nMette"
    assert strip_quotes(text) == text


def test_bottom_posting_keeps_the_answer_below_the_quote() -> None:
    text = f"On Monday Acme Support <support@example.com> wrote:\n{QUOTE}\n\n{NEW}\n"
    assert strip_quotes(text) == NEW


def test_interleaved_answers_keep_only_new_lines() -> None:
    text = "> Which version?\n4.2\n> Which OS?\nLinux\n"
    assert strip_quotes(text) == "4.2\nLinux"


def test_nothing_left_returns_text_unchanged() -> None:
    for text in ("> only a quote\n> more\n", "-- \nJust a signature", "Sent from my iPhone"):
        assert strip_quotes(text) == text


def test_text_without_quotes_is_returned_unchanged() -> None:
    text = "  Hello  \r\n\r\n\r\n\r\nWorld\n\n"
    assert strip_quotes(text) == text
    assert strip_quotes(text, "<p>Hello</p><p>World</p>") == text


def test_stripped_text_is_tidied() -> None:
    text = "Hello  \r\n\r\n\r\n\r\nWorld\n\n> old\n"
    assert strip_quotes(text) == "Hello\n\nWorld"


def test_empty_text_uses_html() -> None:
    html = (
        '<div>New words</div><div class="gmail_quote">On x wrote:<blockquote>old</blockquote></div>'
    )
    assert strip_quotes("", html) == "New words"


def test_html_used_when_plain_has_no_marker_but_html_has() -> None:
    text = "New words\n\nold words without any marker"
    html = (
        "<p>New words</p><div id=divRplyFwdMsg><b>From:</b> x</div>"
        "<p>old words without any marker</p>"
    )
    assert strip_quotes(text, html) == "New words"


def test_html_only_nothing_left_returns_converted_html() -> None:
    html = '<blockquote type="cite">all quoted</blockquote>'
    assert strip_quotes("", html) == "all quoted"


@pytest.mark.parametrize(
    ("html", "want"),
    [
        ('<p>new</p><blockquote type="cite">old</blockquote><p>after</p>', "new\n\nafter"),
        (
            '<p>new</p><div class="moz-cite-prefix">On x, Y wrote:</div>'
            "<blockquote>old</blockquote>",
            "new",
        ),
        ('<p>new</p><pre class="moz-signature">-- \nsig</pre>', "new"),
        (
            '<p>new</p><div class="gmail_signature" data-smartmail="gmail_signature">sig</div>',
            "new",
        ),
        ('<p>new</p><div id="appendonsend"></div><hr><p>old</p>', "new"),
        ('<div><p>new</p><hr id="stopSpelling"><p>old</p></div><p>older</p>', "new"),
        ('<p>new</p><hr id="zwchr"><div data-marker="__HEADERS__">From: x</div><p>old</p>', "new"),
        ('<p>new</p><div class="yahoo_quoted">old</div>', "new"),
        (
            '<p>new</p><div style="border:none; border-top: solid #E1E1E1 1.0pt">'
            "<p>From: x</p></div><p>old</p>",
            "new",
        ),
        ('<p>new</p><div class="gmail_quote">old</div>tail text', "new\n\ntail text"),
    ],
)
def test_html_containers(html: str, want: str) -> None:
    text, found = strip_html(html)
    assert (text, found) == (want, True)


def test_html_without_markers_reports_nothing_found() -> None:
    assert strip_html("<p>just text</p>") == ("just text", False)
    assert strip_html("") == ("", False)


@pytest.mark.parametrize(
    ("name", "want"),
    [
        (
            "gmail_reply_quoted.eml",
            "Hi,\n\nThanks — the refund hasn't arrived yet. Could you check again?\n\nJane",
        ),
        (
            "outlook_web_reply_quoted.eml",
            "Hello,\n\nthe invoice still lists 12 licenses, we only ordered 10. "
            "Please send a corrected invoice.",
        ),
        (
            "outlook_desktop_original_message.eml",
            "Hi,\n\nSSO works again after clearing the cookies. You can close the ticket.\n\n"
            "Kind regards,\n\nPriya",
        ),
        (
            "apple_mail_reply_iphone.eml",
            "The parcel arrived today but the box was damaged and one mug is broken. "
            "Can you send a replacement?",
        ),
        (
            "thunderbird_reply_signature.eml",
            "Hi,\n\nthe export still fails for the March report. I attached nothing, but the error "
            'appears right after clicking "Export CSV".\n\nLena',
        ),
    ],
)
def test_fixture_html_parts_alone(name: str, want: str) -> None:
    html = fixture_mail(name).html
    assert html is not None
    assert strip_quotes("", html) == want
