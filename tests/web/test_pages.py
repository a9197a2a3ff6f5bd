"""Server-rendered pages over real HTTP: what each page shows and what its forms do."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import SUPPORT, build_mail, make_config, wait_until
from tests.web.conftest import page_csrf, session_with_reply, xss_mail


@pytest.fixture
def config(tmp_path: Any) -> Config:
    return make_config(tmp_path, signatures=[
        {"domain": "*", "text": "The Acme team", "html": "<p onclick='x()'>Acme</p>"}])


async def get(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as r:
        assert r.status == 200, url
        return await r.text()


async def test_inbox_lists_filters_and_pages(gateway: Gateway, smtp_send: Any,
                                             browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    assert "No sessions yet" in await get(browser_client, f"{base}/")
    for n in range(3):
        sender = f"c{n}@customer.test"
        await smtp_send(build_mail(sender=sender, subject=f"Reset password {n}"),
                        mail_from=sender)
        await session_with_reply(gateway, sender)
    page = await get(browser_client, f"{base}/")
    assert page.count('class="row-link"') == 3 and "c1@customer.test" in page
    assert "Reset password 2" in page
    page = await get(browser_client, f"{base}/?q=password+1")
    assert page.count('class="row-link"') == 1 and "c1@customer.test" in page
    page = await get(browser_client, f"{base}/?status=handed_off")
    assert "No sessions match" in page
    page = await get(browser_client, f"{base}/?limit=2")
    assert page.count('class="row-link"') == 2 and "1–2 of 3" in page and "offset=2" in page
    async with browser_client.get(f"{base}/?status=bogus") as r:
        assert r.status == 400 and "status must be one of" in await r.text()


async def test_session_page_and_handoff_form(gateway: Gateway, smtp_send: Any,
                                             browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    await smtp_send(build_mail(subject="How do I reset my password?"))
    s = await session_with_reply(gateway, "jane@customer.test")
    page = await get(browser_client, f"{base}/sessions/{s['id']}")
    assert 'data-role="customer"' in page and 'data-role="ai"' in page
    assert "Hand off to HubSpot" in page and "Mail: <span" in page
    token = await page_csrf(browser_client, f"{base}/sessions/{s['id']}")
    async with browser_client.post(f"{base}/sessions/{s['id']}/handoff",
                                   data={"csrf": token, "reason": "asked for a call"}) as r:
        page = await r.text()
    assert "Handed off. HubSpot is off" in page
    assert "asked for a call" in page and "st-handed_off" in page
    assert 'id="handoff-form"' not in page
    async with browser_client.post(f"{base}/sessions/{s['id']}/handoff",
                                   data={"csrf": token}) as r:
        assert "Not handed off" in await r.text()
    async with browser_client.get(f"{base}/sessions/4242") as r:
        assert r.status == 404 and "no session #4242" in await r.text()


async def test_html_body_is_sanitised_and_sandboxed(gateway: Gateway, smtp_send: Any,
                                                   browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    await smtp_send(xss_mail(), mail_from="mallory@evil.test")
    s = await wait_until(lambda: gateway.db.read(lambda c: sessions.latest_session_for_contact(
        c, "mallory@evil.test", ("ai", "handed_off"))))
    page = await get(browser_client, f"{base}/sessions/{s['id']}")
    assert "<script>" not in page and "<img src=x" not in page and "<svg" not in page
    assert "&lt;img src=x onerror=" in page  # the subject, shown as text
    src = re.search(r'<iframe sandbox [^>]*src="([^"]+)"', page, re.S)
    assert src, "the HTML body is framed with the sandbox attribute"
    async with browser_client.get(base + src.group(1)) as r:
        body = await r.text()
        csp = r.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script" not in csp
    assert "my order is broken" in body
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<form"):
        assert bad not in body.lower(), bad


async def test_channels_page_and_send_test(gateway: Gateway,
                                           browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    page = await get(browser_client, f"{base}/channels")
    assert SUPPORT in page and "support+acme.test@gw.test" in page
    assert 'data-status="pending"' in page
    token = await page_csrf(browser_client, f"{base}/channels")
    async with browser_client.post(f"{base}/channels/test",
                                   data={"csrf": token, "address": SUPPORT}) as r:
        page = await r.text()
    assert "Test mail queued to support@acme.test" in page
    async with browser_client.post(f"{base}/channels/test",
                                   data={"csrf": token, "address": "x@y.test"}) as r:
        assert "No test sent" in await r.text()


async def test_settings_pages(gateway: Gateway, browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    page = await get(browser_client, f"{base}/settings/hubspot")
    assert "HubSpot is off" in page and "mode: emulator" in page
    page = await get(browser_client, f"{base}/settings/signatures?address=bob@any.test")
    assert "using the catch-all" in page and "The Acme team" in page
    assert "onclick" not in page


async def test_queue_page_requeues_dead_jobs(gateway: Gateway,
                                             browser_client: aiohttp.ClientSession) -> None:
    base = gateway.http_url
    now = gateway.clock()

    def bury(c: Any) -> int:
        job_id = queues.enqueue(c, "parked", {"session_id": 7}, now=now, max_attempts=1)
        queues.bury(c, job_id or 0, now=now, error="HubSpot said 400: bad property")
        return job_id or 0

    job_id = await gateway.db.write(bury)
    page = await get(browser_client, f"{base}/queue?status=dead")
    assert "HubSpot said 400: bad property" in page and f'data-job="{job_id}"' in page
    token = await page_csrf(browser_client, f"{base}/queue")
    async with browser_client.post(f"{base}/queue/{job_id}/requeue",
                                   data={"csrf": token, "back": "/queue?status=dead"}) as r:
        page = await r.text()
        assert str(r.url).endswith("/queue?status=dead")
    assert f"Job {job_id} (parked) is due again now." in page
    assert f'data-job="{job_id}"' not in page
