"""The HubSpot app on a (emulated) portal: OAuth install end to end, renewal, a revoked
install as one clear outage with the fix in doctor, and a private app's token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from gateway.hubspot.auth import REQUIRED_SCOPES
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import (
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from gateway.ops.hubspot_checks import check_hubspot
from gateway.storage import hubspot_oauth
from tests.conftest import shared_pg, wait_until
from tests.hubspot.conftest import (
    LIVE_SECRETS,
    live_config,
    messages,
    send,
    wait_handoff,
)

ADMIN = {"Authorization": "Bearer t"}
OAUTH_SECRETS = Secrets(secret_key="k", admin_token="t", hubspot_client_id=EMULATOR_CLIENT_ID,
                        hubspot_client_secret=EMULATOR_CLIENT_SECRET,
                        hubspot_developer_key=EMULATOR_DEVELOPER_KEY)
PAT = "pat-na1-emulator"  # the emulator's legacy private app token (CRM scopes only)


def oauth_config(tmp_path: Path, emu: HubSpotEmulator) -> Config:
    cfg = live_config(tmp_path, emu, timeout=3.0)
    hub = cfg.hubspot.model_copy(update={"auth": "oauth",
                                         "oauth_authorize_url": f"{emu.base_url}/oauth/authorize"})
    return cfg.model_copy(update={"hubspot": hub})


async def install(gw: Gateway, http: aiohttp.ClientSession) -> str:
    """Install as an operator would: install route -> HubSpot's page -> callback."""
    async with http.get(f"{gw.http_url}/hubspot/oauth/install", headers=ADMIN,
                        allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        authorize = resp.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == [f"{gw.public_url()}/hubspot/oauth/callback"]
    assert query["scope"][0].split() == REQUIRED_SCOPES and query["state"][0]
    async with http.get(authorize, allow_redirects=False) as resp:  # HubSpot approves
        assert resp.status == 302
        callback = resp.headers["Location"]
    # HubSpot's redirect is cross-site: the SameSite=Strict login cookie is not sent
    async with http.get(callback, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        assert resp.headers["Location"] == "/settings/hubspot"
    return callback


async def test_oauth_install_end_to_end_then_handoff(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gw: Gateway = await gateway_at(oauth_config(tmp_path, hubspot), OAUTH_SECRETS)
    assert gw.hubspot is not None
    report = await gw.hubspot.status()
    assert report["credentials"]["kind"] == "oauth"
    assert report["credentials"]["oauth"]["installed"] is False and report["token_valid"] is False
    cfg = oauth_config(tmp_path, hubspot)
    checks = {c.name: c for c in await check_hubspot(cfg, OAUTH_SECRETS, daemon_running=True)}
    assert checks["hubspot.token"].status == "fail"
    assert "not installed" in checks["hubspot.token"].detail
    assert "/hubspot/oauth/install" in checks["hubspot.token"].fix
    assert checks["hubspot.credentials"].status == "ok"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gw.http_url}/settings/hubspot", headers=ADMIN) as resp:
            page = await resp.text()
        assert "not installed yet" in page and 'href="/hubspot/oauth/install"' in page
        callback = await install(gw, http)
        async with http.get(f"{gw.http_url}/settings/hubspot", headers=ADMIN) as resp:
            page = await resp.text()
        assert "app OAuth (renewed automatically)" in page and "not installed" not in page
        async with http.get(callback, headers=ADMIN, allow_redirects=False) as resp:
            assert resp.status == 403  # the state was used once: a replay is refused
        forged = callback.replace("state=", "state=x")
        async with http.get(forged, headers=ADMIN, allow_redirects=False) as resp:
            assert resp.status == 403
        async with http.get(f"{gw.http_url}/hubspot/oauth/install",
                            allow_redirects=False) as resp:
            assert "/login" in resp.headers.get("Location", "")  # install needs the login
    row = await gw.db.read(hubspot_oauth.get_tokens)
    assert row is not None and row["status"] == "ok"
    state = await gw.hubspot.run_setup()
    assert state.integration == "channel"
    await send(gw)
    saga = await wait_handoff(gw)
    assert saga["thread_id"] and len(hubspot.tickets) == 1
    hubspot.advance(1801)  # the access token expires at HubSpot: concurrent handoffs renew it
    await asyncio.gather(*(send(gw, sender=f"c{n}@example.net", subject=f"Problem {n}")
                           for n in range(4)))
    await wait_until(lambda: len(hubspot.tickets) == 5 and len(hubspot.notes) == 5, 30)
    assert hubspot.auth.token_requests.count("refresh_token") == 1
    assert gw.hubspot.health.last_error is None  # no call failed, no job was retried
    secrets_in_log = [row["access_token"], row["refresh_token"]]
    assert not [s for s in secrets_in_log if s in caplog.text]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_revoked_install_is_one_outage_with_the_fix_in_doctor(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any],
        caplog: pytest.LogCaptureFixture, backend: str) -> None:
    cfg = oauth_config(tmp_path, hubspot)
    if backend == "postgresql":  # doctor once read the SQLite file whatever the backend
        storage = cfg.storage.model_copy(update={"url": shared_pg().new_database()})
        cfg = cfg.model_copy(update={"storage": storage})
    gw: Gateway = await gateway_at(cfg, OAUTH_SECRETS)
    assert gw.hubspot is not None
    async with aiohttp.ClientSession() as http:
        await install(gw, http)
    await gw.hubspot.run_setup()
    hubspot.auth.revoke()  # the portal's admin uninstalls the app
    await send(gw)
    health = gw.hubspot.health
    await wait_until(lambda: health.outage and "refresh token" in health.outage, 20)
    assert "reinstall" in health.outage and "/hubspot/oauth/install" in health.outage
    for _ in range(3):  # later calls fail at once: no request, no second outage
        report = await gw.hubspot.status()
    assert report["credentials"]["oauth"]["status"] == "revoked"
    assert hubspot.auth.token_requests.count("refresh_token") == 1
    assert caplog.text.count("hubspot outage:") == 1
    checks = {c.name: c for c in await check_hubspot(cfg, OAUTH_SECRETS, daemon_running=True)}
    token = checks["hubspot.token"]
    assert token.status == "fail" and "BAD_REFRESH_TOKEN" in token.detail
    assert "reinstall" in token.fix and "/hubspot/oauth/install" in token.fix
    async with aiohttp.ClientSession() as http:  # the fix: install again
        await install(gw, http)
    await wait_handoff(gw)  # the waiting handoff resumes at once, not after 5 minutes
    assert health.outage is None and len(hubspot.tickets) == 1
    checks = {c.name: c for c in await check_hubspot(cfg, OAUTH_SECRETS, daemon_running=True)}
    assert checks["hubspot.token"].status == "ok"


async def test_private_app_token_gets_ticket_and_note_and_an_explained_no_thread(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    secrets = LIVE_SECRETS.model_copy(update={"hubspot_token": SecretStr(PAT)})
    gw: Gateway = await gateway_at(live_config(tmp_path, hubspot, timeout=2.0), secrets)
    assert gw.hubspot is not None
    state = await gw.hubspot.run_setup()
    assert state.integration == "private"
    assert "inbox threads need the app's token" in state.reason
    report = await gw.hubspot.status()
    assert report["credentials"]["kind"] == "private_app"
    assert report["credentials"]["inbox_threads"] is False
    cfg = live_config(tmp_path, hubspot, timeout=2.0)
    checks = {c.name: c for c in await check_hubspot(cfg, secrets, daemon_running=True)}
    cred = checks["hubspot.credentials"]
    assert cred.status == "warn" and "inbox threads need the app's token" in cred.detail
    assert "hubspot-app/" in cred.fix and checks["hubspot.token"].status == "ok"
    await send(gw)
    saga = await wait_handoff(gw)
    assert saga["mode"] == "private" and len(hubspot.tickets) == 1 and len(hubspot.notes) == 1
    assert not hubspot.threads


async def test_private_app_token_after_channel_setup_skips_the_thread_once(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    cfg = live_config(tmp_path, hubspot, timeout=2.0)
    first: Gateway = await gateway_at(cfg, LIVE_SECRETS)
    assert first.hubspot is not None
    assert (await first.hubspot.run_setup()).integration == "channel"
    await first.stop()
    secrets = LIVE_SECRETS.model_copy(update={"hubspot_token": SecretStr(PAT)})
    assert LIVE_SECRETS.get("hubspot_token") == EMULATOR_TOKEN
    gw: Gateway = await gateway_at(cfg, secrets)
    await send(gw)
    saga = await wait_handoff(gw)
    assert saga["mode"] == "private" and len(hubspot.tickets) == 1 and len(hubspot.notes) == 1
    publishes = [c for c in hubspot.calls if c.method == "POST"
                 and c.path.endswith("/messages") and "custom-channels" in c.path]
    assert [c.status for c in publishes] == [403]  # refused once, not retried
    notes = [m["text"] for m in await messages(gw, saga["session_id"]) if m["kind"] == "note"]
    assert any("inbox threads need the app's token" in n for n in notes)


def test_the_shipped_app_project_requests_every_scope_the_gateway_asks_for() -> None:
    import json

    root = Path(__file__).resolve().parents[2] / "hubspot-app"
    project = json.loads((root / "hsproject.json").read_text())
    app = json.loads((root / "src" / "app" / "app-hsmeta.json").read_text())
    hooks = json.loads((root / "src" / "app" / "webhooks" / "webhooks-hsmeta.json").read_text())
    assert project["srcDir"] == "src" and app["type"] == "app"
    auth = app["config"]["auth"]
    assert auth["type"] == "oauth" and auth["requiredScopes"] == REQUIRED_SCOPES
    assert all(url.endswith("/hubspot/oauth/callback") for url in auth["redirectUrls"])
    subs = hooks["config"]["subscriptions"]
    assert {s["subscriptionType"] for s in subs["hubEvents"]} == {"conversation.newMessage"}
    assert hooks["config"]["settings"]["targetUrl"].endswith("/webhooks/hubspot/app")


async def test_emulator_mode_can_try_the_oauth_install_locally(
        tmp_path: Path, gateway_at: Callable[..., Any]) -> None:
    from tests.hubspot.conftest import hubspot_config

    cfg = hubspot_config(tmp_path, {"auth": "oauth"})
    gw: Gateway = await gateway_at(cfg)
    assert gw.hubspot is not None and gw.hubspot.setup_state is None
    async with aiohttp.ClientSession() as http:
        await install(gw, http)
    assert gw.hubspot.setup_state is not None and gw.hubspot.setup_state.complete
    await send(gw)
    saga = await wait_handoff(gw)
    assert saga["thread_id"]
