"""Rep actions fire signed webhooks that a receiver verifies with gateway.hubspot.signatures."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

import aiohttp
import pytest

from gateway.hubspot.emulator import HubSpotEmulator, serve
from gateway.hubspot.signatures import verify_v1, verify_v3
from tests.hubspot_emulator.support import (
    APP_ID,
    DEV_KEY,
    SECRET,
    FakeClock,
    Received,
    Receiver,
    incoming,
    make_channel,
)


def check_v3(req: Received, url: str, clock: FakeClock) -> None:
    headers = req.headers
    assert verify_v3(SECRET, "POST", url, req.body, headers["X-HubSpot-Signature-v3"],
                     headers["X-HubSpot-Request-Timestamp"], now=clock())
    assert not verify_v3("wrong-secret", "POST", url, req.body,
                         headers["X-HubSpot-Signature-v3"],
                         headers["X-HubSpot-Request-Timestamp"], now=clock())


async def setup_thread(http: aiohttp.ClientSession, emulator: HubSpotEmulator,
                       receiver: Receiver) -> tuple[str, str, str]:
    """Channel with webhookUrl, app target set via the real settings API; -> urls, thread."""
    channel_url = f"{receiver.base_url}/hubspot/channel?src=emu"
    app_url = f"{receiver.base_url}/hubspot/app"
    async with http.put(f"/webhooks/v3/{APP_ID}/settings", params={"hapikey": DEV_KEY},
                        json={"targetUrl": app_url,
                              "throttling": {"maxConcurrentRequests": 10}}) as resp:
        assert resp.status == 200
    channel, account = await make_channel(http, channel_url)
    async with http.post(f"/conversations/v3/custom-channels/{channel}/messages",
                         json=incoming(account, "gw-42", "m-1")) as resp:
        thread_id = (await resp.json())["conversationsThreadId"]
    await emulator.wait_deliveries()
    receiver.requests.clear()
    emulator.deliveries.clear()
    return channel_url, app_url, thread_id


async def test_rep_reply_fires_signed_channel_and_app_webhooks(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver,
        clock: FakeClock) -> None:
    channel_url, app_url, thread_id = await setup_thread(http, emulator, receiver)
    sent = await emulator.rep_reply(thread_id, "We refunded you.", "<p>We refunded you.</p>")
    await emulator.wait_deliveries()
    (chan,) = receiver.to("/hubspot/channel")
    assert chan.url == channel_url
    check_v3(chan, channel_url, clock)
    assert "X-HubSpot-Signature" not in chan.headers
    event = json.loads(chan.body)
    assert event["type"] == "OUTGOING_CHANNEL_MESSAGE_CREATED"
    assert event["channelIntegrationThreadIds"] == ["gw-42"]
    assert event["message"]["id"] == sent["id"]
    assert event["message"]["richText"] == "<p>We refunded you.</p>"
    assert event["message"]["recipients"][0]["deliveryIdentifier"]["value"] == \
        "jane@example.test"
    (app,) = receiver.to("/hubspot/app")
    check_v3(app, app_url, clock)
    assert app.headers["X-HubSpot-Signature-Version"] == "v1"
    assert verify_v1(SECRET, app.body, app.headers["X-HubSpot-Signature"])
    (new_message,) = json.loads(app.body)
    assert new_message["subscriptionType"] == "conversation.newMessage"
    assert (new_message["objectId"], new_message["messageId"]) == (int(thread_id), sent["id"])
    assert new_message["messageType"] == "MESSAGE" and new_message["attemptNumber"] == 0
    path = f"/conversations/v3/conversations/threads/{thread_id}/messages/{sent['id']}"
    async with http.get(path) as resp:
        fetched = await resp.json()
    assert fetched["direction"] == "OUTGOING" and fetched["senders"][0]["actorId"] == "A-1001"
    assert fetched["client"]["clientType"] == "HUBSPOT"


async def test_comment_reaches_only_the_app_webhook(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver) -> None:
    _, _, thread_id = await setup_thread(http, emulator, receiver)
    note = await emulator.rep_comment(thread_id, "internal: customer is VIP")
    await emulator.wait_deliveries()
    assert receiver.to("/hubspot/channel") == []
    (app,) = receiver.to("/hubspot/app")
    (event,) = json.loads(app.body)
    assert event["messageType"] == "COMMENT" and event["messageId"] == note["id"]


async def test_close_ticket_fires_property_change(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver) -> None:
    await setup_thread(http, emulator, receiver)
    async with http.post("/crm/v3/objects/tickets", json={
            "properties": {"subject": "s", "hs_pipeline_stage": "1"}}) as resp:
        ticket_id = (await resp.json())["id"]
    async with http.post(f"/_emulator/tickets/{ticket_id}/close", json={}) as resp:
        assert resp.status == 200
    await emulator.wait_deliveries()
    (app,) = receiver.to("/hubspot/app")
    (event,) = json.loads(app.body)
    assert event["subscriptionType"] == "ticket.propertyChange"
    assert (event["objectId"], event["propertyName"], event["propertyValue"]) == (
        int(ticket_id), "hs_pipeline_stage", "4")
    assert emulator.tickets[ticket_id].properties["closed_date"]


async def test_retry_after_receiver_500(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver,
        clock: FakeClock) -> None:
    _, app_url, thread_id = await setup_thread(http, emulator, receiver)
    receiver.statuses = [500, 500]
    async with http.post(f"/_emulator/threads/{thread_id}/comment",
                         json={"text": "note"}) as resp:
        assert resp.status == 201
    async with http.get("/_emulator/deliveries", params={"wait": "1"}) as resp:
        log = (await resp.json())["deliveries"]
    assert [(d["status"], d["attempt"]) for d in log] == [(500, 0), (500, 1), (200, 2)]
    attempts = [json.loads(r.body)[0] for r in receiver.to("/hubspot/app")]
    assert [a["attemptNumber"] for a in attempts] == [0, 1, 2]
    assert len({a["eventId"] for a in attempts}) == 1
    for req in receiver.to("/hubspot/app"):
        check_v3(req, app_url, clock)


async def test_no_retry_on_404_and_give_up_on_dead_target(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver) -> None:
    _, _, thread_id = await setup_thread(http, emulator, receiver)
    receiver.statuses = [404]
    await emulator.rep_comment(thread_id, "one")
    await emulator.wait_deliveries()
    assert [d.status for d in emulator.deliveries] == [404]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/gone"
    emulator.set_webhook_target(dead)
    await emulator.rep_comment(thread_id, "two")
    await emulator.wait_deliveries()
    tail = emulator.deliveries[1:]
    assert [(d.url, d.status, d.attempt) for d in tail] == [(dead, None, i) for i in range(4)]


async def test_serve_runs_until_cancelled(receiver: Receiver) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    task = asyncio.create_task(serve(f"127.0.0.1:{port}", search_lag=0.0))
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/_emulator/calls") as resp:
                    assert resp.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
        else:
            pytest.fail("emulator did not start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_module_entry_point_runs_standalone() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.hubspot.emulator", "--listen", f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession(
                headers={"Authorization": "Bearer emulator-token"}) as session:
            inboxes = None
            for _ in range(250):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/conversations/v3/"
                                           "conversations/inboxes") as resp:
                        inboxes = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
        assert inboxes is not None and inboxes["total"] == 1
    finally:
        proc.terminate()
        await proc.wait()


async def test_subscription_api_adds_creation_events(
        http: aiohttp.ClientSession, emulator: HubSpotEmulator, receiver: Receiver) -> None:
    await setup_thread(http, emulator, receiver)
    async with http.post(f"/webhooks/v3/{APP_ID}/subscriptions", params={"hapikey": DEV_KEY},
                         json={"eventType": "ticket.creation", "active": True}) as resp:
        assert resp.status == 201
    async with http.get(f"/webhooks/v3/{APP_ID}/subscriptions",
                        params={"hapikey": DEV_KEY}) as resp:
        kinds = [s["eventType"] for s in (await resp.json())["results"]]
    assert kinds == ["conversation.newMessage", "ticket.propertyChange", "ticket.creation"]
    async with http.post("/crm/v3/objects/tickets", json={
            "properties": {"subject": "s", "hs_pipeline_stage": "1"}}) as resp:
        ticket_id = (await resp.json())["id"]
    await emulator.wait_deliveries()
    (app,) = receiver.to("/hubspot/app")
    (event,) = json.loads(app.body)
    assert (event["subscriptionType"], event["objectId"]) == ("ticket.creation", int(ticket_id))
