"""CRM endpoints of the emulator, driven by the real hubspot-api-client."""

from __future__ import annotations

import json
import re

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import AssociationSpec as V4Spec
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactIn
from hubspot.crm.contacts.exceptions import ApiException as ContactError
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteIn
from hubspot.crm.objects.notes.exceptions import ApiException as NoteError
from hubspot.crm.properties import OptionInput, PropertyCreate
from hubspot.crm.properties.exceptions import ApiException as PropertyError
from hubspot.crm.tickets import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.tickets.exceptions import ApiException as TicketError

from gateway.hubspot.emulator import HubSpotEmulator
from tests.hubspot_emulator.support import FakeClock, call


def ticket_in(contact_id: str | None = None, type_id: int = 16, **props: str
              ) -> SimplePublicObjectInputForCreate:
    properties = {"subject": "[AI handoff] Refund", "hs_pipeline": "0",
                  "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH", **props}
    associations = None
    if contact_id:
        spec = AssociationSpec(association_category="HUBSPOT_DEFINED",
                               association_type_id=type_id)
        associations = [PublicAssociationsForObject(to=PublicObjectId(id=contact_id),
                                                    types=[spec])]
    return SimplePublicObjectInputForCreate(properties=properties, associations=associations)


async def create_contact(hs: HubSpot, email: str = "jane@example.test") -> str:
    body = ContactIn(properties={"email": email, "firstname": "Jane", "lastname": "Doe"})
    created = await call(hs.crm.contacts.basic_api.create,
                         simple_public_object_input_for_create=body)
    return created.id


async def create_tag_property(hs: HubSpot) -> None:
    options = [OptionInput(label="Yes", value="true", display_order=0, hidden=False),
               OptionInput(label="No", value="false", display_order=1, hidden=False)]
    prop = PropertyCreate(name="opencx_handedoff", label="OpenCX handed off", type="bool",
                          field_type="booleancheckbox", group_name="ticketinformation",
                          options=options)
    await call(hs.crm.properties.core_api.create, "tickets", prop)


def open_tickets_query() -> PublicObjectSearchRequest:
    filters = [{"propertyName": "opencx_handedoff", "operator": "EQ", "value": "true"},
               {"propertyName": "hs_pipeline_stage", "operator": "IN", "values": ["1", "2", "3"]}]
    return PublicObjectSearchRequest(filter_groups=[{"filters": filters}],
                                     properties=["subject", "hs_pipeline_stage"], limit=10)


async def test_contact_by_email_and_conflict_body(hs: HubSpot) -> None:
    contact_id = await create_contact(hs)
    found = await call(hs.crm.contacts.basic_api.get_by_id, "jane@example.test",
                       id_property="email", properties=["email", "firstname", "company"])
    assert found.id == contact_id
    assert found.properties == {"email": "jane@example.test", "firstname": "Jane",
                                "company": None}
    with pytest.raises(ContactError) as err:
        await create_contact(hs, "JANE@example.test")
    assert err.value.status == 409
    body = json.loads(err.value.body)
    assert body["category"] == "CONFLICT" and body["correlationId"]
    assert re.search(r"Existing ID:\s*(\d+)", body["message"]).group(1) == contact_id


async def test_contact_get_missing_is_404(hs: HubSpot) -> None:
    with pytest.raises(ContactError) as err:
        await call(hs.crm.contacts.basic_api.get_by_id, "nobody@example.test",
                   id_property="email")
    assert err.value.status == 404


async def test_ticket_with_inline_association(hs: HubSpot, emulator: HubSpotEmulator) -> None:
    contact_id = await create_contact(hs)
    ticket = await call(hs.crm.tickets.basic_api.create,
                        simple_public_object_input_for_create=ticket_in(contact_id))
    assert ticket.properties["hs_pipeline_stage"] == "1"
    got = await call(hs.crm.tickets.basic_api.get_by_id, ticket.id,
                     properties=["subject", "hs_pipeline_stage"], associations=["contacts"])
    assert got.properties == {"subject": "[AI handoff] Refund", "hs_pipeline_stage": "1"}
    assert [a.id for a in got.associations["contacts"].results] == [contact_id]
    back = await call(hs.crm.associations.v4.basic_api.get_page, "contacts", contact_id,
                      "tickets")
    assert [(r.to_object_id, r.association_types[0].type_id) for r in back.results] == [
        (ticket.id, 15)]
    assert ("POST", "/crm/v3/objects/tickets", 201) in emulator.calls


async def test_ticket_inline_association_wrong_type_is_rejected(
        hs: HubSpot, emulator: HubSpotEmulator) -> None:
    contact_id = await create_contact(hs)
    with pytest.raises(TicketError) as err:
        await call(hs.crm.tickets.basic_api.create,
                   simple_public_object_input_for_create=ticket_in(contact_id, type_id=15))
    assert err.value.status == 400
    assert emulator.tickets == {}


async def test_unknown_property_and_bad_option(hs: HubSpot) -> None:
    with pytest.raises(TicketError) as err:
        await call(hs.crm.tickets.basic_api.create,
                   simple_public_object_input_for_create=ticket_in(opencx_handedoff="true"))
    body = json.loads(err.value.body)
    assert err.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid")
    assert "PROPERTY_DOESNT_EXIST" in body["message"]
    with pytest.raises(TicketError) as err:
        await call(hs.crm.tickets.basic_api.create,
                   simple_public_object_input_for_create=ticket_in(hs_pipeline_stage="9"))
    assert "INVALID_OPTION" in json.loads(err.value.body)["message"]


async def test_search_sees_writes_only_after_lag(hs: HubSpot, clock: FakeClock) -> None:
    await create_tag_property(hs)
    ticket = await call(hs.crm.tickets.basic_api.create,
                        simple_public_object_input_for_create=ticket_in(opencx_handedoff="true"))
    search = hs.crm.tickets.search_api.do_search
    assert (await call(search, public_object_search_request=open_tickets_query())).total == 0
    clock.advance(2.1)
    found = await call(search, public_object_search_request=open_tickets_query())
    assert [r.id for r in found.results] == [ticket.id]
    closed = SimplePublicObjectInput(properties={"hs_pipeline_stage": "4"})
    await call(hs.crm.tickets.basic_api.update, ticket.id, closed)
    clock.advance(1.0)
    stale = await call(search, public_object_search_request=open_tickets_query())
    assert stale.total == 1 and stale.results[0].properties["hs_pipeline_stage"] == "1"
    clock.advance(1.1)
    assert (await call(search, public_object_search_request=open_tickets_query())).total == 0


async def test_search_filter_limits(hs: HubSpot) -> None:
    one = {"propertyName": "subject", "operator": "EQ", "value": "x"}
    too_many_groups = PublicObjectSearchRequest(filter_groups=[{"filters": [one]}] * 6)
    too_many_filters = PublicObjectSearchRequest(filter_groups=[{"filters": [one] * 11}])
    for request in (too_many_groups, too_many_filters):
        with pytest.raises(TicketError) as err:
            await call(hs.crm.tickets.search_api.do_search, public_object_search_request=request)
        assert err.value.status == 400
        assert json.loads(err.value.body)["category"] == "VALIDATION_ERROR"
    ok = PublicObjectSearchRequest(filter_groups=[{"filters": [one] * 10}] * 2)
    assert (await call(hs.crm.tickets.search_api.do_search,
                       public_object_search_request=ok)).total == 0


async def test_pipelines_and_stages(hs: HubSpot) -> None:
    pipelines = await call(hs.crm.pipelines.pipelines_api.get_all, "tickets")
    stages = {s.id: s.metadata for s in pipelines.results[0].stages}
    assert pipelines.results[0].id == "0"
    assert stages["1"] == {"ticketState": "OPEN", "isClosed": "false"}
    assert stages["4"] == {"ticketState": "CLOSED", "isClosed": "true"}
    listed = await call(hs.crm.pipelines.pipeline_stages_api.get_all, "tickets", "0")
    assert [s.id for s in listed.results] == ["1", "2", "3", "4"]


async def test_property_absent_create_conflict(hs: HubSpot) -> None:
    with pytest.raises(PropertyError) as err:
        await call(hs.crm.properties.core_api.get_by_name, "tickets", "opencx_handedoff")
    assert err.value.status == 404
    await create_tag_property(hs)
    got = await call(hs.crm.properties.core_api.get_by_name, "tickets", "opencx_handedoff")
    assert got.type == "bool" and [o.value for o in got.options] == ["true", "false"]
    with pytest.raises(PropertyError) as err:
        await create_tag_property(hs)
    assert err.value.status == 409


async def test_notes_require_timestamp_and_limit_length(hs: HubSpot,
                                                        emulator: HubSpotEmulator) -> None:
    ticket = await call(hs.crm.tickets.basic_api.create,
                        simple_public_object_input_for_create=ticket_in())
    link = [{"to": {"id": ticket.id},
             "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 228}]}]
    create = hs.crm.objects.notes.basic_api.create
    for props in ({"hs_note_body": "no time"},
                  {"hs_timestamp": "1735732800000", "hs_note_body": "x" * 65_537}):
        with pytest.raises(NoteError) as err:
            await call(create, simple_public_object_input_for_create=NoteIn(properties=props))
        assert err.value.status == 400
    note = await call(create, simple_public_object_input_for_create=NoteIn(
        properties={"hs_timestamp": "1735732800000", "hs_note_body": "<b>AI escalation</b>"},
        associations=link))
    assert note.properties["hs_timestamp"] == "2025-01-01T12:00:00.000Z"
    assert list(emulator.state.associated("tickets", ticket.id, "notes")) == [note.id]
    read = await call(hs.crm.objects.notes.basic_api.get_by_id, note.id,
                      properties=["hs_note_body"])
    assert read.properties["hs_note_body"] == "<b>AI escalation</b>"


async def test_v4_associations_default_and_labelled(hs: HubSpot,
                                                    emulator: HubSpotEmulator) -> None:
    contact_id = await create_contact(hs)
    ticket = await call(hs.crm.tickets.basic_api.create,
                        simple_public_object_input_for_create=ticket_in())
    made = await call(hs.crm.associations.v4.basic_api.create_default, "tickets", ticket.id,
                      "contacts", contact_id)
    assert made.status == "COMPLETE"
    assert {r.association_spec.association_type_id for r in made.results} == {15, 16}
    note = await call(hs.crm.objects.notes.basic_api.create,
                      simple_public_object_input_for_create=NoteIn(
                          properties={"hs_timestamp": "2025-01-01T12:00:00Z"}))
    spec = [V4Spec(association_category="HUBSPOT_DEFINED", association_type_id=228)]
    await call(hs.crm.associations.v4.basic_api.create, "notes", note.id, "tickets", ticket.id,
               association_spec=spec)
    assert set(emulator.state.associated("tickets", ticket.id, "notes")) == {note.id}


async def test_bad_token_is_401(emulator: HubSpotEmulator) -> None:
    bad = HubSpot(access_token="nope", host=emulator.base_url, base_url=emulator.base_url)
    with pytest.raises(TicketError) as err:
        await call(bad.crm.tickets.basic_api.get_page)
    assert err.value.status == 401
    assert json.loads(err.value.body)["category"] == "INVALID_AUTHENTICATION"
    assert emulator.calls[-1].status == 401
