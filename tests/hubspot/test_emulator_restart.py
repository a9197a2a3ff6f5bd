"""Issue 10 point 2e: a restart in emulator mode never crosses two customers' tickets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import wait_until
from tests.hubspot.conftest import emulator_of, hubspot_config, idle, send, wait_handoff

A, B = "ann@customer.test", "bob@other.test"


async def _session_of(gw: Gateway, email: str) -> int:
    s = await wait_until(lambda: gw.db.read(lambda c: sessions.latest_session_for_contact(
        c, email, ("ai", "handed_off", "closed"))))
    return int(s["id"])


def _ticket_texts(gw: Gateway, ticket_id: str) -> str:
    """Everything HubSpot shows on a ticket: its content and the notes attached to it."""
    emu = emulator_of(gw)
    ticket = emu.tickets[ticket_id]
    notes = [emu.notes[n].properties.get("hs_note_body") or ""
             for n in emu.state.associated("tickets", ticket_id, "notes")]
    return "\n".join([ticket.properties.get("content") or "", *notes])


async def _two_customers_across_a_restart(tmp_path: Path, gateway_at: Any,
                                          **hubspot: Any) -> tuple[Gateway, dict, dict]:
    cfg = hubspot_config(tmp_path, {"emulator": {"listen": "127.0.0.1:0", **hubspot}})
    gw = await gateway_at(cfg)
    await send(gw, sender=A)
    first = await wait_handoff(gw, await _session_of(gw, A))
    await idle(gw, emulator_of(gw))
    await gw.stop()

    gw = await gateway_at(cfg)
    await send(gw, sender=B, subject="Card payment")
    second = await wait_handoff(gw, await _session_of(gw, B))
    await idle(gw, emulator_of(gw))
    return gw, first, second


async def test_the_emulator_state_survives_a_restart(tmp_path: Path, gateway_at: Any) -> None:
    gw, first, second = await _two_customers_across_a_restart(tmp_path, gateway_at)
    emu = emulator_of(gw)
    assert first["ticket_id"] in emu.tickets  # the old ticket is still there
    assert second["ticket_id"] != first["ticket_id"]
    assert (tmp_path / "hubspot-emulator.json").exists()


async def test_a_stored_ticket_of_another_contact_is_never_appended_to(
        tmp_path: Path, gateway_at: Any) -> None:
    # persistence off: the emulator forgets, its ids start again, the database remembers
    gw, first, second = await _two_customers_across_a_restart(tmp_path, gateway_at,
                                                              persist=False)
    assert second["ticket_id"] == first["ticket_id"]  # the clash the issue describes
    await send(gw, sender=A, subject="Re: Help with my order",
               body="My card number is 4111 1111 1111 1111, please refund it.")

    async def fresh() -> dict | None:
        row = await wait_handoff(gw, await _session_of(gw, A))
        return row if row["ticket_id"] != first["ticket_id"] else None

    again = await wait_until(fresh, 20)
    await idle(gw, emulator_of(gw))
    assert "4111" not in _ticket_texts(gw, second["ticket_id"])
    assert "4111" in _ticket_texts(gw, again["ticket_id"])


async def test_a_mapped_ticket_of_another_contact_is_not_reused(tmp_path: Path,
                                                                gateway_at: Any) -> None:
    from gateway.storage import hubspot as hs

    gw = await gateway_at(hubspot_config(tmp_path))
    await send(gw, sender=A)
    first = await wait_handoff(gw, await _session_of(gw, A))
    await idle(gw, emulator_of(gw))
    b_contact = str(int(first["contact_id"]) + 1)  # the emulator's next contact id
    await gw.db.write(lambda c: hs.map_contact_ticket(  # a stale map, as after a data reset
        c, b_contact, first["ticket_id"], first["session_id"], gw.clock()))
    await send(gw, sender=B, subject="Card payment")
    second = await wait_handoff(gw, await _session_of(gw, B))
    assert second["contact_id"] == b_contact
    assert second["ticket_id"] != first["ticket_id"] and second["ticket_action"] == "created"
