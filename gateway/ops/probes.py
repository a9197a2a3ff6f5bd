"""Small read-only probes for doctor and status: HTTP GET, SMTP banner, bind test, writable dir."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}


def connect_host(host: str) -> str:
    """Where to connect to reach a listener bound to ``host`` (a wildcard means loopback)."""
    return WILDCARDS.get(host, host)


def local_url(listen_host: str, port: int, path: str) -> str:
    """http://HOST:PORT/path for a listener (IPv6 literals bracketed)."""
    host = connect_host(listen_host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


@dataclass(frozen=True)
class HttpAnswer:
    """What a GET returned: status and JSON body (None when the body was not JSON)."""

    status: int
    body: Any

    @property
    def healthy(self) -> bool:
        """The gateway's /healthz (or /readyz) answered ok."""
        return (self.status == 200 and isinstance(self.body, dict)
                and self.body.get("status") in ("ok", "ready"))


async def http_get(url: str, timeout: float = 5.0) -> HttpAnswer:
    """GET ``url``; raise OSError/aiohttp.ClientError/TimeoutError when nothing answers."""
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (aiohttp.ClientSession(timeout=client_timeout) as session,
                session.get(url, allow_redirects=False) as resp):
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            body = None
        return HttpAnswer(resp.status, body)


def describe_error(exc: BaseException) -> str:
    """A short reason for a failed connection, without a traceback."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError) and exc.os_error is not None:
        return exc.os_error.strerror or str(exc.os_error)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def smtp_banner(host: str, port: int, timeout: float = 5.0) -> str:
    """Connect, read the greeting (all its lines), say QUIT; raise OSError/TimeoutError."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines: list[str] = []
        while True:
            raw = await asyncio.wait_for(reader.readline(), timeout)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if not raw or len(line) < 4 or line[3] != "-":
                break
        writer.write(b"QUIT\r\n")
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.drain(), timeout)
        return " / ".join(lines)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)


def bind_problem(host: str, port: int) -> str | None:
    """Why the daemon could not listen on host:port, or None if a bind works (then closed)."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot resolve {host!r}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
        try:
            sock.bind(address)
        except OSError as exc:
            return _bind_reason(exc, host, port)
    return None


def _bind_reason(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EACCES:
        return (f"permission denied binding port {port}: ports below 1024 need "
                "CAP_NET_BIND_SERVICE")
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is used by another program"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine"
    return f"cannot bind {host}:{port}: {exc.strerror or exc}"


def writable_dir_problem(directory: Path) -> str | None:
    """Why files cannot be created in ``directory`` (or the ancestor that would hold it).

    Creates and removes one temporary file: permission bits alone say nothing for root,
    read-only mounts or a full disk.
    """
    target = Path(directory)
    try:
        while not target.exists():
            if target.parent == target:
                return f"{directory}: no existing parent directory"
            target = target.parent
    except OSError as exc:
        return f"cannot reach {target}: {exc.strerror or exc}"
    if not target.is_dir():
        return f"{target} is not a directory"
    try:
        fd, name = tempfile.mkstemp(prefix=".opencx-doctor-", dir=target)
    except OSError as exc:
        return f"cannot create files in {target}: {exc.strerror or exc}"
    os.close(fd)
    os.unlink(name)
    return None
