"""SmtpRelay over real SMTP to the in-process sink: delivery, TLS, AUTH and failure mapping."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.policy import default as default_policy

import pytest

from gateway.config import OutboundConfig, RelayConfig, Secrets
from gateway.errors import ConfigError, PermanentFailure, TemporaryFailure
from gateway.mime import MailHeaderError, OutgoingMail, build_message
from gateway.render import RenderedBody
from gateway.smtp.relay import (
    RelayPermanentFailure,
    RelayTemporaryFailure,
    SmtpRelay,
    build_relay,
)

from .conftest import TlsFiles
from .sink import SinkServer

FROM = "support@acme.test"
TO = "jane@customer.test"


def raw_message(message_id: str = "r1@gw.test") -> bytes:
    mail = OutgoingMail(
        from_addr=FROM, from_name="ACME Support", to_addr=TO, to_name="Jane",
        reply_to=None, subject="Re: order", message_id=message_id,
        in_reply_to="c1@customer.test", references=("c1@customer.test",), auto_submitted=True,
    )  # fmt: skip
    body = RenderedBody(html="<p>Hello</p>\n.\n<p>dot line above</p>", text="Hello\n.\nend\n")
    return build_message(mail, body, date=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))


def relay_for(server: SinkServer, **kw: object) -> SmtpRelay:
    password = kw.pop("password", None)
    cfg = RelayConfig(host="127.0.0.1", port=server.port, timeout=5.0, **kw)  # type: ignore[arg-type]
    return SmtpRelay(cfg, password, "gw.test")  # type: ignore[arg-type]


async def test_delivers_exact_bytes(sink: SinkServer) -> None:
    raw = raw_message()
    result = await relay_for(sink).send(FROM, TO, raw)
    assert "250" in result and "queued as sink1" in result
    assert len(sink.messages) == 1
    mail_from, rcpts, got = sink.messages[0]
    assert (mail_from, rcpts) == (FROM, [TO])
    assert got.rstrip(b"\r\n") == raw.rstrip(b"\r\n")  # dot-stuffing undone, CRLF kept
    parsed = email.message_from_bytes(got, policy=default_policy)
    assert parsed["Message-ID"] == "<r1@gw.test>"
    assert sink.deliveries[0].tls is False


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
async def test_4xx_is_temporary(sink: SinkServer, stage: str) -> None:
    sink.fail_next(stage, 451, "4.3.0 try again later")  # type: ignore[arg-type]
    with pytest.raises(RelayTemporaryFailure) as caught:
        await relay_for(sink).send(FROM, TO, raw_message())
    assert caught.value.code == 451 and caught.value.stage == stage
    assert isinstance(caught.value, TemporaryFailure)
    assert sink.messages == []
    await relay_for(sink).send(FROM, TO, raw_message())  # the failure was one-shot
    assert len(sink.messages) == 1


@pytest.mark.parametrize(("stage", "code"), [("mail", 553), ("rcpt", 550), ("data", 554)])
async def test_5xx_is_permanent_with_server_words(sink: SinkServer, stage: str, code: int) -> None:
    sink.fail_next(stage, code, "5.1.1 mailbox unavailable")  # type: ignore[arg-type]
    with pytest.raises(RelayPermanentFailure) as caught:
        await relay_for(sink).send(FROM, TO, raw_message())
    failure = caught.value
    assert isinstance(failure, PermanentFailure)
    assert (failure.stage, failure.code) == (stage, code)
    assert failure.reply == "5.1.1 mailbox unavailable"
    assert f"{code} 5.1.1 mailbox unavailable" in str(failure)
    assert sink.messages == []


async def test_fail_next_count_repeats(sink: SinkServer) -> None:
    sink.fail_next("rcpt", 452, "4.2.2 mailbox full", count=2)
    for _ in range(2):
        with pytest.raises(RelayTemporaryFailure):
            await relay_for(sink).send(FROM, TO, raw_message())
    await relay_for(sink).send(FROM, TO, raw_message())
    assert len(sink.messages) == 1


@pytest.mark.parametrize("stage", ["connect", "mail", "rcpt", "data"])
async def test_disconnect_is_temporary(sink: SinkServer, stage: str) -> None:
    sink.disconnect_next(stage)  # type: ignore[arg-type]
    with pytest.raises(RelayTemporaryFailure):
        await relay_for(sink).send(FROM, TO, raw_message())
    assert sink.messages == []


@pytest.mark.parametrize(("code", "kind"), [(421, TemporaryFailure), (554, PermanentFailure)])
async def test_greeting_refusal(sink: SinkServer, code: int, kind: type[Exception]) -> None:
    sink.fail_next("connect", code, "sink.test service not available")
    with pytest.raises(kind) as caught:
        await relay_for(sink).send(FROM, TO, raw_message())
    assert caught.value.stage == "connect"  # type: ignore[attr-defined]


async def test_connection_refused_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=port, timeout=2.0), None, "gw.test")
    with pytest.raises(RelayTemporaryFailure, match="connection failed"):
        await relay.send(FROM, TO, raw_message())


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never says anything (a hung relay)."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    for writer in writers:
        writer.close()
    await server.wait_closed()


async def test_silent_relay_times_out(silent_server: int) -> None:
    relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=silent_server, timeout=0.3), None, "gw")
    with pytest.raises(RelayTemporaryFailure, match="timed out"):
        await relay.send(FROM, TO, raw_message())


async def test_injection_in_envelope_is_refused_before_connecting(sink: SinkServer) -> None:
    for rcpt in (f"{TO}\r\nRCPT TO:<evil@x.test>", f"{TO}>\nDATA", "jane@customer.test\x00"):
        with pytest.raises(MailHeaderError):
            await relay_for(sink).send(FROM, rcpt, raw_message())
    with pytest.raises(MailHeaderError):
        await relay_for(sink).send(f"{FROM}\r\nRSET", TO, raw_message())
    assert sink.connections == 0 and sink.messages == []


async def test_starttls_with_self_signed_cert(tls_files: TlsFiles) -> None:
    server = await SinkServer(starttls=tls_files.server_context()).start()
    try:
        relay = relay_for(server, tls="starttls", ca_file=tls_files.cert)
        await relay.send(FROM, TO, raw_message())
        assert server.deliveries[0].tls is True
    finally:
        await server.stop()


async def test_starttls_untrusted_cert_is_temporary(tls_files: TlsFiles) -> None:
    server = await SinkServer(starttls=tls_files.server_context()).start()
    try:
        with pytest.raises(RelayTemporaryFailure):
            await relay_for(server, tls="starttls").send(FROM, TO, raw_message())
        assert server.messages == []
    finally:
        await server.stop()


async def test_starttls_required_but_not_offered(sink: SinkServer) -> None:
    with pytest.raises(RelayTemporaryFailure):
        await relay_for(sink, tls="starttls").send(FROM, TO, raw_message())
    assert sink.messages == []


async def test_tls_none_never_upgrades(tls_files: TlsFiles) -> None:
    server = await SinkServer(starttls=tls_files.server_context()).start()
    try:
        await relay_for(server, tls="none").send(FROM, TO, raw_message())
        assert server.deliveries[0].tls is False
    finally:
        await server.stop()


async def test_implicit_tls(tls_files: TlsFiles) -> None:
    server = await SinkServer(implicit=tls_files.server_context()).start()
    try:
        relay = relay_for(server, tls="implicit", ca_file=tls_files.cert)
        await relay.send(FROM, TO, raw_message())
        assert server.deliveries[0].tls is True
    finally:
        await server.stop()


async def test_auth_with_password_from_environment(tls_files: TlsFiles) -> None:
    server = await SinkServer(starttls=tls_files.server_context(), auth={"gw": "s3cret"}).start()
    try:
        secrets = Secrets.from_env({"OPENCX_GATEWAY_RELAY_PASSWORD": "s3cret"})
        cfg = OutboundConfig(
            mode="smtp",
            relay=RelayConfig(
                host="127.0.0.1", port=server.port, tls="starttls", username="gw",
                ca_file=tls_files.cert, timeout=5.0,
            ),
        )  # fmt: skip
        relay = build_relay(cfg, secrets, "gw.test")
        assert isinstance(relay, SmtpRelay)
        await relay.send(FROM, TO, raw_message())
        assert server.deliveries[0].login == "gw" and server.deliveries[0].tls is True
    finally:
        await server.stop()


async def test_auth_wrong_password_is_retried_not_buried() -> None:
    server = await SinkServer(auth={"gw": "s3cret"}).start()
    try:
        relay = relay_for(server, username="gw", password="wrong")
        with pytest.raises(RelayTemporaryFailure) as caught:
            await relay.send(FROM, TO, raw_message())
        assert caught.value.stage == "auth" and caught.value.code == 535
        assert set(server.failed_logins) == {"gw"} and server.messages == []  # PLAIN, LOGIN
    finally:
        await server.stop()


async def test_auth_required_but_not_configured_is_permanent() -> None:
    server = await SinkServer(auth={"gw": "s3cret"}).start()
    try:
        with pytest.raises(RelayPermanentFailure) as caught:
            await relay_for(server).send(FROM, TO, raw_message())
        assert caught.value.code == 530 and caught.value.stage == "mail"
    finally:
        await server.stop()


def test_username_without_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENCX_GATEWAY_RELAY_PASSWORD"):
        build_relay(
            OutboundConfig(mode="smtp", relay=RelayConfig(username="gw")), Secrets(), "gw.test"
        )


async def test_before_data_runs_once_the_envelope_is_taken(sink: SinkServer) -> None:
    """The hook marks the start of the window in which the relay may hold the mail."""
    seen: list[int] = []

    async def before_data() -> None:
        seen.append(len(sink.messages))

    await relay_for(sink).send(FROM, TO, raw_message(), before_data=before_data)
    assert seen == [0] and len(sink.messages) == 1  # called before DATA, exactly once
    sink.fail_next("rcpt", 550, "5.1.1 no such user")
    with pytest.raises(RelayPermanentFailure):
        await relay_for(sink).send(FROM, TO, raw_message("r2@gw.test"), before_data=before_data)
    assert seen == [0]  # a refused envelope never reaches DATA: nothing to be unsure of
