"""/metrics moves as mail flows; /healthz and /readyz report the failing part."""

from __future__ import annotations

import asyncio
import smtplib
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from gateway.daemon import Gateway
from gateway.storage import queues
from gateway.web.app import create_app
from gateway.web.metrics import REGISTRY_KEY
from tests.conftest import CUSTOMER, build_mail, make_config, wait_until
from tests.web.conftest import session_with_reply


async def scrape(gateway: Gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as client, client.get(f"{gateway.http_url}/metrics") as r:
        assert r.status == 200 and r.content_type == "text/plain"
        text = await r.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get(("opencx_gateway_" + name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_as_mail_flows(gateway: Gateway, smtp_send: Any,
                                          bearer: dict[str, str]) -> None:
    before = await scrape(gateway)
    assert value(before, "messages_received_total") == 0
    assert value(before, "sessions", status="ai") == 0
    await smtp_send(build_mail(subject="How do I reset my password?"))
    session = await session_with_reply(gateway, CUSTOMER)
    await smtp_send(build_mail(sender="away@other.test", subject="Out of office",
                               headers={"Auto-Submitted": "auto-replied"}),
                    mail_from="away@other.test")

    def refuse_unknown() -> None:
        host, port = gateway.smtp_address or ("", 0)
        with smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) as s:
            s.ehlo()
            assert s.mail(CUSTOMER)[0] == 250
            assert s.rcpt("stranger@elsewhere.test")[0] == 550

    await asyncio.to_thread(refuse_unknown)
    async with aiohttp.ClientSession(headers=bearer) as client:
        url = f"{gateway.http_url}/api/sessions/{session['id']}/handoff"
        async with client.post(url, json={"reason": "wants a call"}) as r:
            assert r.status == 200

    async def settled() -> dict:
        m = await scrape(gateway)
        return m if value(m, "outbox_sent_total") >= 1 and value(
            m, "inbound_messages_total", outcome="ignored", kind="auto_reply") >= 1 else {}

    after = await wait_until(settled, timeout=20)
    assert value(after, "messages_received_total") == 2
    assert value(after, "messages_rejected_total", reason="unknown_recipient") == 1
    assert value(after, "inbound_messages_total", outcome="processed", kind="normal") == 1
    assert value(after, "sessions", status="handed_off") == 1
    assert value(after, "sessions", status="ai") == 0
    assert value(after, "ai_replies_total") == 1
    assert value(after, "handoffs_total", reason="manual") == 1
    assert value(after, "jobs_total", queue="process", outcome="handled") == 2
    for stage in ("process", "answer", "deliver"):
        assert value(after, "processing_latency_seconds_count", stage=stage) == 1, stage
        assert value(after, "processing_latency_seconds_bucket", stage=stage, le="+Inf") == 1
    again = await scrape(gateway)  # a second scrape does not count the same samples twice
    assert value(again, "processing_latency_seconds_count", stage="answer") == 1


async def test_queue_depth_and_age(gateway: Gateway) -> None:
    now = gateway.clock()
    await gateway.db.write(lambda c: queues.enqueue(c, "parked", {}, now=now - 30,
                                                    max_attempts=3))
    m = await scrape(gateway)
    assert value(m, "queue_jobs", queue="parked", status="ready") == 1
    assert value(m, "queue_oldest_age_seconds", queue="parked") >= 30


async def test_each_app_has_its_own_registry(gateway: Gateway) -> None:
    first, second = create_app(gateway), create_app(gateway)
    assert first[REGISTRY_KEY] is not second[REGISTRY_KEY]


async def test_health_and_readiness(gateway: Gateway) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{gateway.http_url}/healthz") as r:
            assert r.status == 200 and (await r.json())["status"] == "ok"
        async with client.get(f"{gateway.http_url}/readyz") as r:
            body = await r.json()
            assert r.status == 200, body
        assert body == {"status": "ready", "checks": {"database": "ok", "smtp": "ok",
                                                     "workers": "ok"}}
        worker = next(t for t in gateway._tasks if t.get_name() == "worker-agent")
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        async with client.get(f"{gateway.http_url}/readyz") as r:
            body = await r.json()
            assert r.status == 503
        assert body["failing"] == ["workers"] and "agent" in body["checks"]["workers"]
        assert gateway.smtp is not None
        await gateway.smtp.stop()
        async with client.get(f"{gateway.http_url}/readyz") as r:
            body = await r.json()
            assert r.status == 503 and body["failing"] == ["smtp", "workers"]
        async with client.get(f"{gateway.http_url}/healthz") as r:
            assert r.status == 200


async def test_hubspot_calls_and_webhooks_are_counted(tmp_path: Any, secrets: Any) -> None:
    cfg = make_config(tmp_path, hubspot={"mode": "emulator", "emulator": {
        "listen": "127.0.0.1:0", "search_lag_seconds": 0}})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        await gw.hubspot.ensure_ready()  # setup: properties, channel, account (a webhook)
        m = await wait_until(lambda: _with_webhook(gw))
        calls = sum(v for (name, _), v in m.items()
                    if name == "opencx_gateway_hubspot_calls_total")
        assert calls > 0
        assert value(m, "webhooks_total", result="verified", reason="ok") >= 1
        assert value(m, "hubspot_rate_limited_total") == 0
    finally:
        await gw.stop()


async def _with_webhook(gw: Gateway) -> dict:
    m = await scrape(gw)
    return m if value(m, "webhooks_total", result="verified", reason="ok") else {}
