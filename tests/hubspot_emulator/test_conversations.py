"""Conversations and Custom Channels endpoints of the emulator, over aiohttp."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway.hubspot.emulator import HubSpotEmulator
from tests.hubspot_emulator.support import APP_ID, DEV_KEY, incoming, make_channel

CC = "/conversations/v3/custom-channels"
THREADS = "/conversations/v3/conversations/threads"


async def publish(http: aiohttp.ClientSession, channel: str, body: dict[str, Any]
                  ) -> dict[str, Any]:
    async with http.post(f"{CC}/{channel}/messages", json=body) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def get(http: aiohttp.ClientSession, path: str, **params: str) -> Any:
    async with http.get(path, params=params) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_channel_needs_developer_key_and_string_identifier_types(
        http: aiohttp.ClientSession) -> None:
    caps = {"deliveryIdentifierTypes": [{"type": "HS_EMAIL_ADDRESS", "value": "a@b.test"}]}
    async with http.post(CC, params={"hapikey": DEV_KEY, "appId": str(APP_ID)},
                         json={"name": "x", "capabilities": caps}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["subCategory"] == "CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES"
    assert body["message"].startswith("One or more Channel Capabilities")
    async with http.post(CC, params={"hapikey": "wrong", "appId": str(APP_ID)},
                         json={"name": "x", "capabilities": {}}) as resp:
        assert resp.status == 401
    channel, _ = await make_channel(http, None)
    listed = await get(http, CC, hapikey=DEV_KEY)
    assert [c["id"] for c in listed["results"]] == [channel]


async def test_publish_creates_thread_contact_and_is_idempotent(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator) -> None:
    channel, account = await make_channel(http, None)
    first = await publish(http, channel, incoming(account, "gw-1", "m-1"))
    again = await publish(http, channel, incoming(account, "gw-1", "m-1"))
    assert again["id"] == first["id"]
    thread_id = first["conversationsThreadId"]
    assert len(emulator.threads[thread_id].message_ids) == 1
    (contact,) = emulator.contacts.values()
    assert contact.properties["email"] == "jane@example.test"
    assert first["senders"][0]["actorId"] == f"V-{contact.id}"
    assert first["direction"] == "INCOMING"
    assert first["client"] == {"clientType": "INTEGRATION", "integrationAppId": APP_ID}
    thread = await get(http, f"{THREADS}/{thread_id}")
    assert thread["status"] == "OPEN"
    assert thread["inboxId"] == emulator.accounts[account]["inboxId"]
    assert thread["associatedContactId"] == contact.id


async def test_outgoing_and_backfilled_order(http: aiohttp.ClientSession) -> None:
    channel, account = await make_channel(http, None)
    later = await publish(http, channel, incoming(account, "gw-2", "m-2", text="second",
                                                  timestamp="2025-01-01T12:05:00Z"))
    reply = incoming(account, "gw-2", "m-1", text="first answer",
                     timestamp="2025-01-01T12:01:00Z")
    reply |= {"messageDirection": "OUTGOING", "senders": [{"name": "AI"}],
              "recipients": [{"deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS",
                                                     "value": "jane@example.test"}}]}
    out = await publish(http, channel, reply)
    assert out["conversationsThreadId"] == later["conversationsThreadId"]
    assert out["senders"][0]["actorId"] == f"I-{APP_ID}"
    assert out["recipients"][0]["actorId"] == later["senders"][0]["actorId"]
    assert out["direction"] == "OUTGOING" and out["client"]["integrationAppId"] == APP_ID
    listed = await get(http, f"{THREADS}/{out['conversationsThreadId']}/messages",
                       sort="createdAt")
    assert [m["text"] for m in listed["results"]] == ["first answer", "second"]
    newest_first = await get(http, f"{THREADS}/{out['conversationsThreadId']}/messages")
    assert [m["text"] for m in newest_first["results"]] == ["second", "first answer"]


async def test_thread_status_ticket_link_and_reopen(http: aiohttp.ClientSession,
                                                    emulator: HubSpotEmulator) -> None:
    channel, account = await make_channel(http, None)
    msg = await publish(http, channel, incoming(account, "gw-3", "m-1"))
    thread_id = msg["conversationsThreadId"]
    async with http.post("/crm/v3/objects/tickets", json={
            "properties": {"subject": "s", "hs_pipeline_stage": "1"}}) as resp:
        ticket_id = (await resp.json())["id"]
    link = (f"/crm/v4/objects/tickets/{ticket_id}/associations/default/"
            f"conversations/{thread_id}")
    async with http.put(link) as resp:
        assert resp.status == 201
    thread = await get(http, f"{THREADS}/{thread_id}", association="TICKET")
    assert thread["threadAssociations"] == {"associatedTicketId": ticket_id}
    async with http.patch(f"{THREADS}/{thread_id}", json={"status": "CLOSED"}) as resp:
        closed = await resp.json()
    assert closed["status"] == "CLOSED" and "closedAt" in closed
    await publish(http, channel, incoming(account, "gw-3", "m-2", text="one more thing"))
    assert emulator.threads[thread_id].status == "OPEN"


async def test_comment_truncation_original_content_and_actors(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator) -> None:
    emulator.settings.truncate_at = 10
    channel, account = await make_channel(http, None)
    msg = await publish(http, channel, incoming(account, "gw-4", "m-1", text="x" * 25))
    thread_id = msg["conversationsThreadId"]
    assert msg["truncationStatus"] == "TRUNCATED" and msg["text"] == "x" * 10
    full = await get(http, f"{THREADS}/{thread_id}/messages/{msg['id']}/original-content")
    assert full["text"] == "x" * 25
    async with http.post(f"{THREADS}/{thread_id}/messages",
                         json={"type": "COMMENT", "text": "Escalation: refund"}) as resp:
        assert resp.status == 201
        note = await resp.json()
    assert note["type"] == "COMMENT" and "direction" not in note and "channelId" not in note
    visitor = await get(http, f"/conversations/v3/conversations/actors/{msg['createdBy']}")
    assert visitor["type"] == "VISITOR" and visitor["email"] == "jane@example.test"
    agent = await get(http, "/conversations/v3/conversations/actors/A-1001")
    assert agent["type"] == "AGENT"


@pytest.mark.parametrize("missing", ["channelAccountId", "integrationThreadId", "text"])
async def test_publish_validation(http: aiohttp.ClientSession, missing: str) -> None:
    channel, account = await make_channel(http, None)
    body = incoming(account, "gw-5", "m-1")
    del body[missing]
    async with http.post(f"{CC}/{channel}/messages", json=body) as resp:
        assert resp.status == 400
        assert missing in (await resp.json())["message"]
