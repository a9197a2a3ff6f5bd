"""Shared fixtures: a config on temp paths, the real daemon composition on port 0, SMTP senders."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from tests.relay.sink import SinkServer

SUPPORT = "support@acme.test"
CUSTOMER = "jane@customer.test"


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_config(tmp_path: Path, **sections: Any) -> Config:
    """A config with everything on loopback port 0 and under tmp_path; sections merge in."""
    base: dict[str, Any] = {
        "smtp": {"listen": "127.0.0.1:0", "hostname": "gw.test",
                 "support_addresses": [{"address": SUPPORT, "name": "Acme Support"}]},
        "http": {"listen": "127.0.0.1:0"},
        "storage": {"path": str(tmp_path / "gateway.db")},
        "queues": {"poll_interval": 0.2, "backoff_base": 0.05, "backoff_cap": 0.5},
        "outbound": {"mode": "maildir", "maildir": str(tmp_path / "maildir"),
                     "render_processes": 0},
        "agent": {"debounce_seconds": 0},
        "hubspot": {"mode": "off"},
    }
    return Config.model_validate(merge(base, sections))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(secret_key="test-secret-key", admin_token="test-admin-token")


@pytest.fixture
async def gateway(config: Config, secrets: Secrets) -> AsyncIterator[Gateway]:
    gw = Gateway(config, secrets)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


def build_mail(*, sender: str = CUSTOMER, to: str = SUPPORT, subject: str = "Hello",
               body: str = "How do I reset my password?", message_id: str | None = None,
               headers: dict[str, str] | None = None) -> bytes:
    lines = [f"From: Jane Doe <{sender}>", f"To: {to}", f"Subject: {subject}",
             "Date: Tue, 24 Nov 2026 10:00:00 +0000"]
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    lines += ["Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


@pytest.fixture
def smtp_send(gateway: Gateway) -> Callable[..., Any]:
    """Send raw bytes over real SMTP (stdlib smtplib in a thread); returns the 250 reply text."""
    host, port = gateway.smtp_address or ("127.0.0.1", 0)

    async def send(raw: bytes, *, mail_from: str = CUSTOMER,
                   rcpt: list[str] | None = None) -> str:
        def go() -> str:
            with smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) as s:
                s.ehlo()
                s.mail(mail_from)
                for r in rcpt or [SUPPORT]:
                    code, msg = s.rcpt(r)
                    if code >= 400:
                        raise smtplib.SMTPRecipientsRefused({r: (code, msg)})
                code, msg = s.data(raw)
                if code != 250:
                    raise smtplib.SMTPDataError(code, msg)
                return msg.decode()
        return await asyncio.to_thread(go)

    return send


async def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail after timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


SIGNATURES = [
    {"domain": "acme.test", "text": "--\nAcme Support Team", "html": "<p>Acme Support Team</p>"},
    {"domain": "*.acme.test", "text": "--\nWildcard team", "html": "<p>Wildcard team</p>"},
    {"domain": "*", "text": "--\nDefault", "html": "<p>Default</p>"},
]


def relay_config(tmp_path: Path, sink: SinkServer, **extra: Any) -> Config:
    return make_config(
        tmp_path,
        outbound={"mode": "smtp", "render_processes": 0,
                  "relay": {"host": "127.0.0.1", "port": sink.port, "timeout": 5}},
        signatures=SIGNATURES, **extra,
    )


@pytest.fixture
async def sink() -> AsyncIterator[SinkServer]:
    """An aiosmtpd relay sink on the test loop (see tests/relay/sink.py)."""
    server = await SinkServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def gw(tmp_path: Path, sink: SinkServer, secrets: Secrets) -> AsyncIterator[Gateway]:
    """The daemon relaying outgoing mail to `sink` over SMTP, with test signatures."""
    gateway = Gateway(relay_config(tmp_path, sink), secrets)
    await gateway.start()
    yield gateway
    await gateway.stop()
