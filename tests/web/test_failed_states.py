"""Issue 10 point 2d: a handoff whose job is dead shows as failed everywhere, with the action."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from gateway.answering import request_handoff
from gateway.daemon import Gateway
from gateway.storage import hubspot as hs
from gateway.storage import queues
from tests.conftest import build_mail
from tests.web.conftest import session_with_reply
from tests.web.test_metrics import scrape, value


async def _dead_handoff(gateway: Gateway, sid: int) -> int:
    """What the hubspot worker leaves when HubSpot refuses (e.g. 400 INVALID_EMAIL) 10 times."""
    now = gateway.clock()

    def write(c: Any) -> int:
        request_handoff(c, gateway.cfg, sid, reason="customer_request", detail="", analysis=None,
                        now=now)
        job_id = queues.enqueue(c, "hubspot", {"action": "handoff", "session_id": sid},
                                now=now, max_attempts=1, dedupe_key=f"hubspot-handoff:{sid}")
        assert job_id is not None
        queues.claim(c, "hubspot", now=now, lease=60)
        queues.bury(c, job_id, now=now, error="HubSpot 400 INVALID_EMAIL")
        hs.start_handoff(c, sid, reason="customer_request", mode="emulator", now=now)
        hs.update_handoff(c, sid, now, status="failed", last_error="HubSpot 400 INVALID_EMAIL")
        return job_id

    return await gateway.db.write(write)


async def test_a_dead_handoff_is_shown_failed_with_its_requeue(
        gateway: Gateway, smtp_send: Any, browser_client: aiohttp.ClientSession,
        bearer: dict[str, str], tmp_path: Path) -> None:
    await smtp_send(build_mail(sender="x@customer.test", subject="Refund please"),
                    mail_from="x@customer.test")
    session = await session_with_reply(gateway, "x@customer.test")
    sid = session["id"]
    job_id = await _dead_handoff(gateway, sid)
    base = gateway.http_url

    async with browser_client.get(f"{base}/") as r:
        inbox = await r.text()
    assert "handoff failed" in inbox
    async with browser_client.get(f"{base}/sessions/{sid}") as r:
        page = await r.text()
    assert "Creating the ticket" not in page
    assert "HubSpot 400 INVALID_EMAIL" in page and f"/queue/{job_id}/requeue" in page

    async with aiohttp.ClientSession(headers=bearer) as api:
        async with api.get(f"{base}/api/sessions") as r:
            [row] = [s for s in (await r.json())["sessions"] if s["id"] == sid]
        assert row["failure"]["state"] == "handoff_failed"
        assert row["failure"]["job_id"] == job_id
        assert f"queue requeue {job_id}" in row["failure"]["action"]

    samples = await scrape(gateway)
    assert value(samples, "sessions_failed", state="handoff_failed") == 1

    config = tmp_path / "cli.yaml"
    storage = {"path": str(gateway.cfg.storage.path), "url": gateway.cfg.storage.url}
    config.write_text(yaml.safe_dump({"storage": storage,
                                      "http": {"listen": "127.0.0.1:9"}}))
    env = {"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k"}
    listed = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "inbox", "list"],
        capture_output=True, text=True, timeout=60, env=env)
    assert "handoff failed" in listed.stdout, listed.stderr
    assert f"opencx-gateway queue requeue {job_id}" in listed.stdout
    status = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "status", "--no-probe"],
        capture_output=True, text=True, timeout=60, env=env)
    assert f"#{sid} handoff failed" in status.stdout, status.stdout + status.stderr
