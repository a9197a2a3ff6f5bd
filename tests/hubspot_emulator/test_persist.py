"""The emulator's state file: a snapshot restored into a fresh emulator is the same state."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.hubspot.emulator import HubSpotEmulator, persist
from gateway.hubspot.emulator.files import store_file
from gateway.hubspot.emulator.state import CrmObject


def _populate(emu: HubSpotEmulator) -> None:
    state = emu.state
    now = state.now()
    contact = state.next_id("contacts")
    ticket = state.next_id("tickets")
    state.contacts[contact] = CrmObject("contacts", contact, {"email": "ann@customer.test"},
                                        now, now, index=[(now, {"email": "ann@customer.test"})])
    state.tickets[ticket] = CrmObject("tickets", ticket, {"subject": "Help"}, now, now)
    state.associate("contacts", contact, "tickets", ticket)
    store_file(state, "127.0.0.1", "scan.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")


def test_round_trip_keeps_objects_links_files_and_id_counters(tmp_path: Path) -> None:
    first = HubSpotEmulator()
    _populate(first)
    path = tmp_path / "state.json"
    persist.save(first.state, path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    second = HubSpotEmulator()
    assert persist.load(second.state, path)
    assert json.dumps(persist.snapshot(second.state), sort_keys=True) == json.dumps(
        persist.snapshot(first.state), sort_keys=True)
    assert second.contacts is second.state.contacts  # restored in place: aliases still hold
    assert second.state.next_id("tickets") == first.state.next_id("tickets")  # no reuse
    [stored] = second.state.files.values()
    assert stored.data == b"%PDF-1.4 \x00\xff"


def test_a_missing_file_loads_nothing(tmp_path: Path) -> None:
    assert not persist.load(HubSpotEmulator().state, tmp_path / "none.json")
