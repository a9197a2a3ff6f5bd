"""Setup: idempotent, status reports it, private-app mode (configured or forced), live mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import EMULATOR_CLIENT_SECRET, EMULATOR_TOKEN
from gateway.hubspot.setup import KEY_PROPERTY
from gateway.hubspot.webhooks import APP_PATH, CHANNEL_PATH
from gateway.storage import queues, sessions
from tests.conftest import wait_until

from .conftest import LIVE_SECRETS, emulator_of, hubspot_config, live_config, send, wait_handoff


async def test_setup_is_idempotent_and_status_reports_it(gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    service = gateway.hubspot
    assert service is not None
    await wait_until(lambda: service.setup_state is not None, 10)
    first = service.setup_state
    assert first is not None and first.integration == "channel" and first.complete
    again = await service.run_setup()
    assert (again.channel_id, again.channel_account_id) == (first.channel_id,
                                                            first.channel_account_id)
    assert len(emu.channels) == 1 and len(emu.accounts) == 1
    props = emu.state.property_defs["tickets"]
    assert props["opencx_handedoff"]["type"] == "bool" and props[KEY_PROPERTY]["hasUniqueValue"]
    channel = emu.channels[first.channel_id]
    assert channel["webhookUrl"] == gateway.public_url() + CHANNEL_PATH
    assert channel["capabilities"]["threadingModel"] == "INTEGRATION_THREAD_ID"
    assert emu.settings.webhook_target_url == gateway.public_url() + APP_PATH
    report = await service.status()
    assert report["token_valid"] is True and report["missing_scopes"] == []
    assert report["setup_check"]["problems"] == [] and report["setup_check"]["channel"] is True
    assert report["webhook_urls"] == {"app": gateway.public_url() + APP_PATH,
                                      "channel": gateway.public_url() + CHANNEL_PATH}
    assert report["health"]["outage"] is None and report["client_secret_set"] is True


async def test_private_app_mode_puts_the_transcript_in_a_note(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    cfg = hubspot_config(tmp_path, {"custom_channel": False})
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    await send(gw, body="My order #4411 is late. I want to talk to a human.")
    row = await wait_handoff(gw)
    assert row["mode"] == "private" and row["thread_id"] is None
    assert len(emu.tickets) == 1 and len(emu.contacts) == 1 and not emu.threads
    [note] = emu.notes.values()
    body = note.properties["hs_note_body"]
    assert "Transcript" in body and "My order #4411 is late." in body
    session = await gw.db.read(lambda c: sessions.get_session(c, row["session_id"]))
    assert session is not None and session["hubspot_thread_id"] is None
    assert session["hubspot_ticket_id"] == row["ticket_id"]


async def test_forbidden_channel_registration_falls_back_to_private_mode(
        tmp_path: Path, hubspot: HubSpotEmulator,
        gateway_at: Callable[..., Any]) -> None:
    secrets = Secrets(secret_key="k", admin_token="t", hubspot_token=EMULATOR_TOKEN,
                      hubspot_client_secret=EMULATOR_CLIENT_SECRET,
                      hubspot_developer_key="wrong-developer-key")
    gw: Gateway = await gateway_at(live_config(tmp_path, hubspot, timeout=2.0), secrets)
    assert gw.hubspot is not None
    state = await gw.hubspot.run_setup()
    assert state.integration == "private" and "forbidden" in state.reason
    assert state.complete and not hubspot.channels
    await send(gw)
    row = await wait_handoff(gw)
    assert row["mode"] == "private" and len(hubspot.tickets) == 1 and len(hubspot.notes) == 1


async def test_live_mode_waits_for_setup_then_proceeds(
        tmp_path: Path, hubspot: HubSpotEmulator,
        gateway_at: Callable[..., Any]) -> None:
    gw: Gateway = await gateway_at(live_config(tmp_path, hubspot, timeout=2.0), LIVE_SECRETS)
    assert gw.hubspot is not None
    report = await gw.hubspot.status()
    assert any("setup has never run" in p for p in report["setup_check"]["problems"])
    await send(gw)

    async def waiting() -> list[queues.Job]:
        jobs = await gw.db.read(lambda c: queues.list_jobs(c, queue="hubspot"))
        return [j for j in jobs if "setup incomplete" in (j.last_error or "")]

    [job] = await wait_until(waiting, 15)
    assert not hubspot.tickets
    await gw.hubspot.run_setup()
    await gw.db.write(lambda c: queues.requeue(c, job.id, now=gw.clock()))
    row = await wait_handoff(gw)
    assert row["mode"] == "channel" and len(hubspot.tickets) == 1
