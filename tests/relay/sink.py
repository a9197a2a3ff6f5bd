"""An in-process aiosmtpd sink for tests: records mail, and fails or hangs up when told to."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["connect", "mail", "rcpt", "data"]
STAGES = ("connect", "mail", "rcpt", "data")


@dataclass(frozen=True)
class Delivery:
    """One accepted message with what the sink saw of the session."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool
    login: str | None


class _Refuse(asyncio.Protocol):
    """Answers the connection with an error greeting (or nothing) and hangs up."""

    def __init__(self, greeting: str | None) -> None:
        self.greeting = greeting

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        if self.greeting is not None:
            transport.write(self.greeting.encode() + b"\r\n")
            transport.close()
        else:
            transport.abort()


class _TrackedSMTP(SMTP):
    """aiosmtpd's protocol, remembered by the sink so stop() can end live sessions."""

    def __init__(self, sink: SinkServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sink = sink
        sink._live.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self._sink._live.discard(self)


class _Handler:
    def __init__(self, sink: SinkServer) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if (reply := self.sink._take("mail", server)) is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if (reply := self.sink._take("rcpt", server)) is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink.quits += 1
        await self.sink._quit_gate.wait()  # hold_quit(): the client waits for its 221
        return "221 2.0.0 Bye"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if (reply := self.sink._take("data", server)) is not None:
            return reply
        raw = envelope.original_content or b""
        login = session.auth_data.login.decode() if session.auth_data else None
        tls = server.transport is not None and (
            server.transport.get_extra_info("ssl_object") is not None
        )
        self.sink.deliveries.append(
            Delivery(envelope.mail_from or "", tuple(envelope.rcpt_tos), raw, tls, login)
        )
        self.sink.messages.append((envelope.mail_from or "", list(envelope.rcpt_tos), raw))
        queued = f"250 2.0.0 Ok: queued as sink{len(self.sink.messages)}"
        await self.sink._data_gate.wait()  # hold_data(): stored, the 250 not yet sent
        return queued


class SinkServer:
    """aiosmtpd on 127.0.0.1:<free port>, on the running loop (no threaded Controller).

    starttls: server context offered via STARTTLS; implicit: server context wrapping the
    socket (SMTPS); auth: {login: password} required before MAIL.
    """

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit: ssl.SSLContext | None = None,
        auth: dict[str, str] | None = None,
        hostname: str = "sink.test",
        smtputf8: bool = False,
    ) -> None:
        self.starttls, self.implicit, self.auth, self.hostname = starttls, implicit, auth, hostname
        self.smtputf8 = smtputf8  # offer SMTPUTF8 (RFC 6531) in the EHLO answer
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.deliveries: list[Delivery] = []
        self.failed_logins: list[str] = []
        self.connections = 0
        self.quits = 0  # QUIT commands seen (whether answered yet or held)
        self._quit_gate = asyncio.Event()
        self._quit_gate.set()
        self._data_gate = asyncio.Event()
        self._data_gate.set()
        self.host = "127.0.0.1"
        self.port = 0
        self._failures: dict[str, deque[str | None]] = defaultdict(deque)
        self._live: set[_TrackedSMTP] = set()
        self._server: asyncio.Server | None = None

    def fail_next(self, stage: Stage, code: int, message: str, count: int = 1) -> None:
        """Answer the next ``count`` commands at ``stage`` with ``code message``."""
        self._check_stage(stage)
        self._failures[stage].extend([f"{code} {message}"] * count)

    def disconnect_next(self, stage: Stage) -> None:
        """Drop the connection at ``stage`` without a reply ("data": after the final dot)."""
        self._check_stage(stage)
        self._failures[stage].append(None)

    def hold_quit(self) -> None:
        """Leave every QUIT unanswered until release_quit() (the 250 for DATA already went out)."""
        self._quit_gate.clear()

    def release_quit(self) -> None:
        self._quit_gate.set()

    def hold_data(self) -> None:
        """Store each message but hold its 250 until release_data(), as a slow relay does
        between the final dot and its answer: the sender cannot know the mail arrived."""
        self._data_gate.clear()

    def release_data(self) -> None:
        self._data_gate.set()

    @staticmethod
    def _check_stage(stage: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")

    def _take(self, stage: str, server: SMTP | None) -> str | None:
        queue = self._failures[stage]
        if not queue:
            return None
        reply = queue.popleft()
        if reply is None and server is not None and server.transport is not None:
            server.transport.abort()
            return "421 4.4.2 closed"  # never reaches the client: the socket is gone
        return reply

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self.auth is not None:
            login, password = data.login.decode(), data.password.decode()
            if self.auth.get(login) == password:
                return AuthResult(success=True, auth_data=data)
            self.failed_logins.append(login)
        return AuthResult(success=False, handled=False)

    def _protocol(self) -> asyncio.Protocol:
        self.connections += 1
        if self._failures["connect"]:
            return _Refuse(self._failures["connect"].popleft())
        auth = self.auth is not None
        require_tls = self.starttls is not None and self.implicit is None
        with warnings.catch_warnings():
            # aiosmtpd warns about AUTH without STARTTLS; plaintext/SMTPS sinks want exactly that
            warnings.simplefilter("ignore", UserWarning)
            return _TrackedSMTP(
                self,
                _Handler(self),
                hostname=self.hostname,
                enable_SMTPUTF8=self.smtputf8,
                tls_context=self.starttls,
                authenticator=self._authenticate if auth else None,
                auth_required=auth,
                auth_require_tls=require_tls,
                loop=asyncio.get_running_loop(),
            )

    async def start(self) -> SinkServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, 0, ssl=self.implicit)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        live = list(self._live)
        for proto in live:
            for transport in (proto.transport, proto._original_transport):
                if transport is not None:
                    transport.abort()  # the raw one too: a failed STARTTLS leaves it open
        tasks = [p._handler_coroutine for p in live if p._handler_coroutine is not None]
        for task in tasks:
            task.cancel()  # after a failed STARTTLS aiosmtpd never hears connection_lost
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
