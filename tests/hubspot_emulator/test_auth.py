"""Emulator token kinds: private app, OAuth (expiry, refresh, revocation), static; ownership."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from hubspot import HubSpot

from gateway.hubspot.emulator import HubSpotEmulator
from tests.hubspot_emulator.support import FakeClock, call, incoming, make_channel

CLIENT_ID = "emulator-client-id"
SECRET = "emulator-secret"
CALLBACK = "http://127.0.0.1:1/cb"


def client(emulator: HubSpotEmulator, token: str) -> HubSpot:
    return HubSpot(access_token=token, host=emulator.base_url, base_url=emulator.base_url)


async def install(emulator: HubSpotEmulator) -> dict[str, str]:
    """Authorize (auto-approved) and exchange the code with hubspot-api-client's TokensApi."""
    async with aiohttp.ClientSession() as http, http.get(
            emulator.base_url + "/oauth/authorize", allow_redirects=False,
            params={"client_id": CLIENT_ID, "redirect_uri": CALLBACK, "state": "s1",
                    "scope": "oauth tickets crm.objects.contacts.read"}) as resp:
        assert resp.status == 302
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["s1"]
    api = HubSpot(host=emulator.base_url).oauth.tokens_api
    tokens = await call(api.create, grant_type="authorization_code", code=query["code"][0],
                        redirect_uri=CALLBACK, client_id=CLIENT_ID, client_secret=SECRET)
    return {"access": tokens.access_token, "refresh": tokens.refresh_token,
            "expires_in": tokens.expires_in}


async def test_oauth_token_expires_with_hubspots_401_and_refreshes(
        emulator: HubSpotEmulator, clock: FakeClock) -> None:
    tokens = await install(emulator)
    assert tokens["expires_in"] == 1800
    hs = client(emulator, tokens["access"])
    await call(hs.crm.tickets.basic_api.get_page, limit=1)
    clock.advance(1801)
    with pytest.raises(Exception) as err:
        await call(hs.crm.tickets.basic_api.get_page, limit=1)
    body = json.loads(err.value.body)  # type: ignore[attr-defined]
    assert err.value.status == 401  # type: ignore[attr-defined]
    assert body["category"] == "EXPIRED_AUTHENTICATION" and "expired" in body["message"]
    api = HubSpot(host=emulator.base_url).oauth.tokens_api
    fresh = await call(api.create, grant_type="refresh_token",
                       refresh_token=tokens["refresh"], client_id=CLIENT_ID,
                       client_secret=SECRET)
    await call(client(emulator, fresh.access_token).crm.tickets.basic_api.get_page, limit=1)


async def test_revoked_refresh_token_is_refused_with_bad_refresh_token(
        emulator: HubSpotEmulator) -> None:
    tokens = await install(emulator)
    assert emulator.auth.revoke() == 1
    async with aiohttp.ClientSession() as http, http.post(
            emulator.base_url + "/oauth/v3/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh"],
                  "client_id": CLIENT_ID, "client_secret": SECRET}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["status"] == "BAD_REFRESH_TOKEN" and body["error"] == "invalid_grant"
    with pytest.raises(Exception) as err:  # its access tokens die with it
        await call(client(emulator, tokens["access"]).crm.tickets.basic_api.get_page, limit=1)
    assert err.value.status == 401  # type: ignore[attr-defined]


async def test_install_denied_and_bad_client_are_refused(emulator: HubSpotEmulator) -> None:
    emulator.auth.auto_approve = False
    async with aiohttp.ClientSession() as http:
        async with http.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                            params={"client_id": CLIENT_ID, "redirect_uri": CALLBACK,
                                    "state": "x"}) as resp:
            assert parse_qs(urlsplit(resp.headers["Location"]).query)["error"] == [
                "access_denied"]
        async with http.post(emulator.base_url + "/oauth/v1/token",
                             data={"grant_type": "authorization_code", "code": "nope",
                                   "client_id": CLIENT_ID, "client_secret": "wrong"}) as resp:
            assert resp.status == 400 and (await resp.json())["status"] == "BAD_CLIENT_ID"


async def test_private_app_token_does_crm_but_not_custom_channels(
        emulator: HubSpotEmulator, http: aiohttp.ClientSession) -> None:
    channel, account = await make_channel(http, None)
    pat = "pat-na1-emulator"
    await call(client(emulator, pat).crm.contacts.basic_api.get_page, limit=1)
    headers = {"Authorization": f"Bearer {pat}"}
    async with http.post(f"/conversations/v3/custom-channels/{channel}/messages",
                         json=incoming(account, "t-1", "i-1"), headers=headers) as resp:
        assert resp.status == 403
        body = await resp.json()
    assert body["category"] == "FORBIDDEN" and "private app" in body["message"]
    async with http.get(f"/conversations/v3/custom-channels/{channel}/channel-accounts",
                        headers=headers) as resp:
        assert resp.status == 403
    assert not emulator.threads


async def test_only_the_owning_app_may_use_its_channel(
        emulator: HubSpotEmulator, http: aiohttp.ClientSession) -> None:
    channel, account = await make_channel(http, None)
    other = emulator.auth.mint("static", emulator.state.now(), app_id=999)
    async with http.post(f"/conversations/v3/custom-channels/{channel}/messages",
                         json=incoming(account, "t-1", "i-1"),
                         headers={"Authorization": f"Bearer {other}"}) as resp:
        assert resp.status == 403
        assert "only the app that created a channel" in (await resp.json())["message"]
    own = emulator.auth.mint("static", emulator.state.now())
    async with http.post(f"/conversations/v3/custom-channels/{channel}/messages",
                         json=incoming(account, "t-1", "i-1"),
                         headers={"Authorization": f"Bearer {own}"}) as resp:
        assert resp.status == 200, await resp.text()


async def test_control_api_mints_revokes_and_switches_lifetime(
        emulator: HubSpotEmulator) -> None:
    base = emulator.base_url
    async with aiohttp.ClientSession() as http:
        async with http.patch(base + "/_emulator/auth",
                              json={"accessTokenLifetime": 60}) as resp:
            assert (await resp.json())["accessTokenLifetime"] == 60
        async with http.post(base + "/_emulator/tokens", json={"kind": "oauth"}) as resp:
            minted = await resp.json()
        assert minted["refreshToken"]
        assert emulator.auth.grants[minted["token"]].expires_at == emulator.state.now() + 60
        async with http.post(base + "/_emulator/oauth/revoke", json={}) as resp:
            assert (await resp.json())["revoked"] == 1
        async with http.post(base + "/_emulator/tokens", json={"kind": "bogus"}) as resp:
            assert resp.status == 400


async def test_only_the_owning_app_may_patch_its_channel(
        emulator: HubSpotEmulator, http: aiohttp.ClientSession) -> None:
    channel, _ = await make_channel(http, None)
    path = f"/conversations/v3/custom-channels/{channel}"
    body = {"webhookUrl": "https://example.test/new", "capabilities": {},
            "channelDescription": "d", "channelLogoUrl": "https://example.test/logo.svg"}
    async with http.patch(path, params={"hapikey": "emulator-dev-key", "appId": "999"},
                          json=body) as resp:
        assert resp.status == 403
        assert "only the app that created a channel" in (await resp.json())["message"]
    async with http.patch(path, params={"hapikey": "emulator-dev-key", "appId": "4242"},
                          json=body) as resp:
        assert resp.status == 200, await resp.text()
