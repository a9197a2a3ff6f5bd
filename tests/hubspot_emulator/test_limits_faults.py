"""Scopes, rate limits, fault injection, latency and the call log."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.tickets import SimplePublicObjectInputForCreate
from hubspot.crm.tickets.exceptions import ApiException as TicketError

from gateway.hubspot.emulator import FULL_SCOPES, HubSpotEmulator
from tests.hubspot_emulator.support import TOKEN, FakeClock, call

TICKETS = "/crm/v3/objects/tickets"
NEW_TICKET = {"properties": {"subject": "s", "hs_pipeline_stage": "1"}}


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"rate_limit_per_10s": 4, "search_per_second": 2,
            "scopes": FULL_SCOPES - {"tickets"}}


async def test_missing_scope_is_403_with_hubspot_body(hs: HubSpot) -> None:
    with pytest.raises(TicketError) as err:
        await call(hs.crm.tickets.basic_api.create,
                   simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                       properties={"subject": "s", "hs_pipeline_stage": "1"}))
    assert err.value.status == 403
    body = json.loads(err.value.body)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["tickets"]


async def test_missing_token_is_401(emulator: HubSpotEmulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            emulator.base_url + "/crm/v3/objects/contacts/1") as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
    assert "X-HubSpot-RateLimit-Max" not in resp.headers


async def test_ten_second_budget(http: aiohttp.ClientSession, clock: FakeClock) -> None:
    remaining = []
    for _ in range(4):
        async with http.get("/crm/v3/objects/contacts") as resp:
            assert resp.status == 200
            assert resp.headers["X-HubSpot-RateLimit-Max"] == "4"
            assert resp.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
            remaining.append(resp.headers["X-HubSpot-RateLimit-Remaining"])
    assert remaining == ["3", "2", "1", "0"]
    clock.advance(3)
    async with http.get("/crm/v3/objects/contacts") as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
        assert resp.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        body = await resp.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    clock.advance(7)
    async with http.get("/crm/v3/objects/contacts") as resp:
        assert resp.status == 200


async def test_search_secondly_limit(http: aiohttp.ClientSession, clock: FakeClock) -> None:
    statuses = []
    for _ in range(3):
        async with http.post("/crm/v3/objects/contacts/search", json={}) as resp:
            statuses.append(resp.status)
            body = await resp.json()
    assert statuses == [200, 200, 429]
    assert body["message"] == "You have reached your secondly limit."
    assert body["policyName"] == "SECONDLY"
    clock.advance(1)
    async with http.post("/crm/v3/objects/contacts/search", json={}) as resp:
        assert resp.status == 200


async def test_fail_next_then_real_client_retry(emulator: HubSpotEmulator) -> None:
    emulator.settings.scopes = set(FULL_SCOPES)
    emulator.fail_next("POST", r"^/crm/v3/objects/tickets$", 503, retry_after=0)
    retry = urllib3.util.retry.Retry(total=3, status_forcelist=(429, 503), allowed_methods=None,
                                     backoff_factor=0, raise_on_status=False)
    hs = HubSpot(access_token=TOKEN, host=emulator.base_url, retry=retry)
    ticket = await call(hs.crm.tickets.basic_api.create,
                        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                            properties=NEW_TICKET["properties"]))
    assert list(emulator.tickets) == [ticket.id]
    assert [c.status for c in emulator.calls] == [503, 201]


async def test_fail_next_custom_body_and_count(http: aiohttp.ClientSession,
                                               emulator: HubSpotEmulator) -> None:
    emulator.fail_next("GET", "/contacts", 429, count=2, retry_after=3,
                       body={"status": "error", "message": "custom"})
    for _ in range(2):
        async with http.get("/crm/v3/objects/contacts") as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "3"
            assert (await resp.json())["message"] == "custom"
    async with http.get("/crm/v3/objects/contacts") as resp:
        assert resp.status == 200


async def test_drop_after_write_keeps_the_write(http: aiohttp.ClientSession,
                                                emulator: HubSpotEmulator) -> None:
    emulator.settings.scopes = set(FULL_SCOPES)
    emulator.drop_next("POST", "^/crm/v3/objects/tickets$", after=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(TICKETS, json=NEW_TICKET):
            pass
    assert len(emulator.tickets) == 1
    emulator.drop_next("POST", "^/crm/v3/objects/tickets$")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(TICKETS, json=NEW_TICKET):
            pass
    assert len(emulator.tickets) == 1
    assert [c.status for c in emulator.calls] == [0, 0]


async def test_latency_and_http_control_api(http: aiohttp.ClientSession,
                                            emulator: HubSpotEmulator) -> None:
    async with http.post("/_emulator/latency", json={"seconds": 0.2, "path": "inboxes"}):
        pass
    async with http.post("/_emulator/fail_next",
                         json={"method": "GET", "path": "/threads$", "status": 502}):
        pass
    start = time.monotonic()
    async with http.get("/conversations/v3/conversations/inboxes") as resp:
        assert resp.status == 200
    assert time.monotonic() - start >= 0.2
    async with http.get("/conversations/v3/conversations/threads") as resp:
        assert resp.status == 502 and (await resp.json())["message"] == "Bad Gateway"
    async with http.get("/_emulator/calls") as resp:
        calls = (await resp.json())["calls"]
    assert [(c["method"], c["status"]) for c in calls] == [("GET", 200), ("GET", 502)]
    async with http.post("/_emulator/calls/reset"):
        pass
    assert emulator.calls == []


async def test_malformed_input_is_400_not_500(http: aiohttp.ClientSession,
                                              emulator: HubSpotEmulator) -> None:
    emulator.settings.scopes = set(FULL_SCOPES)
    bad_links = {**NEW_TICKET, "associations": [1]}
    async with http.post(TICKETS, json=bad_links) as resp:
        assert resp.status == 400
        assert (await resp.json())["category"] == "VALIDATION_ERROR"
    async with http.post(TICKETS, data=b"{not json", headers={
            "Content-Type": "application/json"}) as resp:
        assert resp.status == 400
    async with http.get("/crm/v3/objects/contacts", params={"limit": "many"}) as resp:
        assert resp.status == 400
    assert emulator.tickets == {}
