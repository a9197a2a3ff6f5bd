"""The HubSpot settings and Channels pages with a help-desk portal and two support addresses:
the pipeline chosen in the UI, each address's channel account and inbox, portal links."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.emulator.portal import HELPDESK_NEW_STAGE, HELPDESK_PIPELINE
from tests.conftest import SUPPORT, wait_until
from tests.hubspot.conftest import emulator_of, hubspot_config, send, wait_handoff
from tests.web.conftest import page_csrf

OTHER = "help@beta.test"
PORTAL = 987654


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(
        tmp_path, {"portal_id": PORTAL, "pipeline": HELPDESK_PIPELINE,
                   "stage": HELPDESK_NEW_STAGE,
                   "emulator": {"listen": "127.0.0.1:0", "portal": "helpdesk",
                                "inboxes": ["Beta Inbox"]},
                   "addresses": [{"address": OTHER, "inbox_id": "147960634",
                                  "signature_domain": "acme.test"}]},
        smtp={"support_addresses": [{"address": SUPPORT, "name": "Acme Support"},
                                    {"address": OTHER, "name": "Beta Help"}]})


async def text(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as r:
        assert r.status == 200, url
        return await r.text()


async def test_pipeline_chosen_in_the_ui_and_addresses_shown(
        gateway: Gateway, browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    assert gateway.hubspot is not None
    await wait_until(lambda: gateway.hubspot.setup_state is not None, 15)
    page = await text(browser_client, f"{base}/settings/hubspot")
    assert 'id="hubspot-pipeline"' in page and "Escalations" in page
    assert f'<option value="{HELPDESK_PIPELINE}/{HELPDESK_NEW_STAGE}" selected>' in page
    accounts = gateway.hubspot.setup_state.accounts
    for address in (SUPPORT, OTHER):
        assert f'<tr data-address="{address}"><td>{address}</td><td class="mono">' \
               f'{accounts[address]["channel_account_id"]}</td>' in page
    assert '<td class="mono">147960634</td>' in page
    token = await page_csrf(browser_client, f"{base}/settings/hubspot")
    async with browser_client.post(f"{base}/settings/hubspot/pipeline",
                                   data={"csrf": token, "route": "758463977/1063490012"}) as r:
        body = await r.text()
        assert "Not changed: stage 1063490012 (Resolved)" in body  # a closed stage
    async with browser_client.post(f"{base}/settings/hubspot/pipeline",
                                   data={"csrf": token, "route": "758463977/1063490010"}) as r:
        page = await r.text()
    assert "New tickets now go to pipeline 758463977, stage 1063490010." in page
    assert gateway.hubspot.setup_state.stage == "1063490010"
    page = await text(browser_client, f"{base}/channels")
    assert f'data-hubspot-address="{OTHER}">channel account <span class="mono">' \
           f'{accounts[OTHER]["channel_account_id"]}' in page
    assert "pipeline/stage <span class=\"mono\">758463977/1063490010</span>" in page

    await send(gateway)  # the stored choice is used, and the ids link into the portal
    row = await wait_handoff(gateway, timeout=30)
    ticket = emulator_of(gateway).tickets[row["ticket_id"]]
    assert ticket.properties["hs_pipeline_stage"] == "1063490010"
    page = await text(browser_client, f"{base}/sessions/{row['session_id']}")
    assert f"https://app.hubspot.com/contacts/{PORTAL}/record/0-5/{row['ticket_id']}" in page
    assert f"https://app.hubspot.com/contacts/{PORTAL}/record/0-1/{row['contact_id']}" in page
    assert (f"https://app.hubspot.com/live-messages/{PORTAL}/inbox/{row['thread_id']}"
            in page)
