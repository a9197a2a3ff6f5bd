"""CRM happy paths of HubSpotClient against the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator

Statuses = Callable[[str, str], list[int]]


TAG = {"name": "opencx_handedoff", "label": "OpenCX handed off", "type": "bool",
       "fieldType": "booleancheckbox", "groupName": "ticketinformation",
       "options": [{"label": "Yes", "value": "true", "displayOrder": 0},
                   {"label": "No", "value": "false", "displayOrder": 1}]}


def ticket_props(**over: str) -> dict[str, str]:
    return {"subject": "[AI handoff] Refund", "content": "summary", "hs_pipeline": "0",
            "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH", **over}


async def test_contact_get_create_and_search(client: HubSpotClient) -> None:
    assert await client.get_contact_by_email("jane@x.com") is None
    created = await client.create_contact("jane@x.com", "Jane", "Doe", "Acme")
    assert (created.email, created.firstname, created.company) == ("jane@x.com", "Jane", "Acme")
    found = await client.get_contact_by_email("JANE@x.com")
    assert found is not None and found.id == created.id and found.lastname == "Doe"
    [hit] = await client.search_contacts("jane@x.com")
    assert hit.id == created.id


async def test_find_or_create_reuses_then_creates(
    client: HubSpotClient, statuses: Statuses
) -> None:
    first = await client.find_or_create_contact("a@x.com", "A", None, None)
    again = await client.find_or_create_contact("a@x.com", "Other", None, None)
    assert again.id == first.id and again.firstname == "A"
    assert statuses("POST", "/crm/v3/objects/contacts") == [201]


async def test_find_or_create_409_resolves_to_existing_id(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    existing = await client.create_contact("race@x.com", "R")
    # The get misses (as if the contact was created between our get and our create) ...
    emulator.fail_next("GET", r"/crm/v3/objects/contacts/", 404)
    contact = await client.find_or_create_contact("race@x.com", "R", "Late", None)
    # ... so the create hits HubSpot's 409 and its "Existing ID: N" decides.
    assert contact.id == existing.id
    assert statuses("POST", "/crm/v3/objects/contacts") == [201, 409]
    assert len(emulator.contacts) == 1


async def test_ticket_lifecycle(client: HubSpotClient, emulator: HubSpotEmulator) -> None:
    contact = await client.create_contact("t@x.com", "T")
    ticket = await client.create_ticket(ticket_props(), contact.id)
    assert ticket.subject == "[AI handoff] Refund" and ticket.stage == "1"
    assert await client.ticket_ids_for_contact(contact.id) == [ticket.id]
    updated = await client.update_ticket(ticket.id, {"hs_pipeline_stage": "4"})
    assert updated.stage == "4"
    fetched = await client.get_ticket(ticket.id, ["hs_pipeline_stage", "content"])
    assert fetched is not None
    assert fetched.properties["content"] == "summary" and fetched.stage == "4"
    assert await client.get_ticket("999999") is None


async def test_ticket_without_contact(client: HubSpotClient) -> None:
    ticket = await client.create_ticket(ticket_props(subject="alone"), None)
    assert ticket.subject == "alone"


async def test_property_then_search_tickets(client: HubSpotClient) -> None:
    assert await client.get_property("tickets", "opencx_handedoff") is None
    created = await client.create_property("tickets", TAG)
    assert created["name"] == "opencx_handedoff" and created["type"] == "bool"
    got = await client.get_property("tickets", "opencx_handedoff")
    assert got is not None and got["fieldType"] == "booleancheckbox"
    tagged = await client.create_ticket(ticket_props(opencx_handedoff="true"), None)
    await client.create_ticket(ticket_props(subject="untagged"), None)
    groups = [{"filters": [{"propertyName": "opencx_handedoff", "operator": "EQ",
                            "value": "true"},
                           {"propertyName": "hs_pipeline_stage", "operator": "IN",
                            "values": ["1", "2", "3"]}]}]
    hits = await client.search_tickets(groups, ["subject", "opencx_handedoff"], limit=5)
    assert [t.id for t in hits] == [tagged.id]
    assert hits[0].properties["opencx_handedoff"] == "true"


async def test_pipelines_and_cached_closed_stages(
    client: HubSpotClient, statuses: Statuses
) -> None:
    [pipeline] = await client.ticket_pipelines()
    assert pipeline.id == "0" and [s.id for s in pipeline.stages] == ["1", "2", "3", "4"]
    assert await client.closed_stage_ids("0") == {"4"}
    assert await client.closed_stage_ids("0") == {"4"}
    assert statuses("GET", "/crm/v3/pipelines/tickets") == [200]
    assert await client.closed_stage_ids("0", refresh=True) == {"4"}
    assert statuses("GET", "/crm/v3/pipelines/tickets") == [200, 200]


async def test_note_associations(client: HubSpotClient, emulator: HubSpotEmulator) -> None:
    contact = await client.create_contact("n@x.com")
    ticket = await client.create_ticket(ticket_props(), contact.id)
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    note = await client.create_note("<b>AI escalation</b>", when, ticket.id, contact.id)
    assert note.properties["hs_note_body"] == "<b>AI escalation</b>"
    assert emulator.state.associated("notes", note.id, "tickets")[ticket.id][0].type_id == 228
    assert emulator.state.associated("notes", note.id, "contacts")[contact.id][0].type_id == 202
    stored = emulator.notes[note.id].properties["hs_timestamp"]
    assert stored is not None and stored.startswith(("2025-01-02T03:04:05", "1735787045000"))


async def test_associate_default(client: HubSpotClient) -> None:
    contact = await client.create_contact("d@x.com")
    ticket = await client.create_ticket(ticket_props(), None)
    assert await client.ticket_ids_for_contact(contact.id) == []
    await client.associate_default("contacts", contact.id, "tickets", ticket.id)
    assert await client.ticket_ids_for_contact(contact.id) == [ticket.id]


async def test_stats_count_calls_by_template(client: HubSpotClient) -> None:
    await client.get_contact_by_email("nobody@x.com")
    await client.get_contact_by_email("nobody2@x.com")
    snap = client.stats.snapshot()
    assert snap["calls"][("GET", "/crm/v3/objects/contacts/{email}")] == 2
    assert snap["errors"][("GET", "/crm/v3/objects/contacts/{email}", "HubSpotNotFound")] == 2
