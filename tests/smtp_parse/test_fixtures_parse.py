"""parse_message on every fixture: each field asserted exactly."""

from __future__ import annotations

import pytest

from gateway.smtp.parse import Address as A
from gateway.smtp.parse import Attachment as Att
from tests.smtp_parse.conftest import all_fixture_names, fixture_mail

# name -> expected fields; "references" of a long header is (count, first, last)
EXPECTED: dict[str, dict[str, object]] = {
    "apple_mail_reply_iphone.eml": dict(
        message_id="5B1E0C7A-3D9F-4E2B-A6C8-1F7D2E9B4A60@icloud.com",
        in_reply_to=("opencx.w5yn2cp7tq4e.m9@gateway.localhost",),
        references=("opencx.w5yn2cp7tq4e.m9@gateway.localhost",),
        subject="Re: Delivery of order 10577 [#12348]",
        date="2025-03-07T18:30:52+00:00",
        from_addr=A("Marco Rossi", "m.rossi@icloud.com"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "attachments_mixed.eml": dict(
        message_id="b3c1f0e2-9a8d-4c7b-8e6f-5d4c3b2a1f0e@contoso.example",
        in_reply_to=(),
        references=(),
        subject="Invoices for Q1",
        date="2025-03-31T09:45:02+00:00",
        from_addr=A("Contoso Finance", "finance@contoso.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(
            A("Mueller, Thomas", "thomas.mueller@contoso.example"),
            A("", "audit@contoso.example"),
        ),
        content_type="multipart/mixed",
        report_type=None,
        has_html=False,
        attachments=(
            Att("invoice-2025-0117.pdf", "application/pdf", 136, None, False),
            Att("Rechnung_März.pdf", "application/pdf", 15, None, False),
            Att("notes.txt", "text/plain", 58, None, False),
            Att("Belég scan.jpg", "image/jpeg", 91, None, False),
        ),
        defects=(),
    ),
    "broken_mime.eml": dict(
        message_id=None,
        in_reply_to=(),
        references=(),
        subject="Broken MIME test =?utf-8?B?!!!invalid?=",
        date=None,
        from_addr=A("Broken Mime", "broken@mime.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/mixed",
        report_type=None,
        has_html=False,
        attachments=(
            Att(None, "multipart/alternative", 99, None, False),
            Att("data.bin", "application/octet-stream", 10, None, False),
        ),
        defects=("CloseBoundaryNotFoundDefect", "NoBoundaryInMultipartDefect"),
    ),
    "contact_form_noreply_reply_to.eml": dict(
        message_id="Kp3Wn8rT2vYq6Lz0Bx4Mc7DhAa1Bb2Cc3Dd4Ee5Ff@shop.example.com",
        in_reply_to=(),
        references=(),
        subject="[Contact form] Question about bulk discounts",
        date="2025-04-03T16:40:22+00:00",
        from_addr=A("Acme Shop", "noreply@shop.example.com"),
        reply_to=A("Ahmed Hassan", "ahmed.hassan@mail.example"),
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "danish_outlook_oprindelig_besked.eml": dict(
        message_id="AM9PR07MB7107A1B2C3D4E5F6@AM9PR07MB7107.eurprd07.prod.example",
        in_reply_to=("opencx.k7dq2mf9xv4p.m3@gateway.localhost",),
        references=("opencx.k7dq2mf9xv4p.m3@gateway.localhost",),
        subject="SV: Levering af ordre 10815 [#12360]",
        date="2025-03-17T09:12:31+00:00",
        from_addr=A("Mette Larsen", "mette.larsen@post.example.dk"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "dsn_multipart_report.eml": dict(
        message_id="E1tuqXb-0004gH-2K@mail-relay.example.net",
        in_reply_to=(),
        references=(),
        subject="Mail delivery failed: returning message to sender",
        date="2025-03-19T10:05:31+00:00",
        from_addr=A("Mail Delivery System", "mailer-daemon@mail-relay.example.net"),
        reply_to=None,
        to=(A("", "bounces+outbox-481@gateway.localhost"),),
        cc=(),
        content_type="multipart/report",
        report_type="delivery-status",
        has_html=False,
        attachments=(
            Att(None, "message/delivery-status", 290, None, False),
            Att(None, "message/rfc822", 719, None, False),
        ),
        defects=(),
    ),
    "finnish_gmail_kirjoitti.eml": dict(
        message_id="CAF7k2Zq9xR4mN8pL1wT5vB3hJ6dY0sE2aG7uC4iK9oQ1fW3xMn@mail.gmail.com",
        in_reply_to=("opencx.p2nx8ka5wd3r.m2@gateway.localhost",),
        references=("opencx.p2nx8ka5wd3r.m2@gateway.localhost",),
        subject="Re: Salasanan vaihto [#12361]",
        date="2025-03-18T11:30:02+00:00",
        from_addr=A("Matti Virtanen", "matti.virtanen@posti.example.fi"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "forwarding_challenge_test.eml": dict(
        message_id="opencx-verify.1743580801@gateway.localhost",
        in_reply_to=(),
        references=(),
        subject="OpenCX forwarding test for support@example.com",
        date="2025-04-02T08:00:01+00:00",
        from_addr=A("OpenCX Gateway", "verify@gateway.localhost"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "french_reply_windows1252.eml": dict(
        message_id="000a01db9412$5e3c8f20$1ab5ad60$@orange.example",
        in_reply_to=("opencx.f3ab5zn6ke2t.m2@gateway.localhost",),
        references=("opencx.f3ab5zn6ke2t.m2@gateway.localhost",),
        subject="Re : Remboursement de la commande 10702 [#12352]",
        date="2025-03-13T14:19:58+00:00",
        from_addr=A("Sophie Martin", "sophie.martin@orange.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "german_reply_iso8859_1.eml": dict(
        message_id="trinity-4e8a1c3f-7b2d-4f69-9e05-c1d2a3b4e5f6-1741687957384@3c-app-webde-bap12",
        in_reply_to=("opencx.z6pm4ka2ws7r.m2@gateway.localhost",),
        references=("opencx.z6pm4ka2ws7r.m2@gateway.localhost",),
        subject="AW: Rückerstattung für Bestellung 10611 [#12350]",
        date="2025-03-11T10:12:37+00:00",
        from_addr=A("Klaus Wächter", "k.wagner@web.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "gmail_autoforward_x_forwarded_for.eml": dict(
        message_id="a3f9c1e7-2b5d-4e8f-9a0c-6d1e2f3a4b5c@eu-mail.example",
        in_reply_to=(),
        references=(),
        subject="Two-factor codes arrive late",
        date="2025-04-07T08:20:09+00:00",
        from_addr=A("Nils Eriksson", "nils.eriksson@eu-mail.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "gmail_forwarding_confirmation.eml": dict(
        message_id="6wd9LkQpT3q2n8aXr5vYbA.0@notifications.google.com",
        in_reply_to=(),
        references=(),
        subject=(
            "(#726451983) Gmail Forwarding Confirmation - Receive Mail from support@example.com"
        ),
        date="2025-03-23T09:41:19+00:00",
        from_addr=A("Gmail Team", "forwarding-noreply@google.com"),
        reply_to=None,
        to=(A("", "support+example.com@gateway.localhost"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "gmail_reply_quoted.eml": dict(
        message_id="CAJx9fQm8Z0gT+u7Hn4rLk2vYp1Wq3eN5sFh6tGd7cB8aXy0zKw@mail.gmail.com",
        in_reply_to=("opencx.k3v7qz2mxa4p.m1@gateway.localhost",),
        references=("opencx.k3v7qz2mxa4p.m1@gateway.localhost",),
        subject="Re: Refund for order 10432 [#12345]",
        date="2025-03-04T09:14:48+00:00",
        from_addr=A("Jane Doe", "jane.doe@gmail.com"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "google_groups_rewrite.eml": dict(
        message_id="CAPz7wXk3nQ8r5Yt2Lb9vMc4Jd1Fh6Ug0Sa3Xe7Rn2Km5Tq8Wy1@mail.gmail.com",
        in_reply_to=(),
        references=(),
        subject="Cannot reset my password",
        date="2025-03-24T14:02:19+00:00",
        from_addr=A("Jane Roe' via Acme Support", "support@example.com"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "html_only_customer.eml": dict(
        message_id="1928374655.2837465.1743196321123@mail.yahoo.example",
        in_reply_to=(),
        references=(),
        subject="Which plan includes phone support?",
        date="2025-03-28T21:12:01+00:00",
        from_addr=A("Olivia Brown", "olivia.brown@yahoo.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/html",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "huge_header_200kb.eml": dict(
        message_id="huge-header-1744279200@bigcorp.example",
        in_reply_to=("opencx.p4mx7ka2zt6e.m5@gateway.localhost",),
        references=(
            3201,
            "3be9147446b52b53b099c49a1247523c.0@relay0.bigcorp.example",
            "opencx.p4mx7ka2zt6e.m5@gateway.localhost",
        ),
        subject="Re: Re: Re: the never-ending thread [#12361]",
        date="2025-04-10T10:00:00+00:00",
        from_addr=A("Long Thread", "long.thread@bigcorp.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "inline_cid_images.eml": dict(
        message_id="SY4P282MB3547E2B1C0D9F8A7B6C5D4E3F2A1B0C9@SY4P282MB3547.AUSP282.PROD.OUTLOOK.EXAMPLE",
        in_reply_to=(),
        references=(),
        subject="Error screenshot",
        date="2025-04-01T13:20:40+00:00",
        from_addr=A("Kim Nguyen", "kim.nguyen@outlook.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/related",
        report_type=None,
        has_html=True,
        attachments=(
            Att("image001.png", "image/png", 70, "image001.png@01DBA2F3.5C6D7E80", True),
            Att(None, "image/gif", 42, "logo-inline-2", True),
        ),
        defects=(),
    ),
    "list_mailman.eml": dict(
        message_id="87h6b1n0xv.fsf@lindqvist.example",
        in_reply_to=(),
        references=(),
        subject="[users] Release 4.2 breaks the plugin loader",
        date="2025-03-21T15:21:58+00:00",
        from_addr=A("Oskar Lindqvist", "oskar@lindqvist.example"),
        reply_to=None,
        to=(A("", "users@lists.opensource.example"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "mislabeled_utf8_is_cp1252.eml": dict(
        message_id="1743102029.77431@webmail.oldmail.example",
        in_reply_to=(),
        references=(),
        subject="Price question",
        date="2025-03-27T19:00:29+00:00",
        from_addr=A("Brendan O'Connor", "b.oconnor@oldmail.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "missing_headers.eml": dict(
        message_id=None,
        in_reply_to=(),
        references=(),
        subject="Scan from MFP-3F",
        date=None,
        from_addr=None,
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "newsletter_bulk_noreply.eml": dict(
        message_id="Xq9TbL2mR4WvK8nJcP1yZg@geopod-ismtpd-3",
        in_reply_to=(),
        references=(),
        subject="🌸 Spring sale: 30% off everything",
        date="2025-03-22T06:00:12+00:00",
        from_addr=A("ShopNews", "noreply@shopnews.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/html",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "noreply_notification.eml": dict(
        message_id="0100019601a2b3c4-5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f-000000@email.cloudhost.example",
        in_reply_to=(),
        references=(),
        subject="Your invoice for March is available",
        date="2025-04-04T03:00:07+00:00",
        from_addr=A("CloudHost", "no-reply@notify.cloudhost.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "norwegian_gmail_skrev.eml": dict(
        message_id="CAH3x9Lk5vQ2mR7nP4wS8tB1jF6cZ0uE3dG9yA2hK5oT7eX1bVq@mail.gmail.com",
        in_reply_to=("opencx.r5vz3mb8kq2t.m2@gateway.localhost",),
        references=("opencx.r5vz3mb8kq2t.m2@gateway.localhost",),
        subject="Re: Faktura 2025-031 [#12362]",
        date="2025-03-19T08:40:21+00:00",
        from_addr=A("Ola Nordmann", "ola.nordmann@epost.example.no"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "nul_bytes.eml": dict(
        message_id="nul-1744189200@nulls.example",
        in_reply_to=(),
        references=(),
        subject="Broken export",
        date="2025-04-09T09:00:00+00:00",
        from_addr=A("Dev Null", "dev@nulls.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "ooo_exchange_automatic_reply.eml": dict(
        message_id="2b1c7f0a9e3d4c5b8a6f1e2d3c4b5a69@DB9PR02MB7012.eurprd02.prod.outlook.com",
        in_reply_to=("opencx.m4ku7pa3xn2z.m1@gateway.localhost",),
        references=("opencx.m4ku7pa3xn2z.m1@gateway.localhost",),
        subject="Automatic reply: Your order 10815 has shipped [#12353]",
        date="2025-03-14T09:00:01+00:00",
        from_addr=A("Peter Novak", "peter.novak@northwind.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "ooo_gmail_vacation.eml": dict(
        message_id="CAHx4kN9vz1P+tq8R2mLh5yWc3Jb7Ud6Fs0Ge1Xa4Qn8Mk2Tw9A@mail.gmail.com",
        in_reply_to=("opencx.t7bq3xe5mr2h.m1@gateway.localhost",),
        references=("opencx.t7bq3xe5mr2h.m1@gateway.localhost",),
        subject="Re: Your subscription renews soon [#12354]",
        date="2025-03-15T11:30:46+00:00",
        from_addr=A("Chen Wei", "chen.wei@gmail.com"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "ooo_subject_only_abwesenheitsnotiz.eml": dict(
        message_id="OF5A2C1B3E.7D9F4E60-ONC1258C3A.0045F2E1@stadtwerke.example",
        in_reply_to=(),
        references=(),
        subject="Abwesenheitsnotiz: Ihre Anfrage [#12356]",
        date="2025-03-18T12:44:47+00:00",
        from_addr=A("Berger, Hans", "h.berger@stadtwerke.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "ooo_zimbra.eml": dict(
        message_id="1830274561.4418.1742198470123.JavaMail.zimbra@mail.uni.example",
        in_reply_to=("opencx.r2dk7vn4pa6y.m1@gateway.localhost",),
        references=(),
        subject="Out of Office: Re: Your licence key [#12355]",
        date="2025-03-17T08:01:10+00:00",
        from_addr=A("Anna Kowalski", "a.kowalski@mail.uni.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "outlook_desktop_original_message.eml": dict(
        message_id="000001db8e6a$4c1f2d80$e45d8880$@fabrikam.example",
        in_reply_to=("opencx.d4ht6wq2zr5n.m3@gateway.localhost",),
        references=("opencx.d4ht6wq2zr5n.m3@gateway.localhost",),
        subject="RE: Your ticket about SSO login [#12347]",
        date="2025-03-06T08:05:31+00:00",
        from_addr=A("Priya Raman", "priya.raman@fabrikam.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "outlook_ios_french_encoded_subject_spaces.eml": dict(
        message_id="PR3P192MB0714E1F2A3B4C5D6@PR3P192MB0714.EURP192.PROD.OUTLOOK.example",
        in_reply_to=("opencx.v3xc5pd7ns9w.m2@gateway.localhost",),
        references=("opencx.v3xc5pd7ns9w.m2@gateway.localhost",),
        subject="RE: Problème de connexion [#12364]",
        date="2025-03-19T09:02:01+00:00",
        from_addr=A("Camille Bernard", "camille.bernard@courriel.example.fr"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "outlook_web_reply_quoted.eml": dict(
        message_id="AM9PR04MB8617C1E43F2A7D5B6E9A0C3BD9CA2@AM9PR04MB8617.eurprd04.prod.outlook.com",
        in_reply_to=("opencx.q7mz2xk4bn3d.m7@gateway.localhost",),
        references=("opencx.q7mz2xk4bn3d.m7@gateway.localhost",),
        subject="RE: Invoice 2025-0117 is wrong [#12346]",
        date="2025-03-05T13:40:07+00:00",
        from_addr=A("Mueller, Thomas", "thomas.mueller@contoso.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "own_address_loop.eml": dict(
        message_id="opencx.b6wq2nk5xj3m.m12@gateway.localhost",
        in_reply_to=("a81c2e9f@customer.example",),
        references=("a81c2e9f@customer.example",),
        subject="Re: Login problem [#12360]",
        date="2025-04-05T10:10:08+00:00",
        from_addr=A("Acme Support", "support@example.com"),
        reply_to=None,
        to=(A("Rita Gomez", "rita@customer.example"),),
        cc=(A("", "support@example.com"),),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "postfix_bounce_null_sender.eml": dict(
        message_id="20250320071500.4ZLZzB0WpKz9sh6@mail.example.com",
        in_reply_to=(),
        references=(),
        subject="Undelivered Mail Returned to Sender",
        date="2025-03-20T07:15:00+00:00",
        from_addr=A("Mail Delivery System", "mailer-daemon@mail.example.com"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/report",
        report_type="delivery-status",
        has_html=False,
        attachments=(
            Att(None, "message/delivery-status", 420, None, False),
            Att(None, "text/rfc822-headers", 387, None, False),
        ),
        defects=(),
    ),
    "raw_8bit_headers.eml": dict(
        message_id="20250408131108.ñ4521@correo.example",
        in_reply_to=(),
        references=(),
        subject="Pedido nº 11045 — ¿dónde está?",
        date="2025-04-08T11:11:08+00:00",
        from_addr=A("José García Núñez", "jose.garcia@correo.example"),
        reply_to=None,
        to=(A("Équipe Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "resent_from_redirect.eml": dict(
        message_id="order-11002-confirm@shop.example.com",
        in_reply_to=(),
        references=(),
        subject="Your order 11002 confirmation",
        date="2025-04-05T08:12:00+00:00",
        from_addr=A("Acme Shop", "noreply@shop.example.com"),
        reply_to=None,
        to=(A("", "carla.diaz@customer.example"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "russian_gmail_koi8r.eml": dict(
        message_id="CAJ8r4Wm2xT6nQ9pK3vS1uC7hL5dY0bF4eG8zB6jM2oR9wX3cNk@mail.gmail.com",
        in_reply_to=("opencx.t8wb4nc2mr6v.m2@gateway.localhost",),
        references=("opencx.t8wb4nc2mr6v.m2@gateway.localhost",),
        subject="Re: Статус заказа 10820 [#12363]",
        date="2025-03-19T07:15:40+00:00",
        from_addr=A("Иван Петров", "ivan.petrov@pochta.example.ru"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "shift_jis_body.eml": dict(
        message_id="20250325111037.8F3A.4B5C6D7E@mail.example.jp",
        in_reply_to=(),
        references=(),
        subject="注文の件について",
        date="2025-03-25T02:10:37+00:00",
        from_addr=A("山田 太郎", "t.yamada@mail.example.jp"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="text/plain",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
    "spanish_reply_html_only.eml": dict(
        message_id="20250312170314.Horde.xQ2mK8vN4pR6tW0yZ3aB1cD@correo.example",
        in_reply_to=("opencx.c5vt7jm2kq4x.m6@gateway.localhost",),
        references=(
            "opencx.c5vt7jm2kq4x.m1@gateway.localhost",
            "opencx.c5vt7jm2kq4x.m6@gateway.localhost",
        ),
        subject="Re: Problema con la factura [#12351]",
        date="2025-03-12T16:03:14+00:00",
        from_addr=A("Lucía Fernández", "lucia.fernandez@correo.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="text/html",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "thunderbird_reply_signature.eml": dict(
        message_id="8f3c2a1e-5b7d-4e90-a6c4-2d1f0e9b8a77@posteo.example",
        in_reply_to=("opencx.h2rk6vn3ya7c.m4@gateway.localhost",),
        references=("opencx.h2rk6vn3ya7c.m4@gateway.localhost",),
        subject="Re: Export fails with error 500 [#12349]",
        date="2025-03-10T07:49:58+00:00",
        from_addr=A("Lena Schmidt", "lena@posteo.example"),
        reply_to=None,
        to=(A("Acme Support", "support@example.com"),),
        cc=(),
        content_type="multipart/alternative",
        report_type=None,
        has_html=True,
        attachments=(),
        defects=(),
    ),
    "unknown_charset.eml": dict(
        message_id="5521.1742977798@legacy-erp.example",
        in_reply_to=(),
        references=(),
        subject="Lieferung für Auftrag 5521",
        date="2025-03-26T08:29:58+00:00",
        from_addr=A("ERP Operations", "ops@legacy-erp.example"),
        reply_to=None,
        to=(A("", "support@example.com"),),
        cc=(),
        content_type="multipart/mixed",
        report_type=None,
        has_html=False,
        attachments=(),
        defects=(),
    ),
}

TEXTS: dict[str, str] = {
    "apple_mail_reply_iphone.eml": (
        "The parcel arrived today but the box was damaged and one mug is broken. "
        "Can you send a replacement?\n"
        "\n"
        "Sent from my iPhone\n"
        "\n"
        "> On 7 Mar 2025, at 12:03, Acme Support <support@example.com> wrote:\n"
        ">\n"
        "> \ufeffHello Marco,\n"
        ">\n"
        "> your order 10577 was handed to the courier this morning.\n"
        ">\n"
        "> Acme Support"
    ),
    "attachments_mixed.eml": (
        "Hello,\n"
        "\n"
        "please find our Q1 invoices attached. The second one is disputed.\n"
        "\n"
        "Contoso Finance"
    ),
    "broken_mime.eml": "Hello, the base64 is broken here",
    "contact_form_noreply_reply_to.eml": (
        "Name: Ahmed Hassan\n"
        "Email: Ahmed.Hassan@Mail.Example\n"
        "\n"
        "Message:\n"
        "Do you offer discounts for orders above 200 units?\n"
        "\n"
        "--\n"
        "This e-mail was sent from the contact form on Acme Shop "
        "(https://shop.example.com)"
    ),
    "danish_outlook_oprindelig_besked.eml": (
        "Hej,\n"
        "\n"
        "pakken er stadig ikke kommet frem. Kan I undersøge, hvor den er?\n"
        "\n"
        "Venlig hilsen\n"
        "Mette Larsen\n"
        "\n"
        "-------- Oprindelig besked --------\n"
        "Fra: Acme Support <support@example.com>\n"
        "Dato: 14.03.2025  16.45  (GMT+01:00)\n"
        "Til: mette.larsen@post.example.dk\n"
        "Emne: Levering af ordre 10815 [#12360]\n"
        "\n"
        "Hej Mette,\n"
        "\n"
        "din ordre er afsendt i dag.\n"
        "\n"
        "Acme Support"
    ),
    "dsn_multipart_report.eml": (
        "This message was created automatically by mail delivery software.\n"
        "\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) "
        "failed:\n"
        "\n"
        "  old.address@closed-company.example\n"
        "    host mx.closed-company.example [203.0.113.200]\n"
        "    SMTP error from remote mail server after RCPT "
        "TO:<old.address@closed-company.example>:\n"
        "    550 5.1.1 <old.address@closed-company.example>: Recipient address "
        "rejected: User unknown"
    ),
    "finnish_gmail_kirjoitti.eml": (
        "Hei,\n"
        "\n"
        "salasanan vaihto onnistui nyt. Kiitos avusta!\n"
        "\n"
        "Matti\n"
        "\n"
        "ti 18. maalisk. 2025 klo 10.05 Acme Support\n"
        "<support@example.com> kirjoitti:\n"
        "\n"
        "> Hei Matti,\n"
        ">\n"
        "> voit vaihtaa salasanan asetuksista.\n"
        ">\n"
        "> Acme Support"
    ),
    "forwarding_challenge_test.eml": (
        "This is a test message from your OpenCX gateway. It checks that mail "
        "sent to\n"
        "support@example.com is forwarded to the gateway. You can delete it.\n"
        "\n"
        "Challenge: occ1.c3VwcG9ydEBleGFtcGxlLmNvbQ.1743580800.L6M5vaDADbu_vJVyV6"
        "UZ0g"
    ),
    "french_reply_windows1252.eml": (
        "Bonjour,\n"
        "\n"
        "Merci pour votre réponse. Je n’ai toujours pas reçu les 49,90 € du "
        "remboursement.\n"
        "\n"
        "Cordialement,\n"
        "Sophie Martin\n"
        "\n"
        "Le 12/03/2025 à 18:02, Acme Support a écrit :\n"
        "> Bonjour Madame Martin,\n"
        ">\n"
        "> le remboursement a été effectué aujourd’hui.\n"
        ">\n"
        "> Acme Support"
    ),
    "german_reply_iso8859_1.eml": (
        "Guten Tag,\n"
        "\n"
        "vielen Dank für die schnelle Antwort. Die Rückerstattung ist heute "
        "eingegangen, das Ticket kann geschlossen werden.\n"
        "\n"
        "Mit freundlichen Grüßen\n"
        "Klaus Wächter\n"
        "\n"
        "Am 10.03.2025 um 15:44 schrieb Acme Support <support@example.com>:\n"
        "> Sehr geehrter Herr Wächter,\n"
        ">\n"
        "> wir haben die Rückerstattung veranlasst.\n"
        ">\n"
        "> Acme Support"
    ),
    "gmail_autoforward_x_forwarded_for.eml": (
        "Hi,\n"
        "\n"
        "the SMS codes for two-factor login arrive 5 to 10 minutes late, so they "
        "have already expired when I type them.\n"
        "\n"
        "Nils"
    ),
    "gmail_forwarding_confirmation.eml": (
        "support@example.com has requested to automatically forward mail to your "
        "email address support+example.com@gateway.localhost.\n"
        "\n"
        "To allow support@example.com to automatically forward mail to your "
        "address, please click the link below to confirm the request:\n"
        "\n"
        "https://mail-settings.google.com/mail/vf-%5BANGjdJ9kWq2xR5tY8uI1oP4aS7dF"
        "0gH3jK6lZ9xC2vB5nM8qW1eR4tY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4nM7qW0eR3%5D-Zk3u"
        "9Rr2yVfXq5T1oNcBw8LhJ6mA\n"
        "\n"
        "If you click the link and it appears to be broken, please copy and "
        "paste it into a new browser window. If you aren't able to access the "
        "link, you can send the confirmation code 726451983 to "
        "support@example.com.\n"
        "\n"
        "Thanks for using Gmail!\n"
        "\n"
        "Sincerely,\n"
        "\n"
        "The Gmail Team\n"
        "\n"
        "If you do not approve this request, no further action is required. "
        "support@example.com cannot automatically forward messages to your email "
        "address without your confirmation. If you clicked the link but are "
        "unsure why you received this message, you can click the link below to "
        "cancel the forwarding request:\n"
        "\n"
        "https://mail-settings.google.com/mail/uf-%5BANGjdJ9kWq2xR5tY8uI1oP4aS7dF"
        "0gH3jK6lZ9xC2vB5nM8qW1eR4tY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4nM7qW0eR3%5D-Zk3u"
        "9Rr2yVfXq5T1oNcBw8LhJ6mA\n"
        "\n"
        "To learn more about why you might have received this message, please "
        "visit: https://support.google.com/mail/answer/184973.\n"
        "\n"
        "Please do not respond to this message. If you'd like to contact Google "
        "about this request, please visit the Gmail Help Center: "
        "https://support.google.com/mail"
    ),
    "gmail_reply_quoted.eml": (
        "Hi,\n"
        "\n"
        "Thanks — the refund hasn't arrived yet. Could you check again?\n"
        "\n"
        "Jane\n"
        "\n"
        "On Mon, Mar 3, 2025 at 4:02\u202fPM Acme Support <support@example.com>\n"
        "wrote:\n"
        "\n"
        "> Hello Jane,\n"
        ">\n"
        "> We issued the refund today. It should reach your card within 5 "
        "business\n"
        "> days.\n"
        ">\n"
        "> Acme Support\n"
        ">"
    ),
    "google_groups_rewrite.eml": (
        "Hello,\n\nthe password reset mail never arrives. I checked the spam folder too.\n\nJane"
    ),
    "html_only_customer.eml": (
        "Hello,\n"
        "\n"
        "which plans include phone support?\n"
        "Plan  Seats\n"
        "Team  5\n"
        "\n"
        "Thanks & regards,\n"
        "Olivia"
    ),
    "huge_header_200kb.eml": "Still waiting for an answer on this thread.",
    "inline_cid_images.eml": (
        "Hi, this error shows when I open the dashboard:\n"
        "\n"
        "[cid:image001.png@01DBA2F3.5C6D7E80]\n"
        "\n"
        "And this one after login:\n"
        "\n"
        "[cid:logo-inline-2]\n"
        "\n"
        "Kim"
    ),
    "list_mailman.eml": (
        "Hi all,\n"
        "\n"
        "after upgrading to 4.2 the plugin loader no longer finds plugins in\n"
        "~/.config/project/plugins. Has anyone seen this?\n"
        "\n"
        "Oskar\n"
        "_______________________________________________\n"
        "users mailing list -- users@lists.opensource.example\n"
        "To unsubscribe send an email to users-leave@lists.opensource.example"
    ),
    "mislabeled_utf8_is_cp1252.eml": (
        "Is the “Pro” plan 12 € or 12 £ per month? I’d like to know before Friday."
    ),
    "missing_headers.eml": "Scanned document could not be attached: file too large.",
    "newsletter_bulk_noreply.eml": (
        "Spring sale\n"
        "\n"
        "30% off everything until Sunday.\n"
        "\n"
        "Shop now\n"
        "\n"
        "You receive this mail because you subscribed. Unsubscribe"
    ),
    "noreply_notification.eml": "Your invoice for March 2025 is available in the billing console.",
    "norwegian_gmail_skrev.eml": (
        "Hei,\n"
        "\n"
        "fakturaen har feil adresse. Kan dere sende en ny?\n"
        "\n"
        "Hilsen Ola\n"
        "\n"
        "Sendt fra min iPhone\n"
        "\n"
        "tir. 18. mar. 2025 kl. 09:12 skrev Acme Support <support@example.com>:\n"
        "\n"
        "> Hei Ola,\n"
        ">\n"
        "> vedlagt er fakturaen.\n"
        ">\n"
        "> Acme Support"
    ),
    "nul_bytes.eml": ("The CSV export contains NUL bytes like this.\nPlease fix."),
    "ooo_exchange_automatic_reply.eml": (
        "Thank you for your message. I am out of the office until March 24 with "
        "limited access to email. For urgent matters please contact "
        "orders@northwind.example.\n"
        "\n"
        "Peter Novak"
    ),
    "ooo_gmail_vacation.eml": "I'm travelling until 20 March and will answer when I'm back.",
    "ooo_subject_only_abwesenheitsnotiz.eml": (
        "Ich bin bis einschließlich 28.03. nicht im Büro. In dringenden Fällen "
        "wenden Sie sich bitte an zentrale@stadtwerke.example."
    ),
    "ooo_zimbra.eml": "I am on leave until 31 March. Your message will not be forwarded.",
    "outlook_desktop_original_message.eml": (
        "Hi,\n"
        "\n"
        "SSO works again after clearing the cookies. You can close the ticket.\n"
        "\n"
        "Kind regards,\n"
        "Priya\n"
        "\n"
        "-----Original Message-----\n"
        "From: Acme Support <support@example.com> \n"
        "Sent: Wednesday, March 5, 2025 6:12 PM\n"
        "To: Priya Raman <priya.raman@fabrikam.example>\n"
        "Subject: Re: Your ticket about SSO login [#12347]\n"
        "\n"
        "Hello Priya,\n"
        "\n"
        "please clear your browser cookies and try again.\n"
        "\n"
        "Acme Support"
    ),
    "outlook_ios_french_encoded_subject_spaces.eml": (
        "Bonjour,\n"
        "\n"
        "je n'arrive toujours pas à me connecter depuis la mise à jour.\n"
        "\n"
        "Camille\n"
        "\n"
        "Envoyé à partir de Outlook pour iOS<https://aka.ms/o0ukef>\n"
        "________________________________\n"
        "De : Acme Support <support@example.com>\n"
        "Envoyé : mardi, mars 18, 2025 5:02 PM\n"
        "À : Camille Bernard <camille.bernard@courriel.example.fr>\n"
        "Objet : Problème de connexion [#12364]\n"
        "\n"
        "Bonjour Camille,\n"
        "\n"
        "essayez de réinitialiser votre mot de passe.\n"
        "\n"
        "Acme Support"
    ),
    "outlook_web_reply_quoted.eml": (
        "Hello,\n"
        "\n"
        "the invoice still lists 12 licenses, we only ordered 10. Please send a "
        "corrected invoice.\n"
        "\n"
        "Best regards\n"
        "Thomas Mueller\n"
        "\n"
        "________________________________\n"
        "From: Acme Support <support@example.com>\n"
        "Sent: Tuesday, March 4, 2025 17:22\n"
        "To: Mueller, Thomas <Thomas.Mueller@contoso.example>\n"
        "Subject: Re: Invoice 2025-0117 is wrong [#12346]\n"
        "\n"
        "Hello Thomas,\n"
        "\n"
        "thanks for reaching out. Could you tell us how many licenses you "
        "ordered?\n"
        "\n"
        "Acme Support"
    ),
    "own_address_loop.eml": (
        "Hello Rita,\n\nwe reset your two-factor settings. Please log in again.\n\nAcme Support"
    ),
    "postfix_bounce_null_sender.eml": (
        "This is the mail system at host mail.example.com.\n"
        "\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n"
        "\n"
        "For further assistance, please send mail to postmaster.\n"
        "\n"
        "If you do so, please include this problem report. You can\n"
        "delete your own text from the attached returned message.\n"
        "\n"
        "                   The mail system\n"
        "\n"
        "<typo@gmial.example>: Host or domain name not found. Name service error "
        "for\n"
        "    name=gmial.example type=A: Host not found"
    ),
    "raw_8bit_headers.eml": "Hola, mi pedido nº 11045 no ha llegado todavía.",
    "resent_from_redirect.eml": (
        "Thank you for your order 11002.\n\nItems: 2 x Travel mug (blue)\nTotal: 38.00 EUR"
    ),
    "russian_gmail_koi8r.eml": (
        "Здравствуйте,\n"
        "\n"
        'оплата прошла, но заказ всё ещё в статусе "ожидает оплаты".\n'
        "\n"
        "Иван\n"
        "\n"
        "Отправлено с iPhone\n"
        "\n"
        "вт, 18 мар. 2025 г. в 10:05, Acme Support <support@example.com>:\n"
        "\n"
        "> Здравствуйте, Иван!\n"
        ">\n"
        "> Пожалуйста, проверьте оплату.\n"
        ">\n"
        "> Acme Support"
    ),
    "shift_jis_body.eml": (
        "お世話になっております。\n"
        "注文番号10944の商品がまだ届いていません。\n"
        "確認をお願いいたします。\n"
        "\n"
        "山田 太郎"
    ),
    "spanish_reply_html_only.eml": (
        "Hola,\n"
        "\n"
        "todavía no he recibido la factura corregida. ¿Pueden enviarla otra vez?\n"
        "\n"
        "Gracias,\n"
        "Lucía\n"
        "\n"
        "El mié, 12 mar 2025 a las 9:15, Acme Support (<support@example.com>) "
        "escribió:\n"
        "\n"
        "Hola Lucía,\n"
        "\n"
        "le hemos enviado la factura corregida.\n"
        "\n"
        "Acme Support"
    ),
    "thunderbird_reply_signature.eml": (
        "Hi,\n"
        "\n"
        "the export still fails for the March report. I attached nothing, but "
        'the error appears right after clicking "Export CSV".\n'
        "\n"
        "Lena\n"
        "\n"
        "On 09.03.25 16:20, Acme Support wrote:\n"
        "> Hello Lena,\n"
        ">\n"
        "> we deployed a fix. Could you try the export again?\n"
        ">\n"
        "> Acme Support\n"
        "\n"
        "-- \n"
        "Lena Schmidt\n"
        "Data Team, Posteo Example GmbH\n"
        "+49 30 1234567"
    ),
    "unknown_charset.eml": (
        "Die Lieferung für Auftrag 5521 ist unvollständig: 3 Stück fehlen.\n"
        "\n"
        "Rückfrage: bitte Menge prüfen – Danke."
    ),
}


def test_every_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == all_fixture_names()
    assert sorted(TEXTS) == all_fixture_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_fields(name: str) -> None:
    mail = fixture_mail(name)
    want = EXPECTED[name]
    refs = mail.references
    got = dict(
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=refs if len(refs) < 5 else (len(refs), refs[0], refs[-1]),
        subject=mail.subject,
        date=mail.date.isoformat() if mail.date else None,
        from_addr=mail.from_addr,
        reply_to=mail.reply_to,
        to=mail.to,
        cc=mail.cc,
        content_type=mail.content_type,
        report_type=mail.report_type,
        has_html=mail.html is not None,
        attachments=mail.attachments,
        defects=mail.defects,
    )
    assert got == want


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_fixture_text(name: str) -> None:
    assert fixture_mail(name).text == TEXTS[name]
