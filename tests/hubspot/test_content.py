"""What the rep reads: the ticket description and the richText of AI turns."""

from __future__ import annotations

from typing import Any

from gateway.hubspot.content import rich_text, sentences, ticket_content


def turn(role: str, text: str, n: int) -> dict[str, Any]:
    return {"id": n, "role": role, "kind": "normal", "text": text, "created_at": 1.0 * n}


SESSION = {"id": 7, "summary": "", "handoff_reason": "negative_sentiment",
           "handoff_detail": "Customer is angry. Threatens to cancel.",
           "sentiment_label": "negative", "sentiment_score": -0.71, "language": "de",
           "contact_name": "Jane", "contact_email": "jane@x.test"}


def test_description_says_problem_answer_reason_sentiment_language() -> None:
    messages = [
        turn("customer", "My invoice is wrong. I was charged twice. Also the app crashes. "
             "Please help.", 1),
        turn("ai", "Sorry about that! **Double charges** are refunded within 5 days. "
             "Is there anything else?", 2),
        turn("customer", "This is useless. I want a human now!", 3),
    ]
    text = ticket_content(SESSION, messages)
    assert text.splitlines() == [
        "Problem: My invoice is wrong. I was charged twice.",
        "AI answered: Sorry about that! **Double charges** are refunded within 5 days.",
        "Escalated because: negative_sentiment (Customer is angry.)",
        "Sentiment: negative (-0.71); language: de",
        "Customer messages: 2, latest: This is useless.",
    ]


def test_description_uses_the_summary_and_says_when_the_ai_never_answered() -> None:
    session = {**SESSION, "summary": "Wants a refund for order 42. Tone: upset.",
               "handoff_detail": "", "sentiment_score": None}
    text = ticket_content(session, [turn("customer", "refund!!", 1)])
    assert text.splitlines()[:4] == [
        "Problem: Wants a refund for order 42. Tone: upset.",
        "AI answered: nothing yet (escalated before any answer)",
        "Escalated because: negative_sentiment",
        "Sentiment: negative; language: de",
    ]


def test_sentences_cut_long_text() -> None:
    assert sentences("a " * 500, 2, 20).endswith("…")
    assert len(sentences("a " * 500, 2, 20)) == 20


def test_rich_text_is_rendered_and_cut_to_the_channel_tags() -> None:
    html = rich_text("# Title\n\nHi **Jane**, see [the guide](https://x.test/g).\n\n"
                     "- one\n- two\n\n<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>Jane</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://x.test/g" rel="noopener noreferrer">the guide</a>' in html
    assert "<h1>" not in html and "Title" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html and "**" not in html
