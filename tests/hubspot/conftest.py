"""HubSpot fixtures: the real daemon with the embedded emulator on port 0, and helpers."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import (
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from gateway.storage import hubspot as hs
from gateway.storage import queues, sessions
from tests.conftest import CUSTOMER, SUPPORT, build_mail, make_config, wait_until

SIGNATURES = [
    {"domain": "acme.test", "text": "--\nAcme Support Team", "html": "<p>Acme Support Team</p>"},
    {"domain": "*", "text": "--\nDefault", "html": "<p>Default</p>"},
]
HUMAN = "I want to talk to a human, please."


def hubspot_config(tmp_path: Path, hubspot: dict[str, Any] | None = None, **extra: Any) -> Config:
    section = {"mode": "emulator", "emulator": {"listen": "127.0.0.1:0",
                                                 "search_lag_seconds": 2.0},
               "timeout": 2.0, **(hubspot or {})}
    return make_config(tmp_path, hubspot=section, signatures=SIGNATURES, **extra)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(tmp_path)


def emulator_of(gw: Gateway) -> HubSpotEmulator:
    assert gw.hubspot is not None and gw.hubspot.emulator is not None
    return gw.hubspot.emulator  # type: ignore[no-any-return]


async def send(gw: Gateway, *, subject: str = "Help with my order", body: str = HUMAN,
               sender: str = CUSTOMER, message_id: str | None = None,
               headers: dict[str, str] | None = None) -> None:
    """One customer mail over real SMTP (aiosmtplib)."""
    import aiosmtplib

    raw = build_mail(sender=sender, subject=subject, body=body, message_id=message_id,
                     headers=headers)
    host, port = gw.smtp_address or ("127.0.0.1", 0)
    await aiosmtplib.send(raw, sender=sender, recipients=[SUPPORT], hostname=host, port=port)


async def handoff_row(gw: Gateway, session_id: int) -> dict[str, Any] | None:
    return await gw.db.read(lambda c: hs.get_handoff(c, session_id))


async def wait_handoff(gw: Gateway, session_id: int | None = None,
                       timeout: float = 20.0) -> dict[str, Any]:
    """The first (or given) session's saga row, once it is done."""
    async def check() -> dict[str, Any] | None:
        sid = session_id or await newest_session(gw)
        row = await handoff_row(gw, sid) if sid else None
        return row if row and row["status"] == "done" else None

    return await wait_until(check, timeout)  # type: ignore[no-any-return]


async def newest_session(gw: Gateway) -> int | None:
    rows = await gw.db.read(lambda c: sessions.list_sessions(c, limit=1))
    return rows[0]["id"] if rows else None


async def messages(gw: Gateway, session_id: int) -> list[dict[str, Any]]:
    return await gw.db.read(lambda c: sessions.session_messages(c, session_id))


async def idle(gw: Gateway, emulator: HubSpotEmulator | None = None,
               timeout: float = 20.0) -> None:
    """Webhook deliveries finished and no job of any queue left ready or claimed."""
    async def check() -> bool:
        if emulator is not None:
            await emulator.wait_deliveries()
        pending = await gw.db.read(lambda c: queues.has_pending(
            c, ("process", "agent", "outbox", "hubspot", "webhook")))
        return not pending

    await wait_until(check, timeout)
    await asyncio.sleep(0.05)


def maildir_messages(cfg: Config) -> list[EmailMessage]:
    folder = Path(cfg.outbound.maildir) / "new"
    if not folder.exists():
        return []
    files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in files]


def count(items: Any, predicate: Callable[[Any], bool] = lambda _: True) -> int:
    return sum(1 for item in items if predicate(item))


@pytest.fixture
async def gateway_at(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start Gateways on demand (stopped at the end); for restarts on the same database."""
    started: list[Gateway] = []

    async def start(cfg: Config, secrets: Secrets | None = None) -> Gateway:
        gw = Gateway(cfg, secrets or Secrets(secret_key="k", admin_token="t"))
        await gw.start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        if gw.http_runner is not None:  # not stopped by the test itself
            await gw.stop()


# -- live mode against a HubSpot (emulator) that outlives the gateway -----------------------

@pytest.fixture
async def hubspot() -> AsyncIterator[HubSpotEmulator]:
    emu = HubSpotEmulator(token=EMULATOR_TOKEN, client_secret=EMULATOR_CLIENT_SECRET,
                          developer_api_key=EMULATOR_DEVELOPER_KEY, app_id=4242,
                          webhook_retry_delays=(0.1,))
    await emu.start()
    yield emu
    await emu.stop()


def live_config(tmp_path: Path, emu: HubSpotEmulator, timeout: float) -> Config:
    return hubspot_config(tmp_path, {"mode": "live", "base_url": emu.base_url, "app_id": 4242,
                                     "timeout": timeout})


LIVE_SECRETS = Secrets(secret_key="k", admin_token="t", hubspot_token=EMULATOR_TOKEN,
                       hubspot_client_secret=EMULATOR_CLIENT_SECRET,
                       hubspot_developer_key=EMULATOR_DEVELOPER_KEY)
