"""`hubspot verify-live` against the emulator in each of its switchable behaviours."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.daemon import Gateway
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import (
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from gateway.hubspot.verify import Run, verify_live
from gateway.storage import hubspot as hs
from tests.conftest import wait_until
from tests.hubspot.test_cli import run_cli, write_config

from .conftest import LIVE_SECRETS, live_config, send, wait_handoff

PAT = "pat-na1-emulator"


@pytest.fixture
async def emu() -> AsyncIterator[HubSpotEmulator]:
    emulator = HubSpotEmulator(search_lag=0.0, app_id=4242)
    await emulator.start()
    yield emulator
    await emulator.stop()


async def run_against(emu: HubSpotEmulator, token: str = EMULATOR_TOKEN) -> Run:
    assert emu.base_url
    client = HubSpotClient(token, base_url=emu.base_url, developer_api_key=EMULATOR_DEVELOPER_KEY,
                           app_id=4242, timeout=5.0)
    try:
        return await verify_live(client, pipeline="0", stage="1", settle=0.0)
    finally:
        await client.close()


def outcomes(run: Run) -> dict[str, str]:
    return {f.point: f.outcome for f in run.findings}


def detail(run: Run, point: str) -> str:
    return next(f.detail for f in run.findings if f.point == point)


def nothing_left(emu: HubSpotEmulator) -> bool:
    live = [o for store in (emu.contacts, emu.tickets) for o in store.values() if not o.archived]
    threads = [t for t in emu.threads.values() if not t.archived]
    channels = [c for c in emu.channels.values() if not c.get("archived")]
    return not live and not threads and not channels


async def test_defaults_app_token_every_point_as_the_gateway_assumes(
        emu: HubSpotEmulator) -> None:
    run = await run_against(emu)
    assert outcomes(run) == {"token-kind": "confirmed", "idempotency": "confirmed",
                             "helpdesk-ticket": "observed", "association": "confirmed",
                             "webhooks": "not observable"}
    assert "no ticket was created" in detail(run, "helpdesk-ticket")
    assert "conversations accepted" in detail(run, "association")
    assert not run.leftovers and nothing_left(emu)
    assert any(d.startswith("custom channel") for d in run.deleted)


async def test_private_app_token_is_refused_for_channels_and_the_rest_is_skipped(
        emu: HubSpotEmulator) -> None:
    run = await run_against(emu, PAT)
    found = outcomes(run)
    assert found["token-kind"] == "confirmed" and "refused" in detail(run, "token-kind")
    assert found["idempotency"] == found["association"] == "skipped"
    assert not run.leftovers and nothing_left(emu) and not emu.threads


async def test_no_idempotency_dedupe_is_reported(emu: HubSpotEmulator) -> None:
    emu.settings.idempotency_dedupe = False
    run = await run_against(emu)
    assert outcomes(run)["idempotency"] == "differs"
    assert "second message" in detail(run, "idempotency")
    assert nothing_left(emu)


async def test_association_names_as_the_public_integration_found(emu: HubSpotEmulator) -> None:
    emu.settings.thread_object_types = {"conversation"}  # `Thread` refused, `Conversation` ok
    run = await run_against(emu)
    assert outcomes(run)["association"] == "differs"
    text = detail(run, "association")
    assert "conversations refused" in text and "Conversation/32 accepted" in text
    assert "Thread/32 refused" in text
    assert nothing_left(emu)


async def test_cli_prints_a_line_per_point(tmp_path: Path, emu: HubSpotEmulator) -> None:
    cfg = live_config(tmp_path, emu, timeout=5.0)
    path = write_config(cfg, tmp_path / "config.yaml")
    env = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": EMULATOR_TOKEN,
           "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": EMULATOR_DEVELOPER_KEY}
    assert not any(k.startswith("OPENCX_GATEWAY_HUBSPOT_CLIENT_ID") for k in os.environ)
    code, out = await run_cli(path, "hubspot", "verify-live", "--settle", "0", env=env)
    assert code == 0, out
    for point in ("token-kind", "idempotency", "helpdesk-ticket", "association", "webhooks"):
        assert point in out
    assert "deleted:" in out and "NOT deleted" not in out


async def test_webhook_shapes_and_signatures_seen_by_the_daemon_are_reported(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    gw: Gateway = await gateway_at(live_config(tmp_path, hubspot, timeout=3.0), LIVE_SECRETS)
    assert gw.hubspot is not None
    await gw.hubspot.run_setup()
    hubspot.set_webhook_target(gw.public_url() + "/webhooks/hubspot/app")
    await send(gw)
    saga = await wait_handoff(gw)
    await hubspot.rep_reply(saga["thread_id"], "Hello from a rep")
    await hubspot.wait_deliveries()
    values = await wait_until(lambda: gw.db.read(lambda c: (
        v if (v := hs.setup_values(c)).get("last_webhook_channel")
        and v.get("last_webhook_app") else None)), 20)
    run = await verify_live(gw.hubspot.client, pipeline="0", stage="1", settle=0.0,
                            webhooks_seen={k: values[f"last_webhook_{k}"]
                                           for k in ("app", "channel")})
    assert outcomes(run)["webhooks"] == "observed"
    text = detail(run, "webhooks")
    assert "app: array signed v3" in text and "channel: object signed v3" in text


async def test_a_help_desk_ticket_for_the_new_thread_is_reported_and_removed(
        emu: HubSpotEmulator) -> None:
    """The emulator does not model help-desk inboxes; the test plays the portal's help desk:
    a ticket appears on the first new thread, as HUBSPOT.md says help-desk inboxes may do."""
    from gateway.hubspot.emulator.crm import create_object

    async def help_desk() -> str:
        while not emu.threads:
            await asyncio.sleep(0.01)
        thread = next(iter(emu.threads.values()))
        ticket = create_object(emu.ctx, "tickets", {"properties": {
            "subject": "Auto", "hs_pipeline": "0", "hs_pipeline_stage": "1"}})
        thread.ticket_id = ticket.id
        return ticket.id

    desk = asyncio.create_task(help_desk())
    run = await run_against_settling(emu)
    auto = await desk
    assert outcomes(run)["helpdesk-ticket"] == "observed"
    assert f"the portal created ticket {auto}" in detail(run, "helpdesk-ticket")
    assert emu.tickets[auto].archived and nothing_left(emu)


async def run_against_settling(emu: HubSpotEmulator) -> Run:
    assert emu.base_url
    client = HubSpotClient(EMULATOR_TOKEN, base_url=emu.base_url,
                           developer_api_key=EMULATOR_DEVELOPER_KEY, app_id=4242, timeout=5.0)
    try:
        return await verify_live(client, pipeline="0", stage="1", settle=3.0)
    finally:
        await client.close()
