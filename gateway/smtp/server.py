"""The SMTP listener: aiosmtpd on the daemon's own loop, with connection caps and a drain."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import types
from typing import Any

from aiosmtpd.smtp import SMTP

from gateway.config import SmtpConfig, split_hostport
from gateway.smtp import codes
from gateway.smtp.data import OneBufferData
from gateway.smtp.handler import SmtpHandler
from gateway.smtp.limits import CommandBudget, PeerCounts, well_formed

log = logging.getLogger(__name__)


class SmtpServer:
    """Owns the listening socket and the live sessions; `stop()` drains them."""

    def __init__(self, handler: SmtpHandler, cfg: SmtpConfig) -> None:
        self.handler = handler
        self.cfg = cfg
        self.active: set[SMTP] = set()
        self.refused = 0
        self.peers = PeerCounts(cfg.max_sessions_per_client)
        self._server: asyncio.Server | None = None
        owner = self

        class GatewaySMTP(OneBufferData, SMTP):
            line_length_limit = cfg.line_length_limit

            _counted_fns: dict[str, Any] = {}  # command -> its counted wrapper, made once

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._budget = CommandBudget(cfg.command_limit, cfg.max_messages_per_connection)
                counted = self._counted_fns
                for name, method in list(self._smtp_methods.items()):
                    fn = counted.get(name)
                    if fn is None:  # first connection: wrap the class's function once
                        fn = counted[name] = _counted(name, method.__func__)
                    self._smtp_methods[name] = types.MethodType(fn, self)

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                peer = transport.get_extra_info("peername")
                self._ip = str(peer[0]) if peer else ""
                self._refused = len(owner.active) >= cfg.max_sessions
                if self._refused or not owner.peers.admit(self._ip):
                    self._refused = True
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
                if self in owner.active:
                    owner.active.discard(self)
                    owner.peers.release(self._ip)
                super().connection_lost(error)

            def _reset_timeout(self, duration: float | None = None) -> None:
                """Short while no mail is under way, longer once MAIL FROM started one."""
                if duration is None:
                    duration = cfg.idle_timeout if _idle(self) else cfg.command_timeout
                super()._reset_timeout(duration)

            async def push(self, status: Any) -> None:
                """A reply echoing undecodable 8-bit input shows '?' there: never a 451 from
                a UnicodeEncodeError (the sender would retry a hopeless command for days)."""
                if isinstance(status, str):
                    status = status.encode("utf-8", "replace").decode("utf-8")
                await super().push(status)

            def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
                """Control characters or undecodable 8-bit bytes in an address: 553."""
                address, params = super()._getaddr(arg)
                if address and not well_formed(address):
                    return None, None
                return address, params

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


def _counted(name: str, func: Any) -> Any:
    """``func`` (an ``smtp_*`` method) behind the connection's command budget."""

    @functools.wraps(func)  # keeps aiosmtpd's syntax marks: HELP lists it
    async def run(self: Any, arg: str | None) -> None:
        reason = self._budget.refuse(name)
        if reason is not None:
            log.warning("smtp closing peer=%s: %s", self._ip, reason)
            await self.push(codes.COMMAND_LIMIT.format(reason=reason))
            if self.transport is not None:
                self.transport.close()
            return
        envelope = self.envelope
        before = len(envelope.rcpt_tos) if envelope is not None else 0
        await func(self, arg)
        if name == "RCPT" and self.envelope is envelope and envelope is not None \
                and len(envelope.rcpt_tos) == before:
            self._budget.rcpt_refused()
        elif name == "DATA" and before:
            self._budget.delivered()
        if name in ("MAIL", "DATA"):
            self._reset_timeout()  # the transaction started or ended
    return run


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
