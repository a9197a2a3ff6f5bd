"""Webhook endpoints over real HTTP: signatures (HubSpot's published vectors), time window,
replays and duplicate deliveries, malformed and oversized bodies."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.service import EMULATOR_CHANNEL_SECRET, EMULATOR_CLIENT_SECRET
from gateway.hubspot.signatures import sign_v1, sign_v3
from gateway.hubspot.webhooks import APP_PATH, CHANNEL_PATH, verify
from tests.conftest import wait_until

from .conftest import hubspot_config

VECTOR_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
V1_BODY = ('[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
           '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
           '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]')


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(tmp_path, http={"max_body_bytes": 4096})


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def app_event(event_id: int = 1, attempt: int = 0, thread: int = 999) -> dict[str, Any]:
    return {"eventId": event_id, "subscriptionId": 1, "portalId": 62515, "appId": 4242,
            "occurredAt": int(time.time() * 1000), "subscriptionType": "conversation.newMessage",
            "attemptNumber": attempt, "objectId": thread, "messageId": "m1",
            "messageType": "MESSAGE", "changeFlag": "NEW_MESSAGE"}


def signed(gw: Gateway, path: str, body: bytes, *, secret: str | None = None,
           at: float | None = None, uri: str | None = None) -> dict[str, str]:
    """v3 headers; each stream's own secret unless `secret` is given."""
    if secret is None:
        secret = EMULATOR_CHANNEL_SECRET if path == CHANNEL_PATH else EMULATOR_CLIENT_SECRET
    ts = str(int((time.time() if at is None else at) * 1000))
    target = uri or gw.public_url() + path
    return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": ts,
            "X-HubSpot-Signature-v3": sign_v3(secret, "POST", target, body, ts)}


async def post(http: aiohttp.ClientSession, gw: Gateway, path: str, body: Any,
               headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{gw.http_url}{path}", data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def stored(gw: Gateway) -> tuple[int, int]:
    """(webhook event rows, webhook jobs)."""
    def q(c: Any) -> tuple[int, int]:
        events = c.execute("SELECT COUNT(*) FROM hubspot_webhook_events").fetchone()[0]
        jobs = c.execute("SELECT COUNT(*) FROM jobs WHERE queue='webhook'").fetchone()[0]
        return int(events), int(jobs)

    return await gw.db.read(q)


async def baseline(gw: Gateway) -> tuple[int, int]:
    """Wait for start-up setup (it causes its own channel webhook), then count."""
    assert gw.hubspot is not None
    await wait_until(lambda: gw.hubspot.setup_state is not None, 10)
    await gw.hubspot.emulator.wait_deliveries()
    return await stored(gw)


def test_verifier_passes_hubspots_published_vectors() -> None:
    v1 = {"X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
          "X-HubSpot-Signature-Version": "v1"}
    assert verify("app", "POST", "https://x.test/w", V1_BODY.encode(), v1, VECTOR_SECRET,
                  now=time.time()) is None
    body = b"{'example_field':'example_value'}"
    v3 = {"X-HubSpot-Signature-v3": "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=",
          "X-HubSpot-Request-Timestamp": "1693657560000"}
    uri = "https://www.example.com/webhook_uri"
    assert verify("channel", "POST", uri, body, v3, VECTOR_SECRET, now=1693657560.0 + 299) is None
    assert verify("channel", "POST", uri, body, v3, VECTOR_SECRET, now=1693657560.0 + 301) == (
        "timestamp outside the 5 minute window")
    assert verify("channel", "POST", uri, body, v3, VECTOR_SECRET, now=1693657560.0 - 301) == (
        "timestamp outside the 5 minute window")
    assert verify("channel", "POST", uri + "?x=1", body, v3, VECTOR_SECRET,
                  now=1693657560.0) == "bad v3 signature"
    assert verify("channel", "POST", uri, body, v1, VECTOR_SECRET, now=0) == "bad v1 signature"
    assert verify("channel", "POST", uri, body, {}, VECTOR_SECRET, now=0) == "missing signature"


async def test_signed_event_is_stored_once_and_unknown_threads_are_ignored(
        gateway: Gateway, http: aiohttp.ClientSession) -> None:
    events0, jobs0 = await baseline(gateway)
    body = json.dumps([app_event(11)]).encode()
    status, answer = await post(http, gateway, APP_PATH, body, signed(gateway, APP_PATH, body))
    assert (status, answer) == (200, {"accepted": 1, "duplicates": 0})
    assert await stored(gateway) == (events0 + 1, jobs0 + 1)

    async def outcome() -> str | None:
        row = await gateway.db.read(lambda c: c.execute(
            "SELECT status, outcome FROM hubspot_webhook_events ORDER BY id DESC").fetchone())
        return row["outcome"] if row["status"] == "done" else None

    assert await wait_until(outcome, 10) == "ignored: unknown thread 999"


async def test_bad_signatures_get_401_and_nothing_is_stored(
        gateway: Gateway, http: aiohttp.ClientSession) -> None:
    before = await baseline(gateway)
    body = json.dumps([app_event(12)]).encode()
    cases = {
        "bad v3 signature": signed(gateway, APP_PATH, body, secret="not-the-secret"),
        "bad v3 signature (internal URL)": signed(
            gateway, APP_PATH, body, uri=f"http://internal:8025{APP_PATH}"),
        "stale timestamp": signed(gateway, APP_PATH, body, at=time.time() - 301),
        "future timestamp": signed(gateway, APP_PATH, body, at=time.time() + 301),
        "missing signature": {"Content-Type": "application/json"},
        "bad v1 signature": {"Content-Type": "application/json",
                             "X-HubSpot-Signature": sign_v1("not-the-secret", body)},
    }
    assert gateway.hubspot is not None and gateway.hubspot.receiver is not None
    for case, headers in cases.items():
        status, answer = await post(http, gateway, APP_PATH, body, headers)
        assert (status, answer["status"]) == (401, "error"), case
        assert gateway.hubspot.receiver.last["status"] == 401, case
    assert await stored(gateway) == before
    assert gateway.hubspot.receiver.results["bad v3 signature"] == 2
    assert gateway.hubspot.receiver.results["timestamp outside the 5 minute window"] == 2


async def test_replay_and_redelivery_are_duplicates(gateway: Gateway,
                                                    http: aiohttp.ClientSession) -> None:
    events0, jobs0 = await baseline(gateway)
    body = json.dumps([app_event(21)]).encode()
    headers = signed(gateway, APP_PATH, body)
    assert (await post(http, gateway, APP_PATH, body, headers))[1]["accepted"] == 1
    # the same request again (a replay within the window)
    assert (await post(http, gateway, APP_PATH, body, headers))[1] == {
        "accepted": 0, "duplicates": 1}
    # HubSpot's retry: same eventId, next attemptNumber, freshly signed
    retry = json.dumps([app_event(21, attempt=1)]).encode()
    assert (await post(http, gateway, APP_PATH, retry, signed(gateway, APP_PATH, retry)))[1] == {
        "accepted": 0, "duplicates": 1}
    assert await stored(gateway) == (events0 + 1, jobs0 + 1)


async def test_channel_events_dedupe_on_the_message_id(gateway: Gateway,
                                                       http: aiohttp.ClientSession) -> None:
    events0, _ = await baseline(gateway)
    for event_id in ("e1", "e2"):
        event = {"type": "OUTGOING_CHANNEL_MESSAGE_CREATED", "eventId": event_id,
                 "message": {"id": "msg-1", "conversationsThreadId": "999"}}
        body = json.dumps(event).encode()
        await post(http, gateway, CHANNEL_PATH, body, signed(gateway, CHANNEL_PATH, body))
    assert (await stored(gateway))[0] == events0 + 1


def v1_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature": sign_v1(secret, body)}


async def test_each_stream_is_verified_with_its_own_secret(
        gateway: Gateway, http: aiohttp.ClientSession) -> None:
    events0, _ = await baseline(gateway)
    body = json.dumps([app_event(31)]).encode()
    assert (await post(http, gateway, APP_PATH, body, v1_headers(EMULATOR_CLIENT_SECRET,
                                                                 body)))[0] == 200
    assert (await post(http, gateway, APP_PATH, body,
                       signed(gateway, APP_PATH, body, secret=EMULATOR_CHANNEL_SECRET)))[0] == 401
    channel = json.dumps({"type": "CHANNEL_ACCOUNT_UPDATED", "eventId": "x"}).encode()
    assert (await post(http, gateway, CHANNEL_PATH, channel,
                       signed(gateway, CHANNEL_PATH, channel, secret=EMULATOR_CLIENT_SECRET))
            )[0] == 401
    assert (await post(http, gateway, CHANNEL_PATH, channel,
                       v1_headers(EMULATOR_CLIENT_SECRET, channel)))[0] == 401
    # the channel stream, v1 or v3, as an object or an array: its own secret passes
    as_array = json.dumps([{"type": "CHANNEL_ACCOUNT_UPDATED", "eventId": "y"}]).encode()
    assert (await post(http, gateway, CHANNEL_PATH, channel,
                       v1_headers(EMULATOR_CHANNEL_SECRET, channel)))[1]["accepted"] == 1
    assert (await post(http, gateway, CHANNEL_PATH, as_array,
                       signed(gateway, CHANNEL_PATH, as_array)))[1]["accepted"] == 1
    assert (await stored(gateway))[0] == events0 + 3


async def test_malformed_bodies_get_400(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    before = await baseline(gateway)
    cases = [(APP_PATH, b"[{not json"), (APP_PATH, b'{"eventId": 1}'), (APP_PATH, b"[1, 2]"),
             (CHANNEL_PATH, b"[]"), (APP_PATH, b"\xff\xfe")]
    for path, body in cases:
        status, _ = await post(http, gateway, path, body, signed(gateway, path, body))
        assert status == 400, body
    assert await stored(gateway) == before


async def test_oversized_bodies_get_413(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    before = await baseline(gateway)
    body = json.dumps([app_event(i) for i in range(40)]).encode()
    assert len(body) > 4096
    headers = signed(gateway, APP_PATH, body)
    assert (await post(http, gateway, APP_PATH, body, headers))[0] == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: cut off while reading
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    assert (await post(http, gateway, APP_PATH, chunked(), headers))[0] == 413
    assert await stored(gateway) == before
