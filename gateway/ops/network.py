"""Doctor checks over sockets: the SMTP and HTTP listeners, and the outbound relay."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiohttp
import aiosmtplib

from gateway.config import Config, RelayConfig, Secrets, split_hostport
from gateway.ops.checks import Check, fail, ok
from gateway.ops.probes import (
    bind_problem,
    connect_host,
    describe_error,
    http_get,
    local_url,
    smtp_banner,
    writable_dir_problem,
)
from gateway.smtp.relay import map_smtp_error

PROBE_TIMEOUT = 5.0
NOT_RUNNING = (OSError, TimeoutError, aiohttp.ClientError)


@dataclass(frozen=True)
class Listener:
    """A listener's verdict, and whether the running daemon answered there."""

    check: Check
    answering: bool


async def check_smtp_listener(cfg: Config) -> Listener:
    """The daemon answers with our banner, or the port is free to bind."""
    host, port = split_hostport(cfg.smtp.listen)
    name = "smtp.listen"
    if port != 0:
        try:
            banner = await smtp_banner(connect_host(host), port, PROBE_TIMEOUT)
        except NOT_RUNNING:
            banner = None
        if banner is not None:
            if banner.startswith("220") and cfg.smtp.hostname in banner:
                return Listener(ok(name, f"the daemon answers on {host}:{port}: {banner}"), True)
            return Listener(fail(name, f"another program answers on {host}:{port}: {banner!r}",
                                 "stop it, or move smtp.listen (behind Postfix: "
                                 "127.0.0.1:2525, see docs/operations.md)"), False)
    return Listener(_bindable(name, host, port), False)


async def check_http_listener(cfg: Config) -> Listener:
    """GET /healthz answers like the gateway, or the port is free to bind."""
    host, port = split_hostport(cfg.http.listen)
    name = "http.listen"
    if port != 0:
        url = local_url(host, port, "/healthz")
        try:
            answer = await http_get(url, PROBE_TIMEOUT)
        except NOT_RUNNING:
            answer = None
        if answer is not None:
            if answer.healthy:
                return Listener(ok(name, f"the daemon answers on {host}:{port} (GET /healthz)"),
                                True)
            return Listener(fail(name, f"another program answers on {host}:{port} "
                                 f"(GET /healthz: HTTP {answer.status})",
                                 "stop it or move http.listen"), False)
    return Listener(_bindable(name, host, port), False)


def _bindable(name: str, host: str, port: int) -> Check:
    problem = bind_problem(host, port)
    if problem is None:
        if port == 0:
            return ok(name, "the daemon is not running; port 0: it will pick a free port")
        return ok(name, f"the daemon is not running; {host}:{port} is free to bind")
    fix = ("run the daemon through the systemd unit (it grants CAP_NET_BIND_SERVICE) or "
           "listen on a port above 1023" if "CAP_NET_BIND_SERVICE" in problem
           else "stop the other program or change the listen address")
    return fail(name, problem, fix)


async def check_relay(cfg: Config, secrets: Secrets) -> Check:
    """Mode maildir: the directory is writable. Mode smtp: connect, EHLO, STARTTLS, AUTH."""
    out = cfg.outbound
    if out.mode == "maildir":
        where = out.maildir.absolute()
        problem = writable_dir_problem(where)
        if problem:
            return fail("relay", f"maildir {where}: {problem}",
                        "make the directory writable by the service user")
        return ok("relay", f"maildir {where} is writable (mail stays on this machine)")
    return await _check_smtp_relay(out.relay, secrets.get("relay_password"), cfg.smtp.hostname)


async def _check_smtp_relay(relay: RelayConfig, password: str | None, hostname: str) -> Check:
    where = f"relay {relay.host}:{relay.port}"
    if relay.username and not password:
        return fail("relay", f"{where}: outbound.relay.username is {relay.username!r} but "
                    "OPENCX_GATEWAY_RELAY_PASSWORD is not set", _RELAY_FIX["AUTH"])
    try:
        context = _tls_context(relay)
    except (OSError, ssl.SSLError) as exc:
        return fail("relay", f"outbound.relay.ca_file: cannot load {relay.ca_file}: "
                    f"{describe_error(exc)}", _RELAY_FIX["TLS"])
    passed: list[str] = []
    try:
        await _relay_session(relay, password, hostname, context, passed)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        stage = "TLS" if isinstance(exc, ssl.SSLError) else _RELAY_STEPS[len(passed)]
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            detail = str(map_smtp_error(exc, where))
        else:
            detail = f"{where}: {stage} failed: {describe_error(exc)}"
        return fail("relay", detail, _RELAY_FIX[stage])
    return ok("relay", f"{where}: {', '.join(passed)} ok")


_RELAY_STEPS = ("connect", "EHLO", "TLS", "AUTH", "QUIT", "QUIT")
_TLS_LABEL = {"none": "no TLS", "starttls": "STARTTLS", "implicit": "implicit TLS"}


async def _relay_session(relay: RelayConfig, password: str | None, hostname: str,
                         context: ssl.SSLContext | None, passed: list[str]) -> None:
    """What SmtpRelay does before MAIL FROM, then QUIT; ``passed`` collects the steps done."""
    client = aiosmtplib.SMTP(hostname=relay.host, port=relay.port, local_hostname=hostname,
                             timeout=min(relay.timeout, PROBE_TIMEOUT * 2),
                             use_tls=relay.tls == "implicit", start_tls=False,
                             tls_context=context)
    try:
        await client.connect()
        passed.append("connect")
        await client.ehlo()
        passed.append("EHLO")
        if relay.tls == "starttls":
            await client.starttls(tls_context=context)
        passed.append(_TLS_LABEL[relay.tls])
        if relay.username and password:
            await client.login(relay.username, password)
        passed.append("AUTH" if relay.username else "no AUTH")
        await client.quit()
    finally:
        client.close()


def _tls_context(relay: RelayConfig) -> ssl.SSLContext | None:
    """The context the relay uses: system CAs or outbound.relay.ca_file."""
    if relay.tls == "none":
        return None
    return ssl.create_default_context(cafile=str(relay.ca_file) if relay.ca_file else None)


_RELAY_FIX = {
    "connect": "check outbound.relay.host/port and that the relay runs and accepts "
               "connections from this host; meanwhile replies wait in the outbox and retry",
    "EHLO": "the relay refused our EHLO: read its answer above and its logs",
    "TLS": "check outbound.relay.tls (none|starttls|implicit) and outbound.relay.ca_file",
    "AUTH": "check outbound.relay.username and OPENCX_GATEWAY_RELAY_PASSWORD",
    "QUIT": "the relay hung up at QUIT; read its logs",
}
