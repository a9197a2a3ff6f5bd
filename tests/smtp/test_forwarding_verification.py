"""Issue 10 point 7: verified means a customer mail or our signed test came back, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from gateway.daemon import Gateway
from gateway.ops.local import check_forwarding
from gateway.storage import sessions
from tests.conftest import make_config, wait_until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
FORWARD = "support+example.com@gateway.localhost"


@pytest.fixture
async def gw(tmp_path: Path, secrets) -> Any:  # type: ignore[no-untyped-def]
    cfg = make_config(tmp_path, smtp={"hostname": "gateway.localhost",
                                      "support_addresses": [{"address": "support@example.com"}]},
                      agent={"debounce_seconds": 3600})
    gateway = Gateway(cfg, secrets)
    await gateway.start()
    yield gateway
    await gateway.stop()


async def _send(gw: Gateway, raw: bytes, mail_from: str) -> None:
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        await client.sendmail(mail_from, [FORWARD], raw)


def _channel(gw: Gateway) -> dict[str, Any]:
    [row] = gw.db.read_sync(sessions.list_addresses)
    return row


async def test_a_gmail_confirmation_request_does_not_verify(gw: Gateway) -> None:
    raw = (FIXTURES / "gmail_forwarding_confirmation.eml").read_bytes()
    await _send(gw, raw, "bounce@gaia.bounces.google.com")
    await wait_until(lambda: _channel(gw).get("gmail_code"))
    row = _channel(gw)
    assert row["status"] == "confirm_gmail" and row["verified_at"] is None
    assert row["gmail_code"] == "726451983"
    [check] = check_forwarding(gw.cfg)
    assert check.status == "warn" and "Gmail sent confirmation code 726451983" in check.detail

    # the first real customer mail through the forward then verifies it
    await _send(gw, b"From: Jane <jane@customer.example>\r\nTo: support@example.com\r\n"
                    b"Subject: Help\r\n\r\nMy order is late.\r\n", "jane@customer.example")
    await wait_until(lambda: _channel(gw)["status"] == "verified")
    assert _channel(gw)["verified_by"] == "mail received"


async def test_send_test_in_maildir_mode_completes_the_round_trip(gw: Gateway) -> None:
    assert gw.cfg.outbound.mode == "maildir"
    assert gw.actions is not None
    result = await gw.actions.send_test("support@example.com")
    assert result["looped_back"] and "loops the test mail back" in result["note"]
    await wait_until(lambda: _channel(gw)["status"] == "verified")
    assert _channel(gw)["verified_by"] == "test mail looped back locally (outbound.mode maildir)"
    maildir = gw.cfg.outbound.maildir / "new"
    assert not any(maildir.iterdir()) if maildir.exists() else True
