"""End to end over SMTP and HTTP: mail -> AI -> escalation -> HubSpot (emulator) -> rep reply
-> email; internal comments stay internal; returning contacts; closed tickets."""

from __future__ import annotations

import re
from typing import Any

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.models import parse_time
from gateway.storage import sessions
from tests.conftest import CUSTOMER, SUPPORT, wait_until

from .conftest import (
    count,
    emulator_of,
    handoff_row,
    idle,
    maildir_messages,
    messages,
    newest_session,
    send,
    wait_handoff,
)


async def _answered_then_escalated(gateway: Gateway) -> int:
    """A question the AI answers, then a reply asking for a human (threaded by In-Reply-To)."""
    await send(gateway, subject="Password reset", body="How do I reset my password?",
               message_id="q1@customer.test")

    async def ai_reply() -> dict[str, Any] | None:
        sid = await newest_session(gateway)
        found = [m for m in await messages(gateway, sid or 0) if m["role"] == "ai"]
        return found[0] if found else None

    reply = await wait_until(ai_reply, 15)
    await send(gateway, subject="Re: Password reset", body="That did not help. I want to talk "
               "to a human.", message_id="q2@customer.test",
               headers={"In-Reply-To": f"<{reply['message_id']}>"})
    row = await wait_handoff(gateway)
    return int(row["session_id"])


def _assert_contact_ticket_note(emu: HubSpotEmulator, session: dict[str, Any],
                                public_url: str) -> None:
    sid = session["id"]
    # contact: found or created by email, name and company from the mail
    [contact] = list(emu.contacts.values())
    assert contact.properties["email"] == CUSTOMER
    assert (contact.properties["firstname"], contact.properties["lastname"]) == ("Jane", "Doe")
    assert contact.properties["company"] == "Customer"
    assert session["hubspot_contact_id"] == contact.id
    # ticket: tag property, summary as content, pipeline/stage, associated with the contact
    [ticket] = list(emu.tickets.values())
    props = ticket.properties
    assert props["opencx_handedoff"] == "true"
    description = props["content"]  # a summary a rep can act on, not the raw first mail
    assert description.startswith(f"Problem: {session['summary'].split('. ')[0]}")
    assert "\nAI answered: " in description and "nothing yet" not in description
    assert "\nEscalated because: user_request" in description
    assert f"Sentiment: {session['sentiment_label']}" in description
    assert "language: en" in description
    assert f"[#{sid}]" in props["subject"]
    assert (props["hs_pipeline"], props["hs_pipeline_stage"], props["hs_ticket_priority"]) == (
        "0", "1", "HIGH")
    assert contact.id in emu.state.associated("tickets", ticket.id, "contacts")
    assert session["hubspot_ticket_id"] == ticket.id
    # note: reason, sentiment, language and the link, on the ticket
    [note] = list(emu.notes.values())
    body = note.properties["hs_note_body"]
    assert "user_request" in body and session["sentiment_label"] in body
    assert "<b>Language:</b> en" in body and f"{public_url}/sessions/{sid}" in body
    assert ticket.id in emu.state.associated("notes", note.id, "tickets")


def _assert_thread(emu: HubSpotEmulator, session: dict[str, Any],
                   history: list[dict[str, Any]]) -> None:
    """The whole exchange in order, with the original times, plus the internal comment."""
    thread = emu.threads[session["hubspot_thread_id"]]
    turns = [m for m in history if m["role"] in ("customer", "ai")]
    posted = [emu.messages[i] for i in thread.message_ids]
    published = [m for m in posted if m["type"] == "MESSAGE"]
    assert [m["direction"] for m in published] == ["INCOMING", "OUTGOING", "INCOMING"]
    assert [m["text"] for m in published] == [t["text"].strip() for t in turns]
    ai = [m for m in published if m["direction"] == "OUTGOING"]
    assert ai and all(m["richText"].startswith("<p>") and "**" not in m["richText"]
                      for m in ai)
    for sent, turn in zip(published, turns, strict=True):
        stamp = parse_time(sent["createdAt"])
        assert stamp is not None and abs(stamp.timestamp() - turn["created_at"]) < 0.002
    [comment] = [m for m in posted if m["type"] == "COMMENT"]
    for fact in ("user_request", "Sentiment:", "Language: en", f"/sessions/{session['id']}"):
        assert fact in comment["text"]


async def test_full_loop_ticket_thread_note_reply_and_comment(gateway: Gateway,
                                                              config: Config) -> None:
    emu = emulator_of(gateway)
    sid = await _answered_then_escalated(gateway)
    session = await gateway.db.read(lambda c: sessions.get_session(c, sid))
    assert session is not None and session["status"] == "handed_off"
    assert session["handoff_reason"] == "user_request"
    _assert_contact_ticket_note(emu, session, gateway.public_url())
    _assert_thread(emu, session, await messages(gateway, sid))

    # the rep replies publicly: an email in the customer's thread, HTML kept, signed
    rep = await emu.rep_reply(session["hubspot_thread_id"], "Hi Jane, I reset it for you.",
                              "<p>Hi Jane, I <b>reset</b> it for you.</p>")
    await wait_until(lambda: len(maildir_messages(config)) == 2, 15)  # the AI's, the rep's
    mail = maildir_messages(config)[-1]
    assert mail["To"].addresses[0].addr_spec == CUSTOMER
    assert mail["From"].addresses[0].addr_spec == SUPPORT
    assert mail["Auto-Submitted"] is None
    assert mail["In-Reply-To"] and "q2@customer.test" in mail["References"]
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<b>reset</b>" in html and "Acme Support Team" in html
    assert "I reset it for you." in text and "Acme Support Team" in text
    agent = [m for m in await messages(gateway, sid) if m["role"] == "agent"]
    assert [(m["text"], m["hubspot_message_id"]) for m in agent] == [
        ("Hi Jane, I reset it for you.", rep["id"])]

    # an internal comment: recorded as internal, never mailed
    await emu.rep_comment(session["hubspot_thread_id"], "Customer is on the legacy plan.")
    await wait_until(lambda: _has_role(gateway, sid, "internal"), 10)
    # the comment carries only the actor id (as at HubSpot): the name comes from the actors API
    internal = [m for m in await messages(gateway, sid) if m["role"] == "internal"]
    assert [m["author"] for m in internal] == ["Riley Rep"]
    assert [m["author"] for m in agent] == ["Riley Rep"]
    await idle(gateway, emu)
    assert len(maildir_messages(config)) == 2
    assert count(emu.tickets.values()) == 1 and count(emu.contacts.values()) == 1


async def _has_role(gateway: Gateway, sid: int, role: str) -> bool:
    return any(m["role"] == role for m in await messages(gateway, sid))


async def test_returning_contact_appends_to_open_ticket(gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    await send(gateway)
    first = await wait_handoff(gateway)
    thread = emu.threads[first["thread_id"]]
    published_before = len(thread.message_ids)
    await send(gateway, subject="Another thing", body="Also, my invoice address is wrong.")

    async def appended() -> bool:
        await emu.wait_deliveries()
        return len(emu.notes) == 2

    await wait_until(appended, 15)
    await idle(gateway, emu)
    assert count(emu.tickets.values()) == 1
    new = [emu.messages[i] for i in thread.message_ids[published_before:]]
    assert [(m["type"], m.get("direction"), m["text"]) for m in new] == [
        ("MESSAGE", "INCOMING", "Also, my invoice address is wrong.")]
    notes = sorted(emu.notes.values(), key=lambda n: int(n.id))
    assert "Customer wrote again" in notes[1].properties["hs_note_body"]
    assert "invoice address" in notes[1].properties["hs_note_body"]
    assert first["ticket_id"] in emu.state.associated("notes", notes[1].id, "tickets")
    session = await gateway.db.read(lambda c: sessions.get_session(c, first["session_id"]))
    assert session is not None and session["status"] == "handed_off"


async def test_closed_ticket_closes_session_and_next_handoff_opens_a_new_ticket(
        gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    await send(gateway)
    first = await wait_handoff(gateway)
    await emu.close_ticket(first["ticket_id"])

    async def closed() -> bool:
        s = await gateway.db.read(lambda c: sessions.get_session(c, first["session_id"]))
        return s is not None and s["status"] == "closed"

    await wait_until(closed, 15)
    await send(gateway, subject="New problem", body="My parcel never arrived and I want a "
               "human to look at it. I want to talk to a human.")

    async def second() -> dict[str, Any] | None:
        sid = await newest_session(gateway)
        row = await handoff_row(gateway, sid) if sid and sid != first["session_id"] else None
        return row if row and row["status"] == "done" else None

    row = await wait_until(second, 20)
    assert row["ticket_action"] == "created" and row["ticket_id"] != first["ticket_id"]
    assert count(emu.tickets.values()) == 2 and count(emu.contacts.values()) == 1
    assert row["thread_id"] != first["thread_id"]


async def test_missed_close_webhook_append_starts_a_new_ai_session(gateway: Gateway) -> None:
    """The ticket closed but no webhook came: the append notices, the mail goes to the AI."""
    emu = emulator_of(gateway)
    await send(gateway)
    first = await wait_handoff(gateway)
    emu.set_webhook_target(None)
    await emu.close_ticket(first["ticket_id"])
    await send(gateway, subject="Password", body="How do I reset my password?")

    async def moved() -> int | None:
        sid = await newest_session(gateway)
        return sid if sid and sid != first["session_id"] else None

    new_sid = await wait_until(moved, 15)
    await wait_until(lambda: _has_role(gateway, new_sid, "ai"), 15)
    old = await gateway.db.read(lambda c: sessions.get_session(c, first["session_id"]))
    assert old is not None and old["status"] == "closed"
    new_messages = await messages(gateway, new_sid)
    assert [m["role"] for m in new_messages if m["role"] in ("customer", "ai")] == [
        "customer", "ai"]
    assert count(emu.notes.values()) == 1  # nothing was appended to the closed ticket


async def test_manual_handoff_via_actions_runs_the_same_saga(gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    await send(gateway, subject="Password reset", body="How do I reset my password?")

    async def answered() -> int | None:
        sid = await newest_session(gateway)
        return sid if sid and await _has_role(gateway, sid, "ai") else None

    sid = await wait_until(answered, 15)
    assert gateway.actions is not None
    await gateway.actions.handoff(sid, "VIP customer, call back")
    row = await wait_handoff(gateway, sid)
    assert row["reason"] == "manual" and row["ticket_action"] == "created"
    [note] = list(emu.notes.values())
    assert "manual" in note.properties["hs_note_body"]
    assert "VIP customer, call back" in note.properties["hs_note_body"]
    thread = emu.threads[row["thread_id"]]
    directions = [emu.messages[i].get("direction") for i in thread.message_ids]
    assert directions[:2] == ["INCOMING", "OUTGOING"]


def test_ticket_subject_carries_the_session_number() -> None:
    from gateway.hubspot.content import company_from_email, split_name, ticket_subject

    assert re.fullmatch(r"Refund \[#10001\]", ticket_subject({"id": 10001, "subject": "Refund"}))
    assert split_name("Jane Q. Doe") == ("Jane Q.", "Doe") and split_name("") == (None, None)
    assert company_from_email("a@mail.acme.co.uk") == "Acme"
    assert company_from_email("a@gmail.com") is None
