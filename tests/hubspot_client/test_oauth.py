"""OAuth token renewal in HubSpotClient: one refresh under concurrent load, before expiry
and on 401 EXPIRED_AUTHENTICATION; a refused refresh token is one sticky failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.hubspot.auth import HubSpotRefreshRejected, OAuthTokens, StoredTokens
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.errors import HubSpotServerError
from tests.hubspot_client.conftest import FAST_RETRY
from tests.hubspot_emulator.support import FakeClock

LOAD = 30  # concurrent calls around the expiry


class MemoryStore:
    """The load/save callbacks, in memory; `saved` records every write."""

    def __init__(self, tokens: StoredTokens) -> None:
        self.tokens: StoredTokens | None = tokens
        self.saved: list[StoredTokens] = []

    async def load(self) -> StoredTokens | None:
        return self.tokens

    async def save(self, tokens: StoredTokens) -> None:
        self.tokens = tokens
        self.saved.append(StoredTokens(**vars(tokens)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[HubSpotEmulator]:
    emulator = HubSpotEmulator(clock=clock, search_lag=0.0)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def store(emu: HubSpotEmulator, clock: FakeClock) -> MemoryStore:
    """An installation made through the emulator: access token valid 30 minutes."""
    access = emu.auth.mint("oauth", clock())
    refresh = emu.auth.refresh_token_of(access)
    assert refresh
    return MemoryStore(StoredTokens(access, refresh, clock() + 1800))


@pytest.fixture
async def client(emu: HubSpotEmulator, clock: FakeClock, store: MemoryStore
                 ) -> AsyncIterator[HubSpotClient]:
    assert emu.base_url
    tokens = OAuthTokens("emulator-client-id", "emulator-secret", base_url=emu.base_url,
                         load=store.load, save=store.save, clock=clock)
    hub = HubSpotClient(tokens, base_url=emu.base_url, timeout=5.0, retry=FAST_RETRY)
    yield hub
    await hub.close()


def mixed_calls(client: HubSpotClient) -> list[Any]:
    """CRM (hubspot-api-client in threads) and conversations (aiohttp) calls, interleaved."""
    calls: list[Any] = []
    for n in range(LOAD):
        kind = n % 3
        calls.append(client.get_contact_by_email(f"c{n}@example.test") if kind == 0
                     else client.ticket_pipelines() if kind == 1 else client.list_inboxes())
    return calls


def refreshes(emu: HubSpotEmulator) -> int:
    return emu.auth.token_requests.count("refresh_token")


async def test_renewed_once_before_expiry_under_concurrent_load(
        client: HubSpotClient, emu: HubSpotEmulator, clock: FakeClock,
        store: MemoryStore) -> None:
    first = store.tokens
    assert first is not None
    await asyncio.gather(*mixed_calls(client))
    assert refreshes(emu) == 0
    clock.advance(1800 - 120)  # inside the 5-minute renewal margin
    results = await asyncio.gather(*mixed_calls(client), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert refreshes(emu) == 1 and len(store.saved) == 1
    assert store.tokens is not None and store.tokens.access_token != first.access_token
    assert store.tokens.refresh_token == first.refresh_token
    assert not [c for c in emu.calls if c.status == 401]


async def test_renewed_once_on_expired_authentication_under_load(
        client: HubSpotClient, emu: HubSpotEmulator) -> None:
    await client.list_inboxes()
    emu.advance(1801)  # HubSpot's clock only: we still believe the token is fresh
    results = await asyncio.gather(*mixed_calls(client), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert refreshes(emu) == 1
    assert [c for c in emu.calls if c.status == 401]  # HubSpot did say EXPIRED, and we cured it


async def test_refused_refresh_token_fails_once_and_stays_failed(
        client: HubSpotClient, emu: HubSpotEmulator, store: MemoryStore) -> None:
    emu.auth.revoke()
    emu.advance(1801)
    results = await asyncio.gather(*mixed_calls(client), return_exceptions=True)
    assert all(isinstance(r, HubSpotRefreshRejected) for r in results)
    assert "reinstall" in str(results[0]) and results[0].status == 401  # type: ignore[union-attr]
    assert refreshes(emu) == 1  # one refused refresh, not one per call
    with pytest.raises(HubSpotRefreshRejected):
        await client.list_inboxes()
    assert refreshes(emu) == 1
    assert store.tokens is not None and store.tokens.status == "revoked"
    assert store.tokens.error == "BAD_REFRESH_TOKEN"


async def test_token_endpoint_outage_is_temporary(
        client: HubSpotClient, emu: HubSpotEmulator, clock: FakeClock) -> None:
    clock.advance(1800)
    emu.fail_next("POST", r"^/oauth/v3/token$", 503)
    with pytest.raises(HubSpotServerError) as err:
        await client.list_inboxes()
    assert err.value.temporary
    await client.list_inboxes()
    assert refreshes(emu) == 1  # the 503 was answered by the fault rule, not the endpoint


async def test_a_load_in_flight_does_not_undo_an_install(emu: HubSpotEmulator,
                                                        clock: FakeClock) -> None:
    """Start-up reads "no tokens" while the operator installs the app: the slower read must
    not overwrite the tokens the install just stored (the daemon would then answer "not
    installed yet" until restarted)."""
    from urllib.parse import parse_qs, urlsplit

    import aiohttp

    assert emu.base_url
    reading, release = asyncio.Event(), asyncio.Event()
    stored: list[StoredTokens] = []

    async def slow_load() -> StoredTokens | None:
        reading.set()
        await release.wait()
        return None  # what the database held when the read began

    async def save(tokens: StoredTokens) -> None:
        stored.append(tokens)

    tokens = OAuthTokens(emu.auth.client_id, emu.auth.client_secret, base_url=emu.base_url,
                         load=slow_load, save=save, clock=clock)
    callback = "http://127.0.0.1:9/hubspot/oauth/callback"
    async with aiohttp.ClientSession() as http, http.get(
            emu.base_url + "/oauth/authorize", allow_redirects=False,
            params={"client_id": emu.auth.client_id, "redirect_uri": callback,
                    "state": "s", "scope": "oauth tickets"}) as resp:
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    startup = asyncio.ensure_future(tokens.current())
    await reading.wait()
    installed = await tokens.exchange_code(code, callback)
    release.set()
    await startup
    assert stored and await tokens.current() is installed
    assert await tokens.token() == installed.access_token
