"""Reply composition: greeting by name, condensed sections, no signature."""

from __future__ import annotations

import pytest

from gateway.agent.compose import compose_reply, condense, display_name, greeting, strip_signoff
from gateway.storage.knowledge import KbSection

SECTION = KbSection("kb#reset", "Reset your password", "Access › Reset your password",
                    "1. Click **Forgot password?**\n2. Open the link.")


@pytest.mark.parametrize(("name", "expected"), [
    ("Anna Meyer", "Anna"), ("Dr. Hans Müller", "Dr. Hans Müller"), ("", ""),
    ("anna@example.org", ""), ('"Zoë"', "Zoë"),
])
def test_display_name(name: str, expected: str) -> None:
    assert display_name(name) == expected


def test_greeting_in_the_customers_language() -> None:
    assert greeting("Anna Meyer", "de") == "Hallo Anna,"
    assert greeting("", "fr") == "Bonjour,"
    assert greeting("José", "es") == "Hola, José:"
    assert greeting("Kim", "ja") == "Kim 様"
    assert greeting("Kim", "ko") == "Hi Kim,"  # no phrases: English


def test_compose_reply_english_and_foreign() -> None:
    en = compose_reply([SECTION], "Anna Meyer", "en")
    assert en.startswith("Hi Anna,\n\nThanks for your message.")
    assert '"Reset your password (Access)":\n\n1. Click Forgot password?' in en
    assert "**" not in en  # the text part is the Markdown source: no raw emphasis
    assert "only" not in en
    de = compose_reply([SECTION], "Jonas", "de")
    assert de.startswith("Hallo Jonas,\n\ndanke für Ihre Nachricht. Unsere Hilfeartikel gibt es")
    same = compose_reply([SECTION], "Jonas", "de", kb_language="de")
    assert "Englisch" not in same
    assert strip_signoff(en) == en and strip_signoff(de) == de


def test_condense_keeps_whole_paragraphs() -> None:
    body = "\n\n".join(f"Paragraph {n} " + "x" * 300 for n in range(5))
    short = condense(body, limit=700)
    assert short.startswith("Paragraph 0") and "Paragraph 1" in short
    assert "Paragraph 2" not in short and short.endswith("…")
    assert condense("one " * 400, limit=10).startswith("one")  # at least one paragraph


@pytest.mark.parametrize("signoff", [
    "Best regards,\nAcme Support", "Kind regards,\n\nAnna", "Cheers!", "Thanks,\nThe team",
    "Mit freundlichen Grüßen\nIhr Support-Team", "Cordialement,", "Saludos cordiales,\nAna",
    "[Your Name]",
])
def test_strip_signoff(signoff: str) -> None:
    body = "Hi Anna,\n\nClick **Forgot password?** on the login page."
    assert strip_signoff(f"{body}\n\n{signoff}\n") == body + "\n"


def test_strip_signoff_keeps_content() -> None:
    body = "Hi Anna,\n\nThanks for your patience! Here are the steps.\n\n- one\n- two\n"
    assert strip_signoff(body) == body


PLANS = KbSection(
    "plans#which-plans", "Which plans are there?", "Plans and pricing › Which plans are there?",
    "| Plan | Price | Storage |\n|---|---|---|\n| Free | €0 | 5 GB |\n"
    "| Pro | €12 per user per month | 1 TB per user |\n\n"
    "Yearly billing saves 2 months. See https://acme.example/pricing for details.",
)


def test_direct_answer_leads_with_the_table_row_then_the_passage() -> None:
    reply = compose_reply([PLANS], "Anna", "en", terms=["pro", "plan", "cost", "price"])
    body = reply.split("\n\n")
    assert body[2] == "Pro — Price: €12 per user per month, Storage: 1 TB per user"
    assert body[3].startswith('From our help centre, "Which plans are there? (Plans and pricing)"')
    assert "<https://acme.example/pricing>" in reply  # a bare URL becomes a link in HTML


def test_direct_answer_picks_the_sentence_about_the_question() -> None:
    section = KbSection("box#returns", "Returns", "Returns",
                        "Unused devices can be returned within 30 days. Faulty devices are "
                        "covered by a 2-year warranty and replaced free of charge.")
    reply = compose_reply([section], "", "en", terms=["warranty", "faulty"])
    assert reply.split("\n\n")[2].startswith("Faulty devices are covered by a 2-year warranty")


def test_foreign_customer_is_told_the_answer_follows_in_english() -> None:
    reply = compose_reply([PLANS], "Kasia", "pl", terms=["pro"])
    assert reply.startswith("Dzień dobry Kasia,")
    assert "tylko po angielsku" in reply


def test_emphasis_across_a_line_break_is_removed_too() -> None:
    section = KbSection("b#i", "Invoices", "Invoices",
                        "Open **Settings → Billing →\nInvoices** to download them.")
    reply = compose_reply([section], "", "en")
    assert "**" not in reply and "Settings → Billing →\nInvoices to download" in reply
