"""A portal that is not HubSpot's classic default: custom pipelines chosen with `hubspot
setup`, a help-desk inbox that makes its own ticket, and two support addresses each with its
own channel account, inbox and pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.emulator.portal import HELPDESK_NEW_STAGE, HELPDESK_PIPELINE
from gateway.hubspot.service import (
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from gateway.hubspot.setup import check_setup
from tests.conftest import CUSTOMER, SUPPORT, build_mail, wait_until

from .conftest import (
    LIVE_SECRETS,
    emulator_of,
    hubspot_config,
    live_config,
    maildir_messages,
    newest_session,
    send,
    wait_handoff,
)
from .test_cli import run_cli, write_config

ESCALATIONS, TRIAGE, RESOLVED = "758463977", "1063490010", "1063490012"
OTHER = "help@beta.test"
ENV = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": EMULATOR_TOKEN,
       "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
       "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": EMULATOR_DEVELOPER_KEY}


async def test_non_default_pipeline_chosen_through_hubspot_setup(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    hubspot.use_portal("helpdesk")  # no pipeline "0": the classic default is refused
    cfg = live_config(tmp_path, hubspot, timeout=5.0)
    path = write_config(cfg, tmp_path / "config.yaml")
    code, out = await run_cli(path, "hubspot", "setup", env=ENV)
    assert code != 0 and "ticket pipeline '0' does not exist" in out, out
    assert f"{ESCALATIONS}: Escalations" in out and f"{TRIAGE}: Triage" in out
    code, out = await run_cli(path, "hubspot", "setup", "--pipeline", ESCALATIONS,
                              "--stage", RESOLVED, env=ENV)
    assert code != 0 and "is a closed stage" in out, out
    code, out = await run_cli(path, "hubspot", "setup", "--pipeline", "nope", env=ENV)
    assert code != 0 and "'nope' does not exist" in out, out
    code, out = await run_cli(path, "hubspot", "setup", "--pipeline", ESCALATIONS, env=ENV)
    assert code == 0, out  # its first open stage
    assert f"{TRIAGE}: Triage  <- in use" in out
    code, out = await run_cli(path, "hubspot", "setup", "--choose", env=ENV, stdin=b"4\n")
    assert code == 0 and f"4. Escalations ({ESCALATIONS}) > Triage ({TRIAGE})" in out, out
    assert f"{TRIAGE}: Triage  <- in use" in out  # the operator typed 4
    code, out = await run_cli(path, "hubspot", "status", "--json", env=ENV)
    report = json.loads(out[out.index("{"):])
    assert report["setup_check"]["problems"] == [], report["setup_check"]
    assert report["setup"]["pipeline"] == ESCALATIONS and report["setup"]["stage"] == TRIAGE

    gw: Gateway = await gateway_at(cfg, LIVE_SECRETS)  # the daemon uses the stored choice
    await send(gw)
    row = await wait_handoff(gw, timeout=30)
    ticket = hubspot.tickets[row["ticket_id"]]
    assert (ticket.properties["hs_pipeline"], ticket.properties["hs_pipeline_stage"]) == (
        ESCALATIONS, TRIAGE)


def helpdesk_config(tmp_path: Path, **hubspot: Any) -> Config:
    return hubspot_config(tmp_path, {
        "adopt_helpdesk_ticket": True, "timeout": 0.5,
        "emulator": {"listen": "127.0.0.1:0", "portal": "helpdesk",
                     "helpdesk_auto_ticket": True},
        "pipeline": HELPDESK_PIPELINE, "stage": HELPDESK_NEW_STAGE, **hubspot})


async def test_helpdesk_adoption_makes_exactly_one_ticket(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    cfg = helpdesk_config(tmp_path)
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    # faults on the adoption calls: a 500 on the thread read, the ticket PATCH dropped after
    # HubSpot applied it (the gateway never hears) -> retried, still one ticket
    emu.fail_next("GET", r"^/conversations/v3/conversations/threads/\d+$", 500)
    emu.drop_next("PATCH", r"^/crm/v3/objects/tickets/\d+$", after=True)
    await send(gw)
    row = await wait_handoff(gw, timeout=30)
    assert row["ticket_action"] == "adopted"
    assert len(emu.tickets) == 1 and len(emu.threads) == 1
    thread = emu.threads[row["thread_id"]]
    assert thread.ticket_id == row["ticket_id"]
    ticket = emu.tickets[row["ticket_id"]]
    assert ticket.properties[cfg.hubspot.tag_property] == "true"
    assert ticket.properties["opencx_handoff_key"].startswith("opencx-")
    assert ticket.properties["hs_pipeline"] == HELPDESK_PIPELINE
    assert ticket.properties["subject"].endswith(f"[#{row['session_id']}]")
    assert list(emu.state.associated("tickets", ticket.id, "contacts")) == [row["contact_id"]]
    # the customer writes again: same thread, same ticket, still one
    await send(gw, subject="Another thing", body="Any news?")
    await wait_until(lambda: len(emu.notes) == 2, 20)
    assert len(emu.tickets) == 1 and len(emu.threads) == 1
    assert [emu.messages[m]["text"] for m in thread.message_ids][-1] == "Any news?"


async def test_adopted_ticket_moves_to_the_address_own_pipeline(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    cfg = helpdesk_config(tmp_path, addresses=[
        {"address": SUPPORT, "pipeline": ESCALATIONS, "stage": TRIAGE}])
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    emu.drop_next("PATCH", r"^/crm/v3/objects/tickets/\d+$", after=True)  # applied, unheard
    await send(gw)
    row = await wait_handoff(gw, timeout=30)
    assert row["ticket_action"] == "adopted" and len(emu.tickets) == 1
    ticket = emu.tickets[row["ticket_id"]]
    assert emu.threads[row["thread_id"]].ticket_id == ticket.id
    assert (ticket.properties["hs_pipeline"], ticket.properties["hs_pipeline_stage"]) == (
        ESCALATIONS, TRIAGE)  # one PATCH moved it with the gateway's properties
    assert ticket.properties["opencx_handoff_key"].startswith("opencx-")
    patches = [c for c in emu.calls if c.method == "PATCH" and "/tickets/" in c.path]
    assert len(patches) == 2  # the dropped one and its retry, nothing else


@pytest.mark.parametrize("own_route", [False, True])
async def test_helpdesk_adoption_survives_a_restart_mid_adoption(
        tmp_path: Path, gateway_at: Callable[..., Any], hubspot: HubSpotEmulator,
        own_route: bool) -> None:
    hubspot.use_portal("helpdesk")
    hubspot.settings.helpdesk_auto_ticket = True
    routes = ({"addresses": [{"address": SUPPORT, "pipeline": ESCALATIONS, "stage": TRIAGE}]}
              if own_route else {})
    cfg = hubspot_config(tmp_path, {
        "mode": "live", "base_url": hubspot.base_url, "app_id": 4242, "timeout": 0.5,
        "adopt_helpdesk_ticket": True, "pipeline": HELPDESK_PIPELINE,
        "stage": HELPDESK_NEW_STAGE, **routes})
    gw: Gateway = await gateway_at(cfg, LIVE_SECRETS)
    assert gw.hubspot is not None
    await gw.hubspot.run_setup()
    hubspot.fail_next("PATCH", r"^/crm/v3/objects/tickets/\d+$", 500, count=1000)
    await send(gw)
    await wait_until(lambda: len(hubspot.tickets) == 1 and any(
        c.method == "PATCH" and "/tickets/" in c.path for c in hubspot.calls), 20)
    await gw.stop()  # the saga stopped between HubSpot's ticket and ours
    hubspot.controls.rules.clear()
    gw2: Gateway = await gateway_at(cfg, LIVE_SECRETS)
    row = await wait_handoff(gw2, timeout=30)
    assert row["ticket_action"] == "adopted" and len(hubspot.tickets) == 1
    assert len(hubspot.threads) == 1 and len(hubspot.notes) == 1
    ticket = hubspot.tickets[row["ticket_id"]]
    assert ticket.properties["hs_pipeline"] == (ESCALATIONS if own_route else HELPDESK_PIPELINE)


async def send_to(gw: Gateway, rcpt: str, sender: str) -> None:
    raw = build_mail(sender=sender, to=rcpt, subject="I need a human",
                     body="I want to talk to a human, please.")
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    await aiosmtplib.send(raw, sender=sender, recipients=[rcpt], hostname=host, port=port)


async def test_two_support_addresses_publish_to_their_own_account_and_inbox(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    cfg = hubspot_config(
        tmp_path, {"emulator": {"listen": "127.0.0.1:0", "inboxes": ["Beta Inbox"]},
                   "addresses": [{"address": OTHER, "inbox_id": "147960634",
                                  "pipeline": "0", "stage": "2"}]},
        smtp={"support_addresses": [{"address": SUPPORT, "name": "Acme Support"},
                                    {"address": OTHER, "name": "Beta Help"}]})
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    await send_to(gw, SUPPORT, CUSTOMER)
    first = await wait_handoff(gw, timeout=30)
    await send_to(gw, OTHER, "bob@other.test")

    async def second_done() -> dict[str, Any] | None:
        sid = await newest_session(gw)
        return await wait_handoff(gw, sid) if sid and sid != first["session_id"] else None

    second = await wait_until(second_done, 30)
    assert gw.hubspot is not None and gw.hubspot.setup_state is not None
    accounts = gw.hubspot.setup_state.accounts
    assert set(accounts) == {SUPPORT, OTHER}
    assert accounts[OTHER]["inbox_id"] == "147960634"
    assert accounts[SUPPORT]["inbox_id"] != "147960634"
    for row, address in ((first, SUPPORT), (second, OTHER)):
        thread = emu.threads[row["thread_id"]]
        assert thread.channel_account_id == accounts[address]["channel_account_id"]
        assert thread.inbox_id == accounts[address]["inbox_id"]
        assert emu.accounts[thread.channel_account_id]["deliveryIdentifier"]["value"] == address
    stages = {emu.tickets[r["ticket_id"]].properties["hs_pipeline_stage"]
              for r in (first, second)}
    assert stages == {"1", "2"}
    # a setup stored before the second address existed: status says so
    state = gw.hubspot.setup_state
    old = replace(state, accounts={SUPPORT: state.accounts[SUPPORT]})
    assert gw.hubspot.client is not None
    report = await check_setup(gw.hubspot.client, cfg.hubspot, old, [SUPPORT, OTHER])
    assert any(p.startswith(f"no channel account for {OTHER}") for p in report["problems"])


async def test_a_new_public_url_updates_the_channel_with_the_whole_object(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    cfg = hubspot_config(tmp_path)
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    assert gw.hubspot is not None and emu.settings.strict_channel_patch
    await wait_until(lambda: gw.hubspot.setup_state is not None, 15)
    channel_id = gw.hubspot.setup_state.channel_id
    old = emu.channels[channel_id]["webhookUrl"]
    gw.public_url = lambda: "https://support.example.test"  # type: ignore[method-assign]
    await gw.hubspot.run_setup()
    channel = emu.channels[channel_id]
    assert channel["webhookUrl"] == "https://support.example.test/webhooks/hubspot/channel" != old
    assert channel["channelLogoUrl"] == "https://support.example.test/static/favicon.svg"
    assert channel["channelDescription"] == cfg.hubspot.channel_description
    patches = [c.status for c in emu.calls if c.method == "PATCH" and "/custom-channels/" in
               c.path]
    assert patches == [200] and len(emu.channels) == 1


@pytest.mark.parametrize(("shape", "signature"), [("array", "v1"), ("object", "v3")])
async def test_rep_reply_arrives_by_the_channel_stream_alone_in_either_shape(
        tmp_path: Path, gateway_at: Callable[..., Any], shape: str, signature: str) -> None:
    cfg = hubspot_config(tmp_path)
    gw: Gateway = await gateway_at(cfg)
    emu = emulator_of(gw)
    await send(gw)
    row = await wait_handoff(gw, timeout=30)
    emu.set_webhook_target(None)  # no app webhooks: only the channel's, signed by its app
    emu.settings.channel_webhook_shape, emu.settings.channel_signature = shape, signature
    assert emu.settings.channel_secret != emu.settings.client_secret
    await emu.rep_reply(row["thread_id"], "Fixed it for you.")
    await wait_until(lambda: any("Fixed it for you." in m.get_body(("plain",)).get_content()
                                 for m in maildir_messages(cfg)), 15)
    assert [d.status for d in emu.deliveries if d.kind == "channel"][-1] == 200
