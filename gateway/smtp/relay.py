"""Hand finished mail to the upstream relay (aiosmtplib) or a local Maildir; map failures."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mailbox
import os
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Protocol

import aiosmtplib
from aiosmtplib.protocol import normalize_message_line_endings

from gateway.config import OutboundConfig, RelayConfig, Secrets
from gateway.errors import ConfigError, PermanentFailure, TemporaryFailure
from gateway.mime import MailHeaderError, check_address, needs_smtputf8
from gateway.private import private_dir, tighten

log = logging.getLogger(__name__)


# Called with the relay's answer as soon as the message is accepted, before the session ends:
# the caller records "sent" there, so a crash during QUIT cannot make it send the mail again.
Accepted = Callable[[str], Awaitable[None]]
# Called once the relay has taken the envelope, just before DATA: from here until ``Accepted``
# the relay may hold the mail without us knowing, which is what a crash leaves uncertain.
BeforeData = Callable[[], Awaitable[None]]


class Relay(Protocol):
    """Something that takes one message for one recipient and accepts or raises."""

    async def send(self, mail_from: str, rcpt_to: str, raw: bytes,
                   on_accepted: Accepted | None = None,
                   before_data: BeforeData | None = None) -> str:
        """Deliver; return a log line. Raise TemporaryFailure or PermanentFailure."""
        ...


class RelayTemporaryFailure(TemporaryFailure):
    """The relay was unreachable, timed out, hung up, or answered 4xx; retry later."""

    def __init__(self, message: str, *, stage: str, code: int | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.code = code


class SmtpUtf8Unsupported(PermanentFailure):
    """The recipient's address is not ASCII and the relay does not offer SMTPUTF8."""


class RelayPermanentFailure(PermanentFailure):
    """The relay answered 5xx: ``code`` and ``reply`` are the server's own words."""

    def __init__(self, message: str, *, stage: str, code: int, reply: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.code = code
        self.reply = reply


def _stage_of(exc: aiosmtplib.SMTPResponseException) -> str:
    kinds: tuple[tuple[type[Exception], str], ...] = (
        (aiosmtplib.SMTPConnectResponseError, "connect"),
        (aiosmtplib.SMTPHeloError, "ehlo"),
        (aiosmtplib.SMTPAuthenticationError, "auth"),
        (aiosmtplib.SMTPSenderRefused, "mail"),
        (aiosmtplib.SMTPRecipientRefused, "rcpt"),
        (aiosmtplib.SMTPDataError, "data"),
    )
    return next((stage for kind, stage in kinds if isinstance(exc, kind)), "command")


def map_smtp_error(exc: Exception, where: str) -> TemporaryFailure | PermanentFailure:
    """Translate an aiosmtplib/OS/TLS error into the worker's retry-or-bury vocabulary."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        stage, code, reply = _stage_of(exc), exc.code, exc.message
        text = f"{where}: {stage} refused: {code} {reply}"
        # Like Postfix's smtp_sasl_auth_soft_bounce: a rejected login is our configuration,
        # not the message's fault, so it is retried rather than buried.
        if 400 <= code < 500 or stage == "auth":
            return RelayTemporaryFailure(text, stage=stage, code=code)
        return RelayPermanentFailure(text, stage=stage, code=code, reply=reply)
    if isinstance(exc, ssl.SSLError):
        return RelayTemporaryFailure(f"{where}: TLS failed: {exc}", stage="tls")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return RelayTemporaryFailure(f"{where}: relay lacks a feature: {exc}", stage="ehlo")
    kind = "timed out" if isinstance(exc, TimeoutError) else "connection failed"
    return RelayTemporaryFailure(f"{where}: {kind}: {exc}", stage="connect")


REUSE_TIME_LIMIT = 300.0  # seconds a kept-open connection serves mail (Postfix's default)


@dataclass
class _Idle:
    """A kept-open connection between two mails, and the timer that closes it."""

    client: aiosmtplib.SMTP
    opened: float  # time.monotonic() at connect
    timer: asyncio.TimerHandle | None = None


class SmtpRelay:
    """Mail to the configured relay: TLS mode, AUTH, per-command timeout, kept-open connections.

    After a mail the relay accepted, its connection waits ``keepalive_seconds`` for the next one
    (at most ``pool_size`` wait; 0 seconds: one connection per mail, QUIT after each). Any error
    or unexpected reply discards the connection; a kept-open one the relay closed meanwhile
    (EOF or 421 before DATA) is replaced by a fresh one once, within the same send.
    """

    def __init__(self, cfg: RelayConfig, password: str | None, hostname: str, *,
                 pool_size: int = 4) -> None:
        if cfg.username and not password:
            raise ConfigError(
                "outbound.relay.username is set but OPENCX_GATEWAY_RELAY_PASSWORD is empty"
            )
        self.cfg = cfg
        self._password = password
        self.hostname = hostname
        self.where = f"relay {cfg.host}:{cfg.port}"
        self._tls_context = self._make_tls_context(cfg)
        self.pool_size = max(pool_size, 0) if cfg.keepalive_seconds > 0 else 0
        self._idle: list[_Idle] = []  # the most recently used last
        self._quitting: set[asyncio.Task[None]] = set()
        self._closed = False
        self.opened = 0  # connections opened, and mails sent on a kept-open one
        self.reused = 0

    @staticmethod
    def _make_tls_context(cfg: RelayConfig) -> ssl.SSLContext | None:
        if cfg.tls == "none":
            return None
        cafile = str(cfg.ca_file) if cfg.ca_file else None
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"outbound.relay.ca_file: cannot load {cafile}: {exc}") from None

    def _client(self) -> aiosmtplib.SMTP:
        cfg = self.cfg
        return aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            local_hostname=self.hostname,
            timeout=cfg.timeout,
            use_tls=cfg.tls == "implicit",
            start_tls=cfg.tls == "starttls",
            tls_context=self._tls_context,
            username=cfg.username,
            password=self._password if cfg.username else None,
        )

    async def send(self, mail_from: str, rcpt_to: str, raw: bytes,
                   on_accepted: Accepted | None = None,
                   before_data: BeforeData | None = None) -> str:
        """(Connect, STARTTLS, AUTH,) MAIL/RCPT/DATA, record, then keep the connection or QUIT.

        ``before_data`` runs after RCPT is accepted, ``on_accepted`` on the 250 for DATA,
        before the connection is kept or QUIT: between the two, a crash leaves it unknown
        whether the relay took the mail (docs/replies.md says what the outbox then does).
        """
        sender, recipient = _envelope(mail_from, rcpt_to)
        utf8 = needs_smtputf8(sender + recipient) or not raw.partition(b"\r\n\r\n")[0].isascii()
        hook_ran = False

        async def hook() -> None:
            nonlocal hook_ran
            hook_ran = True
            if before_data is not None:
                await before_data()

        kept = self._take_idle()
        reply = None
        if kept is not None:
            reply = await self._attempt(kept, (sender, recipient, raw, utf8), hook,
                                        replaceable=lambda: not hook_ran)
            self.reused += reply is not None
        if reply is None:  # no kept connection, or the relay had closed it: a fresh one
            kept = _Idle(self._client(), time.monotonic())
            reply = await self._attempt(kept, (sender, recipient, raw, utf8), hook)
        assert kept is not None
        response = f"{self.where}: 250 {reply}"
        reusable = False
        try:
            if on_accepted is not None:
                await on_accepted(response)
            reusable = True
        finally:
            await self._release(kept, reusable)
        log.info("relay accepted rcpt_domain=%s reply=%s", _domain(recipient), reply)
        return response

    async def _attempt(self, kept: _Idle, mail: tuple[str, str, bytes, bool], hook: BeforeData,
                       replaceable: Callable[[], bool] | None = None) -> str | None:
        """One transaction on ``kept`` (connecting it when new); None when ``replaceable``
        says a hang-up of this kept-open connection is to be retried on a fresh one."""
        sender, recipient, raw, utf8 = mail
        try:
            if replaceable is None:
                await kept.client.connect()
                self.opened += 1
            return await _transaction(kept.client, sender, recipient, raw, utf8, hook)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            kept.client.close()  # never reused in an unknown state
            if replaceable is None or not replaceable() or not _hung_up(exc):
                raise self._failure(exc, utf8, recipient) from exc
            log.info("relay closed a kept-open connection (%s): opening a new one", exc)
            return None
        except BaseException:  # cancelled mid-command: the connection's state is unknown
            kept.client.close()
            raise

    def _failure(self, exc: Exception, utf8: bool,
                 recipient: str) -> TemporaryFailure | PermanentFailure:
        if isinstance(exc, aiosmtplib.SMTPNotSupported) and utf8 and "SMTPUTF8" in str(exc):
            return SmtpUtf8Unsupported(
                f"{self.where} does not offer SMTPUTF8, needed for {recipient}")
        failure = map_smtp_error(exc, self.where)
        if not isinstance(exc, aiosmtplib.SMTPNotSupported):
            log.warning("relay failed rcpt_domain=%s error=%s", _domain(recipient), failure)
        return failure

    # -- kept-open connections ----------------------------------------------------------
    def _take_idle(self) -> _Idle | None:
        """The most recently used connection still open (the others expire first)."""
        while self._idle:
            kept = self._idle.pop()
            if kept.timer is not None:
                kept.timer.cancel()
            if kept.client.is_connected:
                return kept
            kept.client.close()
        return None

    async def _release(self, kept: _Idle, reusable: bool) -> None:
        """Keep the connection for the next mail, or QUIT (failures ignored)."""
        young = time.monotonic() - kept.opened < REUSE_TIME_LIMIT
        if (reusable and young and not self._closed and kept.client.is_connected
                and len(self._idle) < self.pool_size):
            kept.timer = asyncio.get_running_loop().call_later(
                self.cfg.keepalive_seconds, self._expire, kept)
            self._idle.append(kept)
            return
        await _quit_quietly(kept.client)

    def _expire(self, kept: _Idle) -> None:
        if kept in self._idle:
            self._idle.remove(kept)
            task = asyncio.get_running_loop().create_task(_quit_quietly(kept.client))
            self._quitting.add(task)
            task.add_done_callback(self._quitting.discard)

    async def close(self, timeout: float = 5.0) -> None:
        """QUIT every kept-open connection (at shutdown); later mails get QUIT right away."""
        self._closed = True
        idle, self._idle = self._idle, []
        for kept in idle:
            if kept.timer is not None:
                kept.timer.cancel()
        tasks = {*self._quitting,
                 *(asyncio.create_task(_quit_quietly(k.client)) for k in idle)}
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for kept in idle:
            kept.client.close()


def _hung_up(exc: Exception) -> bool:
    """The relay closed the connection (EOF, reset, or 421: "closing transmission channel")."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code == 421
    return isinstance(exc, ConnectionError)


async def _transaction(client: aiosmtplib.SMTP, sender: str, recipient: str, raw: bytes,
                       utf8: bool, before_data: BeforeData | None) -> str:
    """MAIL, RCPT, (the hook,) DATA on a connected client: ``sendmail`` with a pause before DATA."""
    if client.last_ehlo_response is None and client.last_helo_response is None:
        await client.ehlo()
    if utf8 and not client.supports_extension("smtputf8"):
        raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
    options = ["SMTPUTF8"] if utf8 else []
    if client.supports_extension("size"):  # RFC 1870: the octets as DATA sends them
        options.insert(0, f"size={len(normalize_message_line_endings(raw))}")
    encoding = "utf-8" if utf8 else "ascii"
    await client.mail(sender, options=options, encoding=encoding)
    await client.rcpt(recipient, encoding=encoding)
    if before_data is not None:
        await before_data()
    return (await client.data(raw)).message


async def _quit_quietly(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        client.close()


def _envelope(mail_from: str, rcpt_to: str) -> tuple[str, str]:
    sender = check_address(mail_from, "envelope sender", utf8=True) if mail_from else ""
    return sender, check_address(rcpt_to, "envelope recipient", utf8=True)


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


class MaildirRelay:
    """Local delivery for development: one file per Message-ID in a Maildir's new/."""

    INDEX_DIR = ".opencx-sent"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        private_dir(self.path.parent)
        self._box = mailbox.Maildir(self.path, create=True)  # its folders are 0700
        self._index = self.path / self.INDEX_DIR
        private_dir(self._index)

    async def send(self, mail_from: str, rcpt_to: str, raw: bytes,
                   on_accepted: Accepted | None = None,
                   before_data: BeforeData | None = None) -> str:
        """Store once; a repeat of the same Message-ID returns the first file's key."""
        sender, recipient = _envelope(mail_from, rcpt_to)
        if before_data is not None:
            await before_data()
        response = await asyncio.to_thread(self._deliver, sender, recipient, raw)
        if on_accepted is not None:
            await on_accepted(response)
        return response

    def _deliver(self, sender: str, recipient: str, raw: bytes) -> str:
        ident = _identity(raw)
        marker = self._index / hashlib.sha256(ident.encode()).hexdigest()
        with self._lock:
            key = self._existing_key(marker, ident)
            if key is not None:
                return f"maildir {self.path}: duplicate of {key}"
            _write_atomic(marker, "")  # "in progress": a crash now is resolved by a scan
            data = _local_delivery_headers(sender, recipient) + raw.replace(b"\r\n", b"\n")
            key = self._box.add(data)
            tighten(self.path / "new" / key)  # mailbox creates it 0666 minus the umask
            _write_atomic(marker, key)
        log.info("maildir delivered key=%s", key)
        return f"maildir {self.path}: new/{key}"

    def _existing_key(self, marker: Path, ident: str) -> str | None:
        try:
            key = marker.read_text().strip()
        except FileNotFoundError:
            return None
        if key and key in self._box:
            return key
        found = self._scan(ident)  # marker written but the crash came before its key
        if found:
            _write_atomic(marker, found)
        return found

    def _scan(self, ident: str) -> str | None:
        for key in self._box.iterkeys():
            try:
                with self._box.get_file(key) as fh:
                    headers = BytesHeaderParser(policy=compat32).parse(fh)
            except FileNotFoundError:
                continue
            if _header_id(headers.get("Message-ID")) == ident:
                return key
        return None


def _header_id(value: object) -> str | None:
    return str(value).strip().strip("<>").strip() if value else None


def _identity(raw: bytes) -> str:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return _header_id(headers.get("Message-ID")) or "sha256:" + hashlib.sha256(raw).hexdigest()


def _local_delivery_headers(sender: str, recipient: str) -> bytes:
    return f"Return-Path: <{sender}>\nDelivered-To: {recipient}\n".encode()  # UTF-8: RFC 6532


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
              encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


LOOPBACK_HEADER = "X-OpenCX-Looped-Back"  # says which verification label applies


class LoopbackRelay:
    """Maildir mode: mail for our own addresses goes into our own SMTP listener, not the box.

    Without an outbound relay, the forwarding test mail (to a forward target such as
    ``support+example.com@<hostname>``) would sit in the Maildir and never come back; handed
    to the listener it takes the same path as mail arriving through a forward.
    """

    def __init__(self, inner: Relay, own: Collection[str],
                 listener: Callable[[], tuple[str, int] | None], hostname: str) -> None:
        self.inner = inner
        self.own = {a.lower() for a in own}
        self.listener = listener
        self.hostname = hostname

    async def send(self, mail_from: str, rcpt_to: str, raw: bytes,
                   on_accepted: Accepted | None = None,
                   before_data: BeforeData | None = None) -> str:
        if rcpt_to.lower() not in self.own:
            return await self.inner.send(mail_from, rcpt_to, raw, on_accepted, before_data)
        address = self.listener()
        if address is None:
            raise RelayTemporaryFailure("own SMTP listener not started yet", stage="connect")
        host, port = address
        host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        loop = SmtpRelay(RelayConfig(host=host, port=port, tls="none", timeout=30,
                                     keepalive_seconds=0), None, self.hostname)
        loop.where = f"own listener {host}:{port} (looped back)"
        marked = f"{LOOPBACK_HEADER}: {self.hostname}\r\n".encode() + raw
        return await loop.send(mail_from, rcpt_to, marked, on_accepted, before_data)


def build_relay(cfg: OutboundConfig, secrets: Secrets, hostname: str, *,
                own: Collection[str] = (),
                listener: Callable[[], tuple[str, int] | None] | None = None,
                pool_size: int = 4) -> Relay:
    """The relay chosen by ``outbound.mode``; the password comes from the environment.

    In Maildir mode, with ``listener``, mail to ``own`` addresses is looped back locally.
    ``pool_size``: kept-open relay connections at most (the outbox's concurrency).
    """
    if cfg.mode == "maildir":
        box = MaildirRelay(cfg.maildir)
        return LoopbackRelay(box, own, listener, hostname) if listener else box
    return SmtpRelay(cfg.relay, secrets.get("relay_password"), hostname, pool_size=pool_size)


__all__ = [
    "Accepted",
    "BeforeData",
    "LoopbackRelay",
    "MailHeaderError",
    "MaildirRelay",
    "Relay",
    "RelayPermanentFailure",
    "RelayTemporaryFailure",
    "SmtpRelay",
    "SmtpUtf8Unsupported",
    "build_relay",
    "map_smtp_error",
]
