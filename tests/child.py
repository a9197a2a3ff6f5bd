"""The daemon as a child process, for tests that kill it: config file, start, wait for SMTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SUPPORT, merge


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, port: int, **sections: Any) -> Path:
    """A config file for a child daemon: SMTP on ``port``, state under ``tmp_path``."""
    base: dict[str, Any] = {
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.test",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": "127.0.0.1:0"}, "storage": {"path": str(tmp_path / "gw.db")},
        "hubspot": {"mode": "off"}, "outbound": {"maildir": str(tmp_path / "maildir")},
    }
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(merge(base, sections)))
    return config


def start_daemon(config: Path, log: Path, preexec_fn: Callable[[], None] | None = None,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENCX_GATEWAY_SECRET_KEY": "child-test", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env, preexec_fn=preexec_fn,
    )


async def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            await w.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"daemon did not listen on {port}")
