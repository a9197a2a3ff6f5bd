"""Access control over real HTTP: login, cookie flags, bearer, CSRF, exemptions, headers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote

import aiohttp

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Auth, safe_next
from tests.conftest import make_config
from tests.web.conftest import TOKEN, csrf_of, log_in, page_csrf

PAGES = ["/", "/channels", "/settings/hubspot", "/settings/signatures", "/queue",
         "/sessions/10001"]
API = ["/api/sessions", "/api/sessions/10001", "/api/channels", "/api/queue", "/api/hubspot",
       "/api/signatures/resolve?address=a@b.test"]


async def test_pages_redirect_to_login(gateway: Gateway, anon: aiohttp.ClientSession) -> None:
    for path in PAGES:
        async with anon.get(gateway.http_url + path, allow_redirects=False) as r:
            assert r.status == 302, path
            assert unquote(r.headers["Location"]) == f"/login?next={path}"


async def test_api_refuses_with_401_json(gateway: Gateway, anon: aiohttp.ClientSession) -> None:
    for path in API:
        async with anon.get(gateway.http_url + path) as r:
            assert r.status == 401, path
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            body = await r.json()
        assert body["status"] == 401 and "authentication required" in body["error"]


async def test_unauthenticated_posts_are_refused(gateway: Gateway,
                                                 anon: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    async with anon.post(f"{base}/api/sessions/10001/handoff", json={}) as r:
        assert r.status == 401
    async with anon.post(f"{base}/sessions/10001/handoff", data={"reason": "x"},
                         allow_redirects=False) as r:
        assert r.status == 302 and unquote(r.headers["Location"]) == "/login?next=/"


async def test_exempt_paths_need_no_login(gateway: Gateway, anon: aiohttp.ClientSession) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/login"):
        async with anon.get(gateway.http_url + path, allow_redirects=False) as r:
            assert r.status == 200, path


async def test_static_and_webhooks_are_not_behind_login(gateway: Gateway,
                                                        anon: aiohttp.ClientSession) -> None:
    async with anon.get(gateway.http_url + "/login") as r:
        css = next(p for p in (await r.text()).split('"') if p.startswith("/static/app.css"))
    async with anon.get(gateway.http_url + css) as r:
        assert r.status == 200 and r.content_type == "text/css"
    # No webhook route is registered while HubSpot is off: the router answers, not the login.
    async with anon.post(gateway.http_url + "/webhooks/hubspot/x", data=b"{}",
                         allow_redirects=False) as r:
        assert r.status == 404
        assert (await r.json())["status"] == 404


async def test_login_sets_a_strict_httponly_cookie(gateway: Gateway,
                                                   anon: aiohttp.ClientSession) -> None:
    r = await log_in(anon, gateway.http_url or "")
    assert r.status == 303 and r.headers["Location"] == "/"
    cookie = r.cookies[SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert not cookie["secure"]
    assert int(cookie["max-age"]) == int(gateway.cfg.web.session_hours * 3600)
    async with anon.get(gateway.http_url + "/") as r:
        assert r.status == 200 and "Inbox" in await r.text()


async def test_secure_cookies_when_configured(tmp_path: Path, secrets: Secrets) -> None:
    cfg = make_config(tmp_path, http={"secure_cookies": True}, web={"session_hours": 2})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        # Secure cookies are not sent back over plain HTTP, so carry the form cookie by hand.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:
            async with client.get(f"{gw.http_url}/login") as r:
                form = {"csrf": csrf_of(await r.text()), "token": TOKEN}
                login_cookie = r.cookies[LOGIN_COOKIE]
            assert login_cookie["secure"] is True
            async with client.post(f"{gw.http_url}/login", data=form, allow_redirects=False,
                                   cookies={LOGIN_COOKIE: login_cookie.value}) as r:
                assert r.status == 303
        cookie = r.cookies[SESSION_COOKIE]
        assert cookie["secure"] is True and cookie["max-age"] == "7200"
    finally:
        await gw.stop()


async def test_wrong_token_is_refused(gateway: Gateway, anon: aiohttp.ClientSession) -> None:
    r = await log_in(anon, gateway.http_url or "", token="not-the-token")
    assert r.status == 401
    assert SESSION_COOKIE not in r.cookies
    async with anon.get(gateway.http_url + "/", allow_redirects=False) as r:
        assert r.status == 302


async def test_login_form_needs_its_csrf_token(gateway: Gateway,
                                               anon: aiohttp.ClientSession) -> None:
    async with anon.post(gateway.http_url + "/login", data={"token": TOKEN},
                         allow_redirects=False) as r:
        assert r.status == 403
        assert "expired" in await r.text()
        assert SESSION_COOKIE not in r.cookies


async def test_login_redirects_only_to_local_paths(gateway: Gateway,
                                                   anon: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    async with anon.get(f"{base}/login?next=//evil.test/x") as r:
        page = await r.text()
    assert 'name="next" value="/"' in page
    async with anon.post(f"{base}/login", data={"csrf": csrf_of(page), "token": TOKEN,
                                                "next": "/queue?status=dead"},
                         allow_redirects=False) as r:
        assert r.headers["Location"] == "/queue?status=dead"
    assert safe_next("https://evil.test") == "/"
    assert safe_next("/\\evil.test") == "/"


OFFSITE = ["/\t/evil.example/phish", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
           " //evil.example", "/\\evil.example", "\\\\evil.example", "/\x00/evil.example",
           "\\/evil.example", "/\x7f/evil.example", "https:evil.example", "javascript:alert(1)",
           "http://evil.example/x", "///evil.example", "/\u3000/evil.example"]


def test_safe_next_refuses_every_offsite_shape() -> None:
    for value in OFFSITE:
        assert safe_next(value) == "/", repr(value)
    assert safe_next("/sessions/10001?tab=a%2Fb") == "/sessions/10001?tab=a%2Fb"
    assert safe_next("/?q=a b") == "/?q=a b"


async def test_login_with_a_tab_in_next_stays_on_site(gateway: Gateway,
                                                      anon: aiohttp.ClientSession) -> None:
    """Issue 10.1: `next=%2F%09%2Fevil.example%2Fphish` once answered `Location: /\t/evil...`,
    which browsers read as `//evil.example/phish`."""
    base = gateway.http_url
    async with anon.get(f"{base}/login?next=%2F%09%2Fevil.example%2Fphish") as r:
        assert 'name="next" value="/"' in await r.text()
    for value in OFFSITE:
        anon.cookie_jar.clear()
        async with anon.get(f"{base}/login") as r:
            form = csrf_of(await r.text())
        async with anon.post(f"{base}/login", data={"csrf": form, "token": TOKEN, "next": value},
                             allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/", repr(value)
        async with anon.get(f"{base}/login", params={"next": value},
                            allow_redirects=False) as r:  # logged in: straight on
            assert r.status == 303 and r.headers["Location"] == "/", repr(value)


async def test_tampered_cookie_is_refused(gateway: Gateway, anon: aiohttp.ClientSession) -> None:
    r = await log_in(anon, gateway.http_url or "")
    expiry, nonce, mac = r.cookies[SESSION_COOKIE].value.split(".")
    for forged in (f"{int(expiry) + 10**6}.{nonce}.{mac}", f"{expiry}.{nonce}x.{mac}", "garbage"):
        async with anon.get(gateway.http_url + "/api/sessions",
                            cookies={SESSION_COOKIE: forged}) as resp:
            assert resp.status == 401, forged


async def test_cookie_post_without_csrf_is_403(gateway: Gateway,
                                               browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    async with browser_client.post(f"{base}/queue/1/requeue", data={"back": "/queue"}) as r:
        assert r.status == 403
        assert "CSRF" in await r.text()
    async with browser_client.post(f"{base}/queue/1/requeue",
                                   data={"csrf": "0" * 64}) as r:
        assert r.status == 403
    async with browser_client.post(f"{base}/api/sessions/10001/handoff", json={}) as r:
        assert r.status == 403
        body = await r.json()
    assert body == {"error": body["error"], "status": 403} and "X-CSRF-Token" in body["error"]


async def test_cookie_post_with_csrf_passes(gateway: Gateway,
                                            browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    token = await page_csrf(browser_client, f"{base}/queue")
    async with browser_client.post(f"{base}/api/sessions/10001/handoff", json={},
                                   headers={"X-CSRF-Token": token}) as r:
        assert r.status == 404  # past auth and CSRF: the session does not exist
    async with browser_client.post(f"{base}/queue/77/requeue", data={"csrf": token},
                                   allow_redirects=False) as r:
        assert r.status == 303


async def test_bearer_token_works_without_csrf(gateway: Gateway, anon: aiohttp.ClientSession,
                                               bearer: dict[str, str]) -> None:
    base = gateway.http_url
    async with anon.get(f"{base}/api/sessions", headers=bearer) as r:
        assert r.status == 200
    async with anon.post(f"{base}/api/sessions/10001/handoff", headers=bearer, json={}) as r:
        assert r.status == 404
    async with anon.get(f"{base}/api/sessions",
                        headers={"Authorization": "Bearer nope"}) as r:
        assert r.status == 401


async def test_logout_ends_the_session(gateway: Gateway,
                                       browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    token = await page_csrf(browser_client, f"{base}/")
    async with browser_client.post(f"{base}/logout", data={"csrf": token},
                                   allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/login"
    async with browser_client.get(f"{base}/", allow_redirects=False) as r:
        assert r.status == 302


async def test_security_headers_everywhere(gateway: Gateway,
                                           browser_client: aiohttp.ClientSession) -> None:
    for path in ("/", "/login", "/api/sessions", "/nope", "/healthz"):
        async with browser_client.get(gateway.http_url + path) as r:
            csp = r.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp
            assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["X-Frame-Options"] == "DENY"
            assert r.headers["Referrer-Policy"] == "no-referrer"


async def test_no_secret_is_ever_rendered(gateway: Gateway,
                                          browser_client: aiohttp.ClientSession) -> None:
    secrets = [TOKEN, gateway.secret_key.decode()]
    for path in [*PAGES, *API, "/login", "/metrics", "/readyz"]:
        async with browser_client.get(gateway.http_url + path) as r:
            text = await r.text()
        for secret in secrets:
            assert secret not in text, path


def test_cookie_expires_and_dies_with_the_token() -> None:
    now = [1_000_000.0]
    auth = Auth(b"k" * 32, "token-one", session_hours=1, secure=False, clock=lambda: now[0])
    cookie = auth.issue()
    assert auth.session_nonce(cookie)
    now[0] += 3599
    assert auth.session_nonce(cookie)
    now[0] += 2
    assert auth.session_nonce(cookie) is None
    now[0] -= 3000
    rotated = Auth(b"k" * 32, "token-two", session_hours=1, secure=False, clock=lambda: now[0])
    assert rotated.session_nonce(cookie) is None
    assert auth.token_ok("token-one") and not auth.token_ok("token-one ")


async def test_repeated_failed_logins_are_throttled(gateway: Gateway,
                                                   anon: aiohttp.ClientSession) -> None:
    base = gateway.http_url or ""
    statuses = [(await log_in(anon, base, token=f"guess-{n}")).status for n in range(10)]
    assert statuses == [401] * 10
    r = await log_in(anon, base)  # even the right token waits out the pause
    assert r.status == 429 and SESSION_COOKIE not in r.cookies


def test_login_pause_ends_after_the_window() -> None:
    now = [0.0]
    auth = Auth(b"k" * 32, "token", session_hours=1, secure=False, clock=lambda: now[0])
    for _ in range(10):
        assert not auth.throttled("10.0.0.1")
        auth.failed("10.0.0.1")
    assert auth.throttled("10.0.0.1") and not auth.throttled("10.0.0.2")
    now[0] += 301
    assert not auth.throttled("10.0.0.1")


async def test_exempt_prefixes_cannot_be_used_to_reach_protected_routes(gateway: Gateway) -> None:
    host, port = (gateway.http_url or "")[len("http://"):].rsplit(":", 1)
    for path in ("/static/../api/sessions", "/webhooks/../api/sessions",
                 "/static/%2e%2e/api/sessions", "/webhooks/%2E%2E/api/queue",
                 "/static/..%2fapi/sessions"):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET {path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n".encode())
        status_line = (await reader.readline()).decode()
        await reader.read()
        writer.close()
        await writer.wait_closed()
        assert status_line.split()[1] in ("401", "404"), (path, status_line)
