"""Rate limits, auth errors, 5xx, dropped connections and timeouts, over real HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotRateLimited,
    HubSpotScopeError,
    HubSpotServerError,
)
from gateway.hubspot.policy import RetryPolicy

Statuses = Callable[[str, str], list[int]]
MakeClient = Callable[..., HubSpotClient]
TICKETS = "/crm/v3/objects/tickets"
TICKET = {"subject": "s", "hs_pipeline": "0", "hs_pipeline_stage": "1"}
CAPS = {"deliveryIdentifierTypes": ["HS_EMAIL_ADDRESS"], "threadingModel": "INTEGRATION_THREAD_ID"}


async def publish(client: HubSpotClient, idem: str = "m-1") -> tuple[str, object]:
    [inbox] = await client.list_inboxes()
    channel = await client.create_custom_channel("C", "http://127.0.0.1:9/h", CAPS)
    account = await client.create_channel_account(channel.id, "S", inbox.id, "s@example.com")
    kw = {"channel_account_id": account.id, "integration_thread_id": "gw-9",
          "idempotency_id": idem, "direction": "INCOMING", "sender_name": "J",
          "sender_email": "j@x.com", "recipient_name": "S", "recipient_email": "s@example.com",
          "text": "hi", "rich_text": None, "timestamp": datetime(2025, 1, 1, tzinfo=UTC)}
    return channel.id, kw


# -- 429 ----------------------------------------------------------------------------------

async def test_429_retry_after_honoured_then_success(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.fail_next("POST", f"{TICKETS}$", 429, retry_after=1)
    started = time.monotonic()
    ticket = await client.create_ticket(TICKET, None)
    assert time.monotonic() - started >= 0.95  # waited for Retry-After: 1
    assert statuses("POST", TICKETS) == [429, 201]
    assert list(emulator.tickets) == [ticket.id]
    assert client.stats.retries[429] == 1 and client.stats.rate_limited == 1


async def test_429_without_header_backs_off_then_success(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.fail_next("GET", "/crm/v3/pipelines/tickets", 429, count=2)
    assert [p.id for p in await client.ticket_pipelines()] == ["0"]
    assert statuses("GET", "/crm/v3/pipelines/tickets") == [429, 429, 200]


async def test_429_exhausted_raises_rate_limited(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.fail_next("POST", f"{TICKETS}$", 429, count=10)
    with pytest.raises(HubSpotRateLimited) as info:
        await client.create_ticket(TICKET, None)
    assert statuses("POST", TICKETS) == [429] * 4  # first try + RetryPolicy.total retries
    assert info.value.policy == "TEN_SECONDLY_ROLLING" and info.value.retry_after == 10.0
    assert emulator.tickets == {}
    assert client.stats.rate_limited == 4


async def test_long_retry_after_is_left_to_the_caller(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.fail_next("POST", f"{TICKETS}$", 429, retry_after=30)
    started = time.monotonic()
    with pytest.raises(HubSpotRateLimited) as info:
        await client.create_ticket(TICKET, None)
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 30.0 and info.value.temporary
    assert statuses("POST", TICKETS) == [429]


async def test_429_on_conversations_retried_then_exhausted(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    channel_id, kw = await publish(client)
    path = f"/custom-channels/{channel_id}/messages"
    emulator.fail_next("POST", path, 429, count=1, retry_after=1)
    started = time.monotonic()
    message = await client.publish_message(channel_id, **kw)
    assert time.monotonic() - started >= 0.95
    assert message.thread_id and statuses("POST", path) == [429, 200]
    emulator.fail_next("POST", path, 429, count=10)
    emulator.reset_calls()
    with pytest.raises(HubSpotRateLimited) as info:
        await client.publish_message(channel_id, **{**kw, "idempotency_id": "m-2"})
    assert info.value.retry_after == 10.0 and info.value.policy == "TEN_SECONDLY_ROLLING"
    assert statuses("POST", path) == [429] * 4


# -- 401 / 403 ----------------------------------------------------------------------------

async def test_bad_token_is_auth_error(make_client: MakeClient) -> None:
    bad = make_client(access_token="pat-wrong")
    with pytest.raises(HubSpotAuthError) as crm:
        await bad.get_contact_by_email("a@x.com")
    assert crm.value.status == 401 and not crm.value.temporary
    assert not isinstance(crm.value, HubSpotScopeError)
    with pytest.raises(HubSpotAuthError) as conv:
        await bad.list_inboxes()
    assert conv.value.status == 401


async def test_missing_scope_is_scope_error(
    client: HubSpotClient, emulator: HubSpotEmulator
) -> None:
    emulator.settings.scopes.discard("tickets")
    with pytest.raises(HubSpotScopeError) as info:
        await client.create_ticket(TICKET, None)
    assert info.value.status == 403 and info.value.missing_scopes == ["tickets"]
    emulator.settings.scopes.discard("conversations.read")
    with pytest.raises(HubSpotScopeError) as conv:
        await client.list_inboxes()
    assert conv.value.missing_scopes == ["conversations.read"]


async def test_check_access_reports_token_and_scopes(
    client: HubSpotClient, emulator: HubSpotEmulator, make_client: MakeClient
) -> None:
    report = await client.check_access()
    assert report["token_valid"] is True and report["missing_scopes"] == []
    assert set(report["checks"].values()) == {"ok"}
    assert set(report["checks"]) == {"contacts", "tickets", "inboxes", "custom_channels"}
    emulator.settings.scopes.difference_update({"tickets", "conversations.read"})
    report = await client.check_access()
    assert report["token_valid"] is True
    assert report["missing_scopes"] == ["conversations.read", "tickets"]
    assert report["checks"]["contacts"] == "ok"
    assert report["checks"]["tickets"].startswith("forbidden")
    bad = await make_client(access_token="nope", developer_api_key=None).check_access()
    assert bad["token_valid"] is False and "custom_channels" not in bad["checks"]


async def test_check_access_when_unreachable(make_client: MakeClient) -> None:
    report = await make_client(base_url=f"http://127.0.0.1:{free_port()}").check_access()
    assert report["token_valid"] is None
    assert all(v.startswith("unreachable") for v in report["checks"].values())


# -- 5xx ----------------------------------------------------------------------------------

async def test_500_on_post_create_is_not_retried(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.fail_next("POST", f"{TICKETS}$", 500, count=5)
    with pytest.raises(HubSpotServerError) as info:
        await client.create_ticket(TICKET, None)
    assert info.value.status == 500 and info.value.temporary
    assert statuses("POST", TICKETS) == [500]
    assert client.stats.retries == {}


async def test_500_on_publish_is_not_retried(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    channel_id, kw = await publish(client)
    path = f"/custom-channels/{channel_id}/messages"
    emulator.fail_next("POST", path, 503, count=5)
    with pytest.raises(HubSpotServerError):
        await client.publish_message(channel_id, **kw)
    assert statuses("POST", path) == [503]


async def test_get_retried_on_503(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    ticket = await client.create_ticket(TICKET, None)
    emulator.fail_next("GET", f"{TICKETS}/{ticket.id}", 503)
    assert (await client.get_ticket(ticket.id)) == await client.get_ticket(ticket.id)
    assert statuses("GET", f"{TICKETS}/{ticket.id}") == [503, 200, 200]
    channel_id, kw = await publish(client)
    thread_id = str((await client.publish_message(channel_id, **kw)).thread_id)
    emulator.fail_next("GET", f"/threads/{thread_id}", 502, count=2)
    assert (await client.get_thread(thread_id)).id == thread_id
    assert statuses("GET", f"/threads/{thread_id}") == [502, 502, 200]
    assert client.stats.retries[503] == 1 and client.stats.retries[502] == 2


async def test_patch_retried_on_503(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    ticket = await client.create_ticket(TICKET, None)
    emulator.fail_next("PATCH", f"{TICKETS}/{ticket.id}", 503)
    assert (await client.update_ticket(ticket.id, {"hs_pipeline_stage": "4"})).stage == "4"
    assert statuses("PATCH", f"{TICKETS}/{ticket.id}") == [503, 200]


# -- connection failures ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_dropped_connection_on_create(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    emulator.drop_next("POST", f"{TICKETS}$", after=True)  # applied, but no answer
    with pytest.raises(HubSpotConnectionError) as info:
        await client.create_ticket(TICKET, None)
    assert info.value.temporary
    assert statuses("POST", TICKETS) == [0]  # not retried: a retry would duplicate it
    assert len(emulator.tickets) == 1


async def test_dropped_connection_on_publish(
    client: HubSpotClient, emulator: HubSpotEmulator, statuses: Statuses
) -> None:
    channel_id, kw = await publish(client)
    path = f"/custom-channels/{channel_id}/messages"
    emulator.drop_next("POST", path)
    with pytest.raises(HubSpotConnectionError):
        await client.publish_message(channel_id, **kw)
    assert statuses("POST", path) == [0]
    assert (await client.publish_message(channel_id, **kw)).thread_id  # next call works


@pytest.mark.parametrize("where", ["crm", "conversations"])
async def test_latency_above_timeout(
    make_client: MakeClient, emulator: HubSpotEmulator, where: str
) -> None:
    client = make_client(timeout=0.4)
    emulator.set_latency(1.2)
    started = time.monotonic()
    with pytest.raises(HubSpotConnectionError, match="timed out"):
        if where == "crm":
            await client.get_ticket("1")
        else:
            await client.list_inboxes()
    assert time.monotonic() - started < 1.0
    emulator.set_latency(0)


async def test_connection_refused(make_client: MakeClient) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{free_port()}",
                         retry=RetryPolicy(total=3, backoff=5.0))
    started = time.monotonic()
    with pytest.raises(HubSpotConnectionError):
        await client.create_contact("a@x.com")
    with pytest.raises(HubSpotConnectionError):
        await client.list_inboxes()
    assert time.monotonic() - started < 1.0  # refused: no retry, no back-off
    errors = client.stats.snapshot()["errors"]
    assert errors[("POST", "/crm/v3/objects/contacts", "HubSpotConnectionError")] == 1


async def test_non_json_success_is_a_server_error(
    client: HubSpotClient, emulator: HubSpotEmulator
) -> None:
    emulator.fail_next("GET", "/crm/v3/pipelines/tickets", 200, body="<html>proxy</html>")
    with pytest.raises(HubSpotServerError, match="not JSON"):
        await client.ticket_pipelines()
    emulator.fail_next("GET", "/inboxes", 200, body="<html>proxy</html>")
    with pytest.raises(HubSpotServerError, match="not JSON"):
        await client.list_inboxes()
    assert [p.id for p in await client.ticket_pipelines()] == ["0"]
