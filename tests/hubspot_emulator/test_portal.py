"""Where the emulator says no like HubSpot: custom pipelines, full channel PATCH, channel
webhook shapes and secrets, help-desk auto-tickets."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from hubspot import HubSpot
from hubspot.crm.tickets import SimplePublicObjectInputForCreate
from hubspot.crm.tickets.exceptions import ApiException

from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.emulator.portal import HELPDESK_NEW_STAGE, HELPDESK_PIPELINE
from gateway.hubspot.signatures import verify_v1, verify_v3
from tests.hubspot_emulator.support import (
    APP_ID,
    DEV_KEY,
    SECRET,
    FakeClock,
    Receiver,
    call,
    incoming,
    make_channel,
)

CC = "/conversations/v3/custom-channels"
CHANNEL_SECRET = "channel-app-secret"


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"portal": "helpdesk", "channel_client_secret": CHANNEL_SECRET}


async def _create(hs: HubSpot, props: dict[str, str]) -> Any:
    body = SimplePublicObjectInputForCreate(properties=props, associations=[])
    return await call(hs.crm.tickets.basic_api.create, simple_public_object_input_for_create=body)


async def test_helpdesk_portal_has_no_pipeline_zero(hs: HubSpot) -> None:
    pipelines = await call(hs.crm.pipelines.pipelines_api.get_all, "tickets")
    ids = [p.id for p in pipelines.results]
    assert "0" not in ids and ids[0] == HELPDESK_PIPELINE
    with pytest.raises(ApiException) as failed:
        await _create(hs, {"subject": "x", "hs_pipeline": "0", "hs_pipeline_stage": "1"})
    assert failed.value.status == 400
    body = json.loads(failed.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid")
    assert "INVALID_OPTION" in body["message"]
    made = await _create(hs, {"subject": "x", "hs_pipeline": HELPDESK_PIPELINE,
                              "hs_pipeline_stage": HELPDESK_NEW_STAGE})
    assert made.properties["hs_pipeline"] == HELPDESK_PIPELINE
    with pytest.raises(ApiException) as wrong_stage:  # a stage of another pipeline
        await _create(hs, {"subject": "x", "hs_pipeline": HELPDESK_PIPELINE,
                           "hs_pipeline_stage": "1063490010"})
    assert wrong_stage.value.status == 400


async def test_channel_patch_needs_the_whole_object(http: aiohttp.ClientSession,
                                                   emulator: HubSpotEmulator) -> None:
    channel, _ = await make_channel(http, "http://127.0.0.1:9/old")
    params = {"hapikey": DEV_KEY, "appId": str(APP_ID)}
    async with http.patch(f"{CC}/{channel}", params=params,
                          json={"webhookUrl": "http://127.0.0.1:9/new"}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["context"]["missingFields"] == ["capabilities", "channelDescription",
                                               "channelLogoUrl"]
    assert emulator.channels[channel]["webhookUrl"] == "http://127.0.0.1:9/old"
    full = {"webhookUrl": "http://127.0.0.1:9/new", "capabilities": {"allowInlineImages": False},
            "channelDescription": "AI mail", "channelLogoUrl": "http://127.0.0.1:9/l.svg"}
    async with http.patch(f"{CC}/{channel}", params=params, json=full) as resp:
        assert resp.status == 200, await resp.text()
    assert emulator.channels[channel]["webhookUrl"] == "http://127.0.0.1:9/new"
    emulator.settings.strict_channel_patch = False  # the switch: accept partial updates
    async with http.patch(f"{CC}/{channel}", params=params,
                          json={"webhookUrl": "http://127.0.0.1:9/x"}) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(("shape", "signature"), [("array", "v1"), ("object", "v3")])
async def test_channel_webhooks_shape_and_signature(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver,
        clock: FakeClock, shape: str, signature: str) -> None:
    emulator.settings.channel_webhook_shape = shape
    emulator.settings.channel_signature = signature
    url = f"{receiver.base_url}/hubspot/channel"
    channel, account = await make_channel(http, url)
    async with http.post(f"{CC}/{channel}/messages", json=incoming(account, "t1", "m1")) as resp:
        thread_id = (await resp.json())["conversationsThreadId"]
    await emulator.wait_deliveries()
    receiver.requests.clear()
    await emulator.rep_reply(thread_id, "Hello from a rep")
    await emulator.wait_deliveries()
    (got,) = receiver.to("/hubspot/channel")
    data = json.loads(got.body)
    event = data[0] if shape == "array" else data
    assert isinstance(data, list) == (shape == "array")
    assert event["type"] == "OUTGOING_CHANNEL_MESSAGE_CREATED"
    if signature == "v1":
        assert "X-HubSpot-Signature-v3" not in got.headers
        assert verify_v1(CHANNEL_SECRET, got.body, got.headers["X-HubSpot-Signature"])
        assert not verify_v1(SECRET, got.body, got.headers["X-HubSpot-Signature"])
    else:
        stamp = got.headers["X-HubSpot-Request-Timestamp"]
        sig = got.headers["X-HubSpot-Signature-v3"]
        assert verify_v3(CHANNEL_SECRET, "POST", url, got.body, sig, stamp, clock())
        assert not verify_v3(SECRET, "POST", url, got.body, sig, stamp, clock())


async def test_helpdesk_auto_ticket_once_per_new_thread(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator) -> None:
    channel, account = await make_channel(http, None)
    async with http.post(f"{CC}/{channel}/messages", json=incoming(account, "a", "a1")) as resp:
        off_thread = (await resp.json())["conversationsThreadId"]
    assert emulator.threads[off_thread].ticket_id is None  # switched off by default
    emulator.settings.helpdesk_auto_ticket = True
    for idem in ("b1", "b2"):
        async with http.post(f"{CC}/{channel}/messages",
                             json=incoming(account, "b", idem, text="Refund?\nmore")) as resp:
            thread_id = (await resp.json())["conversationsThreadId"]
    thread = emulator.threads[thread_id]
    assert thread.ticket_id is not None and len(emulator.tickets) == 1
    ticket = emulator.tickets[thread.ticket_id]
    assert ticket.properties["hs_pipeline"] == HELPDESK_PIPELINE
    assert ticket.properties["hs_pipeline_stage"] == HELPDESK_NEW_STAGE
    assert ticket.properties["subject"] == "Refund?"
    async with http.get(f"/conversations/v3/conversations/threads/{thread_id}",
                        params={"association": "TICKET"}) as resp:
        rendered = await resp.json()
    assert rendered["threadAssociations"]["associatedTicketId"] == thread.ticket_id
    contacts = emulator.state.associated("tickets", thread.ticket_id, "contacts")
    assert list(contacts) == [thread.associated_contact_id]
