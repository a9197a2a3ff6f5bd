"""The JSON API over real HTTP with the bearer token: data, filters, actions, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.storage import queues
from gateway.web.model import hubspot_checks, scrub
from tests.conftest import SUPPORT, build_mail, make_config
from tests.web.conftest import session_with_reply

SIGNATURES = [{"domain": "acme.test", "text": "Acme exact"},
              {"domain": "*.acme.test", "text": "Acme wildcard"}]


@pytest.fixture
def config(tmp_path: Any) -> Config:
    return make_config(tmp_path, signatures=SIGNATURES)


@pytest.fixture
async def api(gateway: Gateway, bearer: dict[str, str]) -> Any:
    """call(method, path, json=...) -> (status, body) with the bearer token."""
    async with aiohttp.ClientSession(headers=bearer) as client:
        async def call(method: str, path: str, **kw: Any) -> tuple[int, Any]:
            async with client.request(method, gateway.http_url + path, **kw) as r:
                return r.status, await r.json()
        yield call


async def _mail(gateway: Gateway, smtp_send: Callable[..., Any], sender: str,
                subject: str = "How do I reset my password?") -> dict[str, Any]:
    await smtp_send(build_mail(sender=sender, subject=subject), mail_from=sender)
    return await session_with_reply(gateway, sender)


async def test_sessions_list_filter_and_page(gateway: Gateway, smtp_send: Any, api: Any) -> None:
    for n in range(3):
        await _mail(gateway, smtp_send, f"c{n}@customer.test", subject=f"Password question {n}")
    status, body = await api("GET", "/api/sessions")
    assert status == 200 and body["total"] == 3 and body["counts"]["ai"] == 3
    assert [s["contact_email"] for s in body["sessions"]] == [
        "c2@customer.test", "c1@customer.test", "c0@customer.test"]
    status, body = await api("GET", "/api/sessions?limit=2&offset=2")
    assert body["total"] == 3 and [s["contact_email"] for s in body["sessions"]] == [
        "c0@customer.test"]
    status, body = await api("GET", "/api/sessions?q=question 1")
    assert [s["contact_email"] for s in body["sessions"]] == ["c1@customer.test"]
    status, body = await api("GET", "/api/sessions?status=closed")
    assert status == 200 and body["sessions"] == [] and body["total"] == 0


async def test_sessions_bad_input_is_400(gateway: Gateway, api: Any) -> None:
    for query in ("status=open", "limit=0", "limit=x", "offset=-1", "limit=1000"):
        status, body = await api("GET", f"/api/sessions?{query}")
        assert status == 400 and body["status"] == 400 and body["error"], query


async def test_session_detail_has_the_transcript(gateway: Gateway, smtp_send: Any,
                                                 api: Any) -> None:
    s = await _mail(gateway, smtp_send, "jane@customer.test")
    status, body = await api("GET", f"/api/sessions/{s['id']}")
    assert status == 200 and body["id"] == s["id"] and "token" not in body
    roles = [m["role"] for m in body["messages"]]
    assert roles[:2] == ["customer", "ai"]
    ai = body["messages"][1]
    assert ai["outbox_status"] in ("queued", "sent") and ai["html"]
    assert body["outgoing"][0]["rcpt_to"] == "jane@customer.test"
    assert "raw" not in body["outgoing"][0]


async def test_unknown_session_is_404(gateway: Gateway, api: Any) -> None:
    for path in ("/api/sessions/999", "/api/sessions/abc"):
        status, body = await api("GET", path)
        assert status == 404 and body["status"] == 404, path
    status, body = await api("POST", "/api/sessions/999/handoff", json={"reason": "x"})
    assert status == 404 and "no session #999" in body["error"]


async def test_handoff_then_409(gateway: Gateway, smtp_send: Any, api: Any) -> None:
    s = await _mail(gateway, smtp_send, "jane@customer.test")
    path = f"/api/sessions/{s['id']}/handoff"
    status, body = await api("POST", path, json={"reason": "VIP, call back"})
    assert status == 200
    assert body["status"] == "handed_off" and body["detail"] == "VIP, call back"
    assert body["queued_hubspot"] is False
    status, body = await api("POST", path, json={})
    assert status == 409 and "handed_off" in body["error"]
    status, body = await api("GET", f"/api/sessions/{s['id']}")
    assert body["status"] == "handed_off" and body["handoff_reason"] == "manual"


async def test_handoff_bad_body_is_400(gateway: Gateway, smtp_send: Any, api: Any) -> None:
    s = await _mail(gateway, smtp_send, "jane@customer.test")
    for payload in (b"not json", b"[1]", b'{"reason": 5}'):
        status, body = await api("POST", f"/api/sessions/{s['id']}/handoff", data=payload,
                                 headers={"Content-Type": "application/json"})
        assert status == 400 and body["status"] == 400, payload
    status, body = await api("GET", f"/api/sessions/{s['id']}")
    assert body["status"] == "ai"


async def test_channels_and_send_test(gateway: Gateway, smtp_send: Any, api: Any) -> None:
    status, body = await api("GET", "/api/channels")
    [channel] = body["channels"]
    assert channel["address"] == SUPPORT and channel["status"] == "pending"
    assert channel["forward_to"] == "support+acme.test@gw.test"
    await _mail(gateway, smtp_send, "jane@customer.test")
    status, body = await api("GET", "/api/channels")
    assert body["channels"][0]["status"] == "verified"
    assert body["channels"][0]["last_mail_at"] is not None
    status, body = await api("POST", f"/api/channels/{SUPPORT}/test")
    assert status == 202 and body["address"] == SUPPORT
    status, body = await api("GET", "/api/channels")
    assert body["channels"][0]["challenge_sent_at"] is not None
    status, body = await api("POST", "/api/channels/nobody@else.test/test")
    assert status == 404 and "not a configured support address" in body["error"]
    status, body = await api("POST", "/api/channels/not-an-address/test")
    assert status == 400


async def _job(gateway: Gateway, *, dead: bool, claimed: bool = False,
               queue: str = "parked") -> int:
    now = gateway.clock()

    def write(c: Any) -> int:
        job_id = queues.enqueue(c, queue, {"session_id": 1}, now=now, max_attempts=1)
        assert job_id is not None
        if claimed:
            queues.claim(c, queue, now=now, lease=60)
        if dead:
            queues.bury(c, job_id, now=now, error="relay said 550 no such user")
        return job_id

    return await gateway.db.write(write)


async def test_queue_and_requeue(gateway: Gateway, api: Any) -> None:
    dead = await _job(gateway, dead=True)
    status, body = await api("GET", "/api/queue?status=dead")
    assert status == 200 and body["total"] == 1
    [job] = body["jobs"]
    assert job["id"] == dead and job["last_error"] == "relay said 550 no such user"
    assert body["depths"]["parked"]["dead"] == 1
    status, body = await api("POST", f"/api/queue/{dead}/requeue")
    assert status == 200 and body["status"] == "ready" and body["attempts"] == 0
    status, body = await api("GET", "/api/queue?status=dead")
    assert body["total"] == 0
    status, body = await api("POST", "/api/queue/987654/requeue")
    assert status == 404
    busy = await _job(gateway, dead=False, claimed=True, queue="busy")
    status, body = await api("POST", f"/api/queue/{busy}/requeue")
    assert status == 409 and "claimed" in body["error"]
    status, body = await api("GET", "/api/queue?status=sideways")
    assert status == 400


async def test_hubspot_when_off(gateway: Gateway, api: Any) -> None:
    status, body = await api("GET", "/api/hubspot")
    assert status == 200 and body["mode"] == "off" and body["status"] is None
    assert body["webhook_urls"] == []


async def test_signature_resolution(gateway: Gateway, api: Any) -> None:
    status, body = await api("GET", "/api/signatures/resolve?address=help@eu.acme.test")
    assert status == 200 and body["pattern"] == "*.acme.test" and body["text"] == "Acme wildcard"
    status, body = await api("GET", "/api/signatures/resolve?address=someone@other.test")
    assert body["pattern"] is None and "no entry matches other.test" in body["why"]
    status, body = await api("GET", "/api/signatures/resolve")
    assert status == 400


def test_hubspot_status_is_scrubbed_of_secrets() -> None:
    status = {"token": "pat-na1-abc", "token_valid": True, "nested": [
        {"client_secret": "s", "note": "sent with Bearer pat-na1-abcdef"}], "app_id": 7}
    assert scrub(status, {"pat-na1-abcdef"}) == {
        "token_valid": True, "nested": [{"note": "[redacted]"}], "app_id": 7}
    checks = {c["label"]: c["ok"] for c in hubspot_checks(
        {"token_valid": False, "missing_scopes": ["tickets"]}, "opencx_handedoff")}
    assert checks["Token"] is False and checks["Scopes"] is False
    assert checks["Custom channel"] is None and checks["HubSpot reachable"] is True
