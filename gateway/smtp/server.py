"""The SMTP listener: aiosmtpd on the daemon's own loop, with a connection cap and a drain."""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aiosmtpd.smtp import SMTP

from gateway.config import SmtpConfig, split_hostport
from gateway.smtp import codes
from gateway.smtp.data import OneBufferData
from gateway.smtp.handler import SmtpHandler

log = logging.getLogger(__name__)


class SmtpServer:
    """Owns the listening socket and the live sessions; `stop()` drains them."""

    def __init__(self, handler: SmtpHandler, cfg: SmtpConfig) -> None:
        self.handler = handler
        self.cfg = cfg
        self.active: set[SMTP] = set()
        self.refused = 0
        self._server: asyncio.Server | None = None
        owner = self

        class GatewaySMTP(OneBufferData, SMTP):
            line_length_limit = cfg.line_length_limit

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self._refused = len(owner.active) >= cfg.max_sessions
                if self._refused:
                    owner.refused += 1
                    msg = codes.TOO_MANY_CONNECTIONS.format(hostname=cfg.hostname)
                    transport.write(f"{msg}\r\n".encode())  # type: ignore[attr-defined]
                    transport.close()
                    return
                owner.active.add(self)
                super().connection_made(transport)

            def connection_lost(self, error: Exception | None) -> None:
                if getattr(self, "_refused", False):
                    return
                owner.active.discard(self)
                super().connection_lost(error)

        self._protocol = GatewaySMTP
        self._tls = tls_context(cfg)


    def _factory(self) -> SMTP:
        return self._protocol(
            self.handler,
            tls_context=self._tls,
            require_starttls=False,
            hostname=self.cfg.hostname,
            data_size_limit=self.cfg.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            timeout=self.cfg.idle_timeout,
            command_call_limit=self.cfg.command_limit,
            loop=asyncio.get_running_loop(),
        )

    async def start(self, listen: str | None = None) -> tuple[str, int]:
        host, port = split_hostport(listen or self.cfg.listen)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, host=host, port=port)
        sock = self._server.sockets[0].getsockname()
        log.info("smtp listening on %s:%d", sock[0], sock[1])
        return sock[0], sock[1]

    @property
    def serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, give sessions `grace` seconds to finish their DATA, then hang up."""
        if self._server is None:
            return
        self._server.close()
        deadline = asyncio.get_running_loop().time() + grace
        while self.active and asyncio.get_running_loop().time() < deadline:
            if all(_idle(p) for p in self.active):
                break
            await asyncio.sleep(0.05)
        for proto in list(self.active):
            transport: Any = proto.transport
            if transport is not None:
                if _idle(proto):
                    msg = codes.SHUTTING_DOWN.format(hostname=self.cfg.hostname)
                    transport.write(f"{msg}\r\n".encode())
                transport.close()
        await self._server.wait_closed()
        self._server = None


def _idle(proto: SMTP) -> bool:
    """A session is idle when no transaction (MAIL..DATA) is under way."""
    env = getattr(proto, "envelope", None)
    return env is None or env.mail_from is None


def tls_context(cfg: SmtpConfig) -> ssl.SSLContext | None:
    """The server context for STARTTLS, or None when no certificate is configured."""
    if cfg.tls_cert_file is None or cfg.tls_key_file is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cfg.tls_cert_file, cfg.tls_key_file)
    return ctx
