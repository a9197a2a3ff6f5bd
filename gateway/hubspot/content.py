"""What the handoff writes into HubSpot: contact fields, ticket properties, note texts."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import nh3

FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
    "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de",
    "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com",
    "fastmail.com", "hey.com", "tutanota.com", "orange.fr", "free.fr", "libero.it",
})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})
TRANSCRIPT_ROLES = ("customer", "ai")
NOTE_TRANSCRIPT_LIMIT = 50_000
SUMMARY_CHARS = 400
RICH_TAGS = {"p", "br", "a", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_name(display_name: str) -> tuple[str | None, str | None]:
    """"Jane Q. Doe" -> ("Jane Q.", "Doe"); one word is a first name."""
    parts = display_name.strip().strip('"').split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


def company_from_email(email: str) -> str | None:
    """"jane@mail.acme.co.uk" -> "Acme"; None for free-mail domains."""
    domain = email.rpartition("@")[2].lower().strip(".")
    if not domain or domain in FREE_MAIL:
        return None
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        name = labels[-3]
    else:
        name = labels[-2] if len(labels) >= 2 else labels[0]
    return name[:1].upper() + name[1:] if name else None


def conversation(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The customer and AI turns of a session, in order (what the inbox thread shows)."""
    return [m for m in messages if m["role"] in TRANSCRIPT_ROLES and m["kind"] == "normal"]


def message_text(message: dict[str, Any]) -> str:
    return (message.get("text") or message.get("full_text") or "").strip() or "(empty message)"


def ticket_subject(session: dict[str, Any]) -> str:
    return f"{session['subject'] or '(no subject)'} [#{session['id']}]"[:250]


def sentences(text: str, count: int = 2, limit: int = SUMMARY_CHARS) -> str:
    """The first `count` sentences of `text`, on one line, cut at `limit` characters."""
    flat = " ".join(text.split())
    parts = _SENTENCE_END.split(flat)
    out = " ".join(parts[:count]).strip()
    return out if len(out) <= limit else out[:limit - 1].rstrip() + "…"


def _sentiment(session: dict[str, Any]) -> str:
    score = session.get("sentiment_score")
    label = session.get("sentiment_label") or "unknown"
    return f"{label} ({score:+.2f})" if score is not None else label


def ticket_content(session: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    """The ticket description a rep reads first: the problem in a sentence or two, what the
    AI answered, why it escalated, sentiment and language (plain text)."""
    turns = conversation(messages)
    customer = [m for m in turns if m["role"] == "customer"]
    answers = [m for m in turns if m["role"] == "ai"]
    problem = (session.get("summary") or "").strip() or (
        message_text(customer[0]) if customer else "")
    reason = session.get("handoff_reason") or "unknown"
    detail = (session.get("handoff_detail") or "").strip()
    lines = [
        f"Problem: {sentences(problem) or '(no text)'}",
        "AI answered: " + (sentences(message_text(answers[-1])) if answers
                           else "nothing yet (escalated before any answer)"),
        f"Escalated because: {reason}" + (f" ({sentences(detail, 1)})" if detail else ""),
        f"Sentiment: {_sentiment(session)}; language: {session.get('language') or 'und'}",
    ]
    if len(customer) > 1:
        lines.append(f"Customer messages: {len(customer)}, latest: "
                     f"{sentences(message_text(customer[-1]), 1)}")
    return "\n".join(lines)


def rich_text(markdown: str) -> str:
    """The AI's Markdown as the HTML a custom channel's richText carries: rendered, then
    cut down to the tags the channel declares (links, bold, italic, lists, quotes)."""
    from gateway.render import render_markdown

    return nh3.clean(render_markdown(markdown), tags=RICH_TAGS,
                     attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer").strip()


def ticket_properties(cfg: Any, session: dict[str, Any], messages: list[dict[str, Any]],
                      key: str | None, key_property: str, *, pipeline: str | None = None,
                      stage: str | None = None) -> dict[str, str]:
    props = {
        "subject": ticket_subject(session),
        "content": ticket_content(session, messages),
        "hs_pipeline": pipeline or cfg.pipeline,
        "hs_pipeline_stage": stage or cfg.stage,
        "hs_ticket_priority": cfg.priority,
        cfg.tag_property: "true",
    }
    if key:
        props[key_property] = key
    return props


def marker(ref: str) -> str:
    """The tag that lets a retry find a note or comment it may already have created."""
    return f"[opencx ref {ref}]"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _facts(session: dict[str, Any], link: str) -> list[tuple[str, str]]:
    score = session.get("sentiment_score")
    sentiment = session.get("sentiment_label") or "unknown"
    if score is not None:
        sentiment += f" ({score:+.2f})"
    return [
        ("Reason", session.get("handoff_reason") or "unknown"),
        ("Detail", session.get("handoff_detail") or "-"),
        ("Sentiment", sentiment),
        ("Language", session.get("language") or "und"),
        ("Customer", f"{session['contact_name']} <{session['contact_email']}>".strip()),
        ("Session", link),
    ]


def transcript_text(messages: list[dict[str, Any]]) -> str:
    lines = []
    for m in conversation(messages):
        who = "Customer" if m["role"] == "customer" else "AI"
        lines.append(f"[{_when(m['created_at'])}] {who}:\n{message_text(m)}")
    return "\n\n".join(lines)[:NOTE_TRANSCRIPT_LIMIT]


def handoff_note(session: dict[str, Any], messages: list[dict[str, Any]], link: str, ref: str,
                 *, with_transcript: bool) -> tuple[str, str]:
    """(html, text) of the internal note: reason, sentiment, language, link [, transcript]."""
    facts = _facts(session, link)
    rows = "".join(f"<br><b>{html.escape(k)}:</b> {html.escape(v)}" for k, v in facts[:-1])
    anchor = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    body = f"<p><b>AI escalation</b>{rows}<br><b>Session:</b> {anchor}</p>"
    text = "AI escalation\n" + "\n".join(f"{k}: {v}" for k, v in facts)
    if with_transcript:
        transcript = transcript_text(messages)
        body += f"<p><b>Transcript</b></p><pre>{html.escape(transcript)}</pre>"
        text += f"\n\nTranscript\n{transcript}"
    body += f"<p><small>{html.escape(marker(ref))}</small></p>"
    return body, f"{text}\n\n{marker(ref)}"


def append_note(session: dict[str, Any], message: dict[str, Any], link: str,
                ref: str) -> tuple[str, str]:
    """(html, text) of the note for a customer mail appended to an open ticket."""
    text = message_text(message)[:NOTE_TRANSCRIPT_LIMIT]
    when = _when(message["created_at"])
    body = (f"<p><b>Customer wrote again</b> ({html.escape(when)}, session "
            f'<a href="{html.escape(link)}">#{session["id"]}</a>)</p>'
            f"<pre>{html.escape(text)}</pre><p><small>{html.escape(marker(ref))}</small></p>")
    head = f"Customer wrote again ({when}, session #{session['id']})"
    return body, f"{head}\n\n{text}\n\n{marker(ref)}"
