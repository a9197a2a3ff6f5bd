"""Fixtures: a HubSpot emulator on a loopback port and a HubSpotClient pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.policy import RetryPolicy

TOKEN = "emulator-token"
DEV_KEY = "emulator-dev-key"
APP_ID = 4242
FAST_RETRY = RetryPolicy(total=3, backoff=0.01, max_wait=2.0)

MakeClient = Callable[..., HubSpotClient]


@pytest.fixture
async def emulator() -> AsyncIterator[HubSpotEmulator]:
    emu = HubSpotEmulator(search_lag=0.0)
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()


@pytest.fixture
async def make_client(emulator: HubSpotEmulator) -> AsyncIterator[MakeClient]:
    """Build clients against the emulator (overrides as keyword arguments); all are closed."""
    made: list[HubSpotClient] = []

    def make(**over: object) -> HubSpotClient:
        kw: dict[str, object] = {
            "access_token": TOKEN, "base_url": emulator.base_url, "developer_api_key": DEV_KEY,
            "app_id": APP_ID, "timeout": 2.0, "retry": FAST_RETRY,
        }
        kw.update(over)
        client = HubSpotClient(**kw)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def client(make_client: MakeClient) -> HubSpotClient:
    return make_client()


Statuses = Callable[[str, str], list[int]]


@pytest.fixture
def statuses(emulator: HubSpotEmulator) -> Statuses:
    """statuses(method, suffix): statuses of the emulator's logged calls to that path."""

    def pick(method: str, suffix: str) -> list[int]:
        return [c.status for c in emulator.calls if c.method == method and c.path.endswith(suffix)]

    return pick
