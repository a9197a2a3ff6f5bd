"""Ops fixtures: config files on temp paths, a closed port, a HubSpot emulator, daemon processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import Config
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.ops.checks import Check
from gateway.ops.doctor import run_checks
from tests.conftest import make_config
from tests.relay.conftest import TlsFiles, tls_files

__all__ = ["TlsFiles", "tls_files"]  # the relay tests' certificate fixture, reused here

ROOT = Path(__file__).resolve().parents[2]
SIGNATURES = [{"domain": "acme.test", "text": "--\nAcme Support", "html": "<p>Acme Support</p>"}]
TOKEN, CLIENT_SECRET, DEV_KEY, APP_ID = "live-token", "live-secret", "live-dev-key", 4242
LIVE_ENV = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": TOKEN,
            "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
            "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": DEV_KEY}


def ops_config(tmp_path: Path, **sections: Any) -> Config:
    """The shared test config with an exact signature for the support domain."""
    sections.setdefault("signatures", SIGNATURES)
    return make_config(tmp_path, **sections)


def live(base_url: str) -> dict[str, Any]:
    return {"mode": "live", "base_url": base_url, "app_id": APP_ID, "timeout": 5.0}


def write_config(cfg: Config, path: Path) -> Path:
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def doctor(cfg: Config, tmp_path: Path,
                 env: Mapping[str, str] | None = None) -> dict[str, Check]:
    """Run every doctor check on ``cfg`` (written to a file) with exactly ``env``."""
    path = write_config(cfg, tmp_path / "config.yaml")
    return {c.name: c for c in await run_checks(str(path), dict(env or {}))}


@pytest.fixture
async def hubspot_emulator() -> AsyncIterator[HubSpotEmulator]:
    emulator = HubSpotEmulator(token=TOKEN, client_secret=CLIENT_SECRET,
                               developer_api_key=DEV_KEY, app_id=APP_ID, search_lag=0.0)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


async def run_cli(config: Path, *args: str, env: Mapping[str, str] | None = None
                  ) -> tuple[int, str, str]:
    """`python -m gateway.cli --config CONFIG ARGS` as a real process: (exit, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "--config", str(config), *args, cwd=ROOT,
        env={**_base_env(), **(env or {})}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


def _base_env() -> dict[str, str]:
    """The environment without any gateway variable from the machine running the tests."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("OPENCX_GATEWAY") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}


def start_daemon(argv: list[str], log: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """A daemon process (its output in ``log``); stop it with stop_daemon."""
    with open(log, "wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env={**_base_env(), **env}, stdout=out,
                                stderr=subprocess.STDOUT)


def stop_daemon(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then the exit status (killed after 20 s)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
