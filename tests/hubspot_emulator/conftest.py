"""Fixtures for the HubSpot emulator tests: the emulator, clients, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hubspot import HubSpot

from gateway.hubspot.emulator import HubSpotEmulator
from tests.hubspot_emulator.support import TOKEN, FakeClock, Receiver


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """Override in a test module to construct the emulator differently."""
    return {}


@pytest.fixture
async def emulator(clock: FakeClock, emulator_options: dict[str, Any]
                   ) -> AsyncIterator[HubSpotEmulator]:
    options = {"clock": clock, "webhook_retry_delays": (0.01, 0.01, 0.01),
               "webhook_timeout": 2.0, **emulator_options}
    emu = HubSpotEmulator(**options)
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
def hs(emulator: HubSpotEmulator) -> HubSpot:
    """The real hubspot-api-client pointed at the emulator."""
    return HubSpot(access_token=TOKEN, host=emulator.base_url, base_url=emulator.base_url)


@pytest.fixture
async def http(emulator: HubSpotEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session with the Bearer token, for the conversations API."""
    async with aiohttp.ClientSession(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as session:
        yield session


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.base_url = f"http://127.0.0.1:{port}"
    yield rec
    await runner.cleanup()
