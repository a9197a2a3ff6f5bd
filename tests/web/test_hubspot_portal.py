"""Portal links without hubspot.portal_id: setup detects the portal and the UI links into it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from gateway.config import Config, HubSpotConfig
from gateway.daemon import Gateway
from gateway.hubspot.service import EMULATOR_PORTAL_ID
from gateway.hubspot.setup import SetupState, portal_for_links
from tests.conftest import wait_until
from tests.hubspot.conftest import hubspot_config, send, wait_handoff


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(tmp_path, {"emulator": {"listen": "127.0.0.1:0"}})


async def text(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as r:
        assert r.status == 200, url
        return await r.text()


async def test_links_use_the_portal_id_detected_at_setup(
        gateway: Gateway, browser_client: aiohttp.ClientSession) -> None:
    base, service = gateway.http_url, gateway.hubspot
    assert gateway.cfg.hubspot.portal_id is None and service is not None
    await wait_until(lambda: service.setup_state is not None, 15)
    assert service.setup_state.portal_id == EMULATOR_PORTAL_ID
    await send(gateway)
    row = await wait_handoff(gateway, timeout=30)
    page = await text(browser_client, f"{base}/sessions/{row['session_id']}")
    portal = f"https://app.hubspot.com/contacts/{EMULATOR_PORTAL_ID}"
    assert f"{portal}/record/0-5/{row['ticket_id']}" in page
    assert f"{portal}/record/0-1/{row['contact_id']}" in page
    assert (f"https://app.hubspot.com/live-messages/{EMULATOR_PORTAL_ID}/inbox/"
            f"{row['thread_id']}") in page
    page = await text(browser_client, f"{base}/settings/hubspot")
    assert (f"{EMULATOR_PORTAL_ID} (detected at setup), links into app.hubspot.com"
            in page)


def test_configured_portal_wins_and_the_ui_domain_follows_the_detected_one() -> None:
    detected = SetupState(portal_id=111, ui_domain="app-eu1.hubspot.com")
    assert portal_for_links(HubSpotConfig(), detected) == (111, "app-eu1.hubspot.com")
    assert portal_for_links(HubSpotConfig(portal_id=111), detected) == (
        111, "app-eu1.hubspot.com")
    assert portal_for_links(HubSpotConfig(portal_id=222), detected) == (222, "app.hubspot.com")
    assert portal_for_links(HubSpotConfig(), None) == (None, "app.hubspot.com")
    assert portal_for_links(HubSpotConfig(), SetupState()) == (None, "app.hubspot.com")
