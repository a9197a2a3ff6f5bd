"""Playwright driving Debian's chromium against the real daemon: the operator's whole loop."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect
from playwright.async_api import Error as PlaywrightError

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from tests.conftest import SUPPORT, make_config
from tests.web.conftest import TOKEN, XSS_SUBJECT, xss_mail

pytestmark = pytest.mark.asyncio(loop_scope="module")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path("/tmp")
assert Path(CHROMIUM).exists(), "browser tests need Debian's chromium (apt-get install chromium)"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


async def _running(cfg: Config, secrets: Secrets) -> AsyncIterator[Gateway]:
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def gateway(config: Config, secrets: Secrets) -> AsyncIterator[Gateway]:
    """The root `gateway` fixture, on the module's loop (the browser's)."""
    async for gw in _running(config, secrets):
        yield gw


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser, gateway: Gateway) -> AsyncIterator[Page]:
    """A fresh browser context; every dialog (alert, confirm) is recorded and dismissed."""
    context = await browser.new_context(base_url=gateway.http_url,
                                        viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]

    async def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    await context.close()


async def swaks(gw: Gateway, *args: str) -> None:
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    proc = await asyncio.create_subprocess_exec(
        "swaks", "--server", host, "--port", str(port), "--helo", "client.test",
        "--to", SUPPORT, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode(errors="replace")[-800:]


async def log_in(page: Page) -> None:
    await page.goto("/login")
    await page.fill("#token", TOKEN)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


async def reload_until(page: Page, selector: str, timeout: float = 15.0) -> None:
    """Reload until `selector` is on the page (the mail is processed by background workers)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await page.locator(selector).count() == 0:
        assert asyncio.get_running_loop().time() < deadline, f"{selector} never appeared"
        await asyncio.sleep(0.2)
        await page.reload()


async def test_login_mail_open_and_hand_off(page: Page, gateway: Gateway) -> None:
    await page.goto("/")
    assert "/login?next=" in page.url
    await page.fill("#token", "wrong-token")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_have_text("That is not the admin token.")
    await page.fill("#token", TOKEN)
    await page.click("button[type=submit]")
    await expect(page.get_by_text("No sessions yet")).to_be_visible()

    await swaks(gateway, "--from", "jane@customer.test",
                "--h-From", "Jane Doe <jane@customer.test>",
                "--header", "Subject: How do I reset my password?",
                "--body", "Hi, I forgot my password and cannot log in. How do I reset it?")
    await reload_until(page, "tr.row-link")
    row = page.locator("tr.row-link").first
    await expect(row).to_contain_text("Jane Doe")
    await expect(row).to_contain_text("How do I reset my password?")
    await page.screenshot(path=str(SCREENSHOTS / "opencx-inbox.png"), full_page=True)

    await row.get_by_role("link", name="How do I reset my password?").click()
    await reload_until(page, "article.role-ai")
    await expect(page.locator("article.role-customer")).to_contain_text("forgot my password")
    await expect(page.locator("article.role-ai .body")).not_to_be_empty()
    await expect(page.locator("article.role-ai footer.outbox")).to_contain_text("sent")
    await page.screenshot(path=str(SCREENSHOTS / "opencx-session.png"), full_page=True)

    await page.fill("#reason", "Customer asked for a phone call")
    await page.get_by_role("button", name="Hand off to HubSpot").click()
    await expect(page.locator(".flash")).to_contain_text("Handed off")
    await expect(page.locator("#session-status")).to_have_text("handed off")
    await expect(page.locator("#handoff")).to_contain_text("Customer asked for a phone call")
    await expect(page.locator("#handoff-form")).to_have_count(0)
    handoff_note = page.locator("article.role-system", has_text="Handed off to a human")
    await expect(handoff_note).to_have_count(1)  # beside the AI reply's "answered from" note

    await page.goto("/?status=handed_off")
    await expect(page.locator("tr.row-link")).to_have_count(1)
    assert page.dialogs == []  # type: ignore[attr-defined]


async def test_login_never_redirects_off_site(page: Page, gateway: Gateway) -> None:
    """Issue 10.1: a tab in `next` once sent Chromium to http://evil.example/phish after login."""
    offsite: list[str] = []  # redirects are not routable in Playwright: watch the requests
    page.on("request", lambda r: offsite.append(r.url)
            if urlsplit(r.url).hostname == "evil.example" else None)
    await log_in(page)
    await expect(page.get_by_text("No sessions yet")).to_be_visible()
    for target in ("%2F%09%2Fevil.example%2Fphish", "%5C%5Cevil.example%2Fphish",
                   "%2F%0A%2Fevil.example%2Fphish"):
        with contextlib.suppress(PlaywrightError):  # before the fix: ERR_NAME_NOT_RESOLVED
            await page.goto(f"/login?next={target}")  # logged in: the GET redirects straight on
        assert offsite == [] and page.url == f"{gateway.http_url}/", target
    # Logged out, through the form (CSP form-action 'self' is a second wall, not the only one).
    await page.context.clear_cookies()
    await page.goto("/login?next=%2F%09%2Fevil.example%2Fphish")
    await page.fill("#token", TOKEN)
    await page.click("button[type=submit]")
    await expect(page.get_by_text("No sessions yet")).to_be_visible()
    assert offsite == [] and page.url == f"{gateway.http_url}/"


async def test_channels_and_settings_show_real_state(page: Page, gateway: Gateway) -> None:
    await log_in(page)
    await page.goto("/channels")
    card = page.locator(f'[data-address="{SUPPORT}"]')
    await expect(card.locator("[data-status]")).to_have_text("pending")
    await expect(card).to_contain_text("support+acme.test@gw.test")
    await swaks(gateway, "--from", "bob@customer.test", "--header", "Subject: Shipping times?")
    await reload_until(page, '[data-status="verified"]')
    await expect(card).to_contain_text("mail received")
    await card.get_by_role("button", name="Send test").click()
    await expect(page.locator(".flash")).to_contain_text(f"Test mail queued to {SUPPORT}")
    await expect(card.locator("dd").last).to_contain_text("ago")

    await page.goto("/settings/hubspot")
    await expect(page.locator("#hubspot-off")).to_contain_text("HubSpot is off")
    await page.get_by_role("link", name="Signatures").click()
    await page.fill("#address", "someone@acme.test")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#signature-preview")).to_contain_text("no signatures are configured")
    await page.goto("/queue")
    await expect(page.locator("#depths")).to_be_visible()


async def test_xss_mail_renders_inert(page: Page, gateway: Gateway, tmp_path: Path) -> None:
    raw = tmp_path / "xss.eml"
    raw.write_bytes(xss_mail())
    await swaks(gateway, "--from", "mallory@evil.test", "--data", f"@{raw}")
    await log_in(page)
    await reload_until(page, "tr.row-link")
    await expect(page.locator("tr.row-link")).to_contain_text(XSS_SUBJECT)  # as text
    await page.locator("tr.row-link a.subject").click()
    await expect(page.locator("h1")).to_contain_text("onerror")
    await page.locator("article.role-customer details summary").click()
    frame_el = page.locator("article.role-customer iframe")
    await expect(frame_el).to_have_attribute("sandbox", "")
    frame = await (await frame_el.element_handle()).content_frame()  # type: ignore[union-attr]
    assert frame is not None
    await frame.wait_for_load_state()
    await expect(frame.locator("body")).to_contain_text("my order is broken")
    assert await frame.locator("script, iframe, form, svg, [onerror], [onload]").count() == 0
    await frame.get_by_text("click me").click()
    await page.wait_for_timeout(300)
    assert await page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []  # type: ignore[attr-defined]
    # The page's CSP refuses inline script outright, whatever might slip into the markup.
    await page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inline = 1'; document.head.appendChild(s); }""")
    assert await page.evaluate("typeof window.__inline") == "undefined"


async def test_unauthenticated_and_csrf_less_requests_are_refused(page: Page) -> None:
    response = await page.request.get("/api/sessions")
    assert response.status == 401
    await log_in(page)
    response = await page.request.post("/sessions/10001/handoff", form={"reason": "x"},
                                       max_redirects=0)
    assert response.status == 403 and "CSRF" in await response.text()
    response = await page.request.post("/api/sessions/10001/handoff", data={"reason": "x"})
    assert response.status == 403
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = await page.request.post("/api/sessions/10001/handoff", data={"reason": "x"},
                                       headers={"X-CSRF-Token": token or ""})
    assert response.status == 404  # past the CSRF check: there is no such session


async def test_handoff_shows_hubspot_ids(browser: Browser, tmp_path: Path,
                                         secrets: Secrets) -> None:
    cfg = make_config(tmp_path, hubspot={"mode": "emulator",
                                         "emulator": {"listen": "127.0.0.1:0",
                                                      "search_lag_seconds": 0}})
    async for gw in _running(cfg, secrets):
        context = await browser.new_context(base_url=gw.http_url)
        page = await context.new_page()
        try:
            await log_in(page)
            await swaks(gw, "--from", "kim@customer.test", "--header", "Subject: Refund please")
            await reload_until(page, "tr.row-link")
            await page.locator("tr.row-link a.subject").click()
            await reload_until(page, "#handoff-form, #handoff")
            if await page.locator("#handoff-form").count():
                await page.fill("#reason", "manual check")
                await page.get_by_role("button", name="Hand off to HubSpot").click()
            for key in ("contact", "ticket", "thread"):
                await reload_until(page, f'[data-hubspot="{key}"]:not(:text-is("—"))')
            ticket = await page.locator('[data-hubspot="ticket"]').inner_text()
            assert ticket.strip().isdigit()
            await page.goto("/settings/hubspot")
            status = page.locator("#hubspot-status")
            for label in ("Token", "Scopes", "Property opencx_handedoff", "Custom channel"):
                row = status.get_by_role("row", name=re.compile(rf"^{re.escape(label)} "))
                await expect(row.locator(".badge")).to_have_text("ok")
            await expect(page.locator("#webhook-urls")).to_contain_text(
                f"{gw.http_url}/webhooks/hubspot/channel")
            await expect(page.locator("#last-webhook")).to_contain_text("200 ok")
            await page.screenshot(path=str(SCREENSHOTS / "opencx-hubspot.png"), full_page=True)
        finally:
            await context.close()
