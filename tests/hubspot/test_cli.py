"""The `opencx-gateway hubspot ...` and `inbox handoff` commands, run as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import (
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from gateway.storage import sessions
from tests.conftest import wait_until

from .conftest import (
    emulator_of,
    live_config,
    maildir_messages,
    messages,
    newest_session,
    send,
    wait_handoff,
)

ROOT = Path(__file__).resolve().parents[2]


def write_config(cfg: Config, path: Path, **hubspot: Any) -> Path:
    data = cfg.model_dump(mode="json")
    data["hubspot"].update(hubspot)
    path.write_text(yaml.safe_dump(data))
    return path


async def run_cli(config: Path, *args: str, env: dict[str, str] | None = None,
                  stdin: bytes | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "--config", str(config), *args, cwd=ROOT,
        env={**os.environ, **(env or {})}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None)
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 60)
    return proc.returncode or 0, out.decode()


def emulator_listen(emu: HubSpotEmulator) -> str:
    assert emu.base_url is not None
    return emu.base_url.removeprefix("http://")


async def test_rep_commands_reply_comment_and_close_through_the_emulator(
        gateway: Gateway, config: Config, tmp_path: Path) -> None:
    emu = emulator_of(gateway)
    await send(gateway)
    row = await wait_handoff(gateway)
    path = write_config(config, tmp_path / "config.yaml",
                        emulator={"listen": emulator_listen(emu)})
    code, out = await run_cli(path, "hubspot", "reply", row["thread_id"],
                              "<p>Hello <b>Jane</b>, fixed.</p>", "--html")
    assert code == 0, out
    await wait_until(lambda: maildir_messages(config), 15)
    html = maildir_messages(config)[-1].get_body(("html",)).get_content()
    assert "<b>Jane</b>" in html and "Acme Support Team" in html
    code, out = await run_cli(path, "hubspot", "comment", row["thread_id"], "internal only")
    assert code == 0, out

    async def internal() -> bool:
        return any(m["role"] == "internal" for m in await messages(gateway, row["session_id"]))

    await wait_until(internal, 15)
    code, out = await run_cli(path, "hubspot", "close", row["ticket_id"])
    assert code == 0 and "closed" in out, out

    async def closed() -> bool:
        s = await gateway.db.read(lambda c: sessions.get_session(c, row["session_id"]))
        return s is not None and s["status"] == "closed"

    await wait_until(closed, 15)
    assert len(maildir_messages(config)) == 1


async def test_inbox_handoff_command_runs_the_saga_with_reason_manual(
        gateway: Gateway, config: Config, tmp_path: Path) -> None:
    await send(gateway, subject="Password", body="How do I reset my password?")

    async def answered() -> int | None:
        sid = await newest_session(gateway)
        found = sid and any(m["role"] == "ai" for m in await messages(gateway, sid))
        return sid if found else None

    sid = await wait_until(answered, 15)
    path = write_config(config, tmp_path / "config.yaml")
    code, out = await run_cli(path, "inbox", "handoff", str(sid), "--reason", "asked by phone")
    assert code == 0, out
    row = await wait_handoff(gateway, sid)
    assert row["reason"] == "manual"
    [note] = emulator_of(gateway).notes.values()
    assert "asked by phone" in note.properties["hs_note_body"]


async def test_setup_and_status_commands_against_a_live_hubspot(
        tmp_path: Path, hubspot: HubSpotEmulator) -> None:
    cfg = live_config(tmp_path, hubspot, timeout=5.0)
    path = write_config(cfg, tmp_path / "config.yaml")
    env = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": EMULATOR_TOKEN,
           "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": EMULATOR_DEVELOPER_KEY}
    code, out = await run_cli(path, "hubspot", "setup", env=env)
    assert code == 0, out
    assert "http://127.0.0.1:0/webhooks/hubspot/app" in out
    assert "http://127.0.0.1:0/webhooks/hubspot/channel" in out
    assert len(hubspot.channels) == 1 and len(hubspot.accounts) == 1
    code, out = await run_cli(path, "hubspot", "setup", env=env)  # idempotent
    assert code == 0 and len(hubspot.channels) == 1, out
    code, out = await run_cli(path, "hubspot", "status", "--json", env=env)
    assert code == 0, out
    report = json.loads(out[out.index("{"):])
    assert report["token_valid"] is True and report["setup"]["integration"] == "channel"
    assert report["setup_check"]["problems"] == []
    code, out = await run_cli(path, "hubspot", "status", env={
        **env, "OPENCX_GATEWAY_HUBSPOT_TOKEN": "wrong"})
    assert code == 0 and "token valid: False" in out, out
    code, out = await run_cli(path, "hubspot", "status", env={
        **env, "OPENCX_GATEWAY_HUBSPOT_TOKEN": "pat-na1-emulator"})
    assert code == 0 and "credentials: legacy private app token" in out, out
    assert "inbox threads need the app's token" in out


async def test_setup_detects_the_portal_id_and_status_shows_it(
        tmp_path: Path, hubspot: HubSpotEmulator) -> None:
    hubspot.state.settings.portal_id = 31337  # no hubspot.portal_id in the config
    hubspot.state.settings.ui_domain = "app-eu1.hubspot.com"
    cfg = live_config(tmp_path, hubspot, timeout=5.0)
    path = write_config(cfg, tmp_path / "config.yaml")
    env = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": EMULATOR_TOKEN,
           "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": EMULATOR_DEVELOPER_KEY}
    code, out = await run_cli(path, "hubspot", "status", env=env)
    assert code == 0 and "portal unknown (run `opencx-gateway hubspot setup`" in out, out
    code, out = await run_cli(path, "hubspot", "setup", env=env)
    assert code == 0, out
    assert any(c.path == "/account-info/v3/details" for c in hubspot.calls)
    code, out = await run_cli(path, "hubspot", "status", "--json", env=env)
    report = json.loads(out[out.index("{"):])
    assert report["setup"]["portal_id"] == 31337
    assert report["portal"] == {"id": 31337, "ui_domain": "app-eu1.hubspot.com",
                                "source": "detected", "detected": 31337}
    hubspot.fail_next("GET", r"^/account-info/", 403)  # refused later: the earlier id stays
    code, out = await run_cli(path, "hubspot", "setup", env=env)
    assert code == 0, out
    code, out = await run_cli(path, "hubspot", "status", env=env)
    assert code == 0 and "portal 31337 (detected at setup)" in out, out
    path = write_config(cfg, tmp_path / "config.yaml", portal_id=4040)  # configured wins
    code, out = await run_cli(path, "hubspot", "status", env=env)
    assert code == 0 and "portal 4040 (hubspot.portal_id)" in out, out
