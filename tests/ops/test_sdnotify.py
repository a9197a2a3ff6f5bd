"""sd_notify: real AF_UNIX datagram sockets receive READY, WATCHDOG and STOPPING from the daemon."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import smtplib
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.ops.sdnotify import Notifier, watchdog_interval
from tests.conftest import CUSTOMER, SUPPORT, build_mail, wait_until

from .conftest import ops_config, start_daemon, stop_daemon, write_config


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing in for systemd's /run/systemd/notify."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    try:
        yield sock, str(path)
    finally:
        sock.close()


async def receive(sock: socket.socket, timeout: float = 30.0) -> str:
    data = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 4096), timeout)
    return data.decode()


def test_nothing_happens_outside_systemd() -> None:
    notifier = Notifier({})
    assert not notifier.enabled and notifier.interval is None
    assert notifier.notify("READY=1") is False


def test_watchdog_interval_is_half_and_only_for_our_pid() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
                             ) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({}) is None


def test_abstract_namespace_socket() -> None:
    name = f"opencx-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": f"@{name}"}).status("draining") is True
        assert sock.recv(4096) == b"STATUS=draining"


def test_a_dead_socket_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    with caplog.at_level(logging.WARNING, logger="gateway.ops.sdnotify"):
        assert notifier.notify("WATCHDOG=1") is False
        assert notifier.notify("WATCHDOG=1") is False
    assert len(caplog.records) == 1 and "sd_notify" in caplog.records[0].getMessage()


async def test_serving_sends_ready_pings_then_stopping(
        notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "40000"})
    async with notifier.serving("up"):
        assert await receive(sock, 5) == "READY=1\nSTATUS=up"
        assert await receive(sock, 5) == "WATCHDOG=1"
        assert await receive(sock, 5) == "WATCHDOG=1"  # again after 20 ms
    tail = [await receive(sock, 5)]
    while tail[-1] == "WATCHDOG=1":
        tail.append(await receive(sock, 5))
    assert tail[-1] == "STOPPING=1\nSTATUS=stopping"


def _daemon_argv(config: Path, *wrapper: str) -> list[str]:
    return [sys.executable, *wrapper, sys.executable, "-m", "gateway.cli", "--config",
            str(config), "run"] if wrapper else [
        sys.executable, "-m", "gateway.cli", "--config", str(config), "run"]


async def test_daemon_notifies_ready_watchdog_and_stopping(
        tmp_path: Path, notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    config = write_config(ops_config(tmp_path), tmp_path / "config.yaml")
    proc = start_daemon(_daemon_argv(config), tmp_path / "daemon.log",
                        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        ready = await receive(sock)
        assert ready.startswith("READY=1\nSTATUS=SMTP on 127.0.0.1:"), ready
        port = int(re.search(r"127\.0\.0\.1:(\d+)", ready).group(1))  # type: ignore[union-attr]
        banner = await asyncio.to_thread(_banner, port)
        assert banner.startswith("220 gw.test")  # READY came after SMTP was listening
        pings = [await receive(sock, 5) for _ in range(3)]
        assert pings == ["WATCHDOG=1"] * 3
    finally:
        code = await asyncio.to_thread(stop_daemon, proc)
    rest = []
    while True:
        try:
            rest.append(await receive(sock, 0.5))
        except TimeoutError:
            break
    assert code == 0, (tmp_path / "daemon.log").read_text()
    assert rest and rest[-1] == "STOPPING=1\nSTATUS=stopping"
    assert "stopped" in (tmp_path / "daemon.log").read_text()


def _banner(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        return conn.recv(512).decode()


async def test_daemon_replies_under_memory_deny_write_execute(
        tmp_path: Path, notify_socket: tuple[socket.socket, str]) -> None:
    """The unit's MemoryDenyWriteExecute=yes: the renderer (css-inline, in a thread) renders."""
    sock, path = notify_socket
    config = write_config(ops_config(tmp_path), tmp_path / "config.yaml")
    log = tmp_path / "daemon.log"
    proc = start_daemon(_daemon_argv(config, "-m", "tests.ops.wx"), log, {"NOTIFY_SOCKET": path})
    try:
        ready = await receive(sock)
        port = int(re.search(r"127\.0\.0\.1:(\d+)", ready).group(1))  # type: ignore[union-attr]
        raw = build_mail(subject="Password", body="How do I reset my password?")
        await asyncio.to_thread(_send, port, raw)
        new = tmp_path / "maildir" / "new"
        await wait_until(lambda: new.is_dir() and any(new.iterdir()), timeout=60)
    finally:
        code = await asyncio.to_thread(stop_daemon, proc)
    text = log.read_text()
    assert "wx: filter installed" in text
    assert code == 0, text
    assert "renderer:" not in text, text  # no renderer warning
    [reply] = list(new.iterdir())
    assert b"text/html" in reply.read_bytes()


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(CUSTOMER, [SUPPORT], raw)
