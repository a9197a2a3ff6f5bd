"""Kept-open relay connections against the real aiosmtpd sink: reuse, expiry, errors, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.config import RelayConfig, Secrets
from gateway.daemon import Gateway
from gateway.smtp.relay import RelayPermanentFailure, RelayTemporaryFailure, SmtpRelay
from tests.conftest import build_mail, relay_config, wait_until
from tests.test_e2e_ai import send

from .sink import SinkServer
from .test_smtp_relay import FROM, TO, raw_message


@pytest.fixture
async def relays() -> AsyncIterator[list[SmtpRelay]]:
    made: list[SmtpRelay] = []
    yield made
    for relay in made:
        await relay.close()


def pooled(sink: SinkServer, relays: list[SmtpRelay], *, keepalive: float = 30.0,
           pool_size: int = 4) -> SmtpRelay:
    cfg = RelayConfig(host="127.0.0.1", port=sink.port, timeout=5.0, keepalive_seconds=keepalive)
    relay = SmtpRelay(cfg, None, "gw.test", pool_size=pool_size)
    relays.append(relay)
    return relay


async def send_n(relay: SmtpRelay, n: int, first: int = 0) -> None:
    for k in range(first, first + n):
        await relay.send(FROM, TO, raw_message(f"r{k}@gw.test"))


async def test_one_connection_serves_mail_after_mail(sink: SinkServer,
                                                     relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays)
    await send_n(relay, 3)
    assert len(sink.messages) == 3
    assert (sink.connections, sink.quits) == (1, 0)
    assert (relay.opened, relay.reused) == (1, 2)


async def test_keepalive_zero_is_one_connection_and_quit_per_mail(
        sink: SinkServer, relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays, keepalive=0)
    await send_n(relay, 3)
    assert (sink.connections, sink.quits, len(sink.messages)) == (3, 3, 3)


async def test_shutdown_quits_kept_connections(sink: SinkServer) -> None:
    relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=sink.port, timeout=5.0),
                      None, "gw.test")  # the default keepalive
    await send_n(relay, 2)
    assert sink.quits == 0
    await relay.close()
    assert sink.quits == 1
    await send_n(relay, 1, first=2)  # still works after close, one connection per mail
    assert (sink.connections, sink.quits, len(sink.messages)) == (2, 2, 3)


async def test_an_idle_connection_is_quit_after_keepalive(sink: SinkServer,
                                                          relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays, keepalive=0.2)
    await send_n(relay, 1)
    await wait_until(lambda: sink.quits == 1)
    await send_n(relay, 1, first=1)
    assert (sink.connections, relay.reused) == (2, 0)


async def test_a_connection_the_relay_dropped_while_idle_is_replaced(
        sink: SinkServer, relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays)
    await send_n(relay, 1)
    for proto in list(sink._live):  # the relay's idle timeout: it hangs up without a word
        assert proto.transport is not None
        proto.transport.close()
    await wait_until(lambda: not sink._live)
    await send_n(relay, 1, first=1)
    assert (len(sink.messages), sink.connections) == (2, 2)


@pytest.mark.parametrize("how", ["421", "eof"])
@pytest.mark.parametrize("stage", ["mail", "rcpt"])
async def test_a_kept_connection_refused_before_data_is_retried_once_on_a_new_one(
        sink: SinkServer, relays: list[SmtpRelay], how: str, stage: str) -> None:
    """421 (or a hang-up) on a reused connection: the mail goes on a fresh one, no failure."""
    relay = pooled(sink, relays)
    await send_n(relay, 1)
    if how == "421":
        sink.fail_next(stage, 421, "4.7.0 too many messages on this connection")  # type: ignore[arg-type]
    else:
        sink.disconnect_next(stage)  # type: ignore[arg-type]
    hooks: list[str] = []

    async def before_data() -> None:
        hooks.append("before_data")

    async def accepted(response: str) -> None:
        hooks.append("accepted")

    await relay.send(FROM, TO, raw_message("r1@gw.test"), on_accepted=accepted,
                     before_data=before_data)
    assert hooks == ["before_data", "accepted"]
    assert (len(sink.messages), sink.connections) == (2, 2)


async def test_only_one_retry_a_fresh_connection_refused_too_fails(
        sink: SinkServer, relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays)
    await send_n(relay, 1)
    sink.fail_next("mail", 421, "4.3.2 shutting down", count=2)
    with pytest.raises(RelayTemporaryFailure) as caught:
        await send_n(relay, 1, first=1)
    assert caught.value.code == 421
    assert sink.connections == 2


async def test_a_hang_up_after_the_hook_is_not_retried(sink: SinkServer,
                                                       relays: list[SmtpRelay]) -> None:
    """Once DATA may have reached the relay, only the outbox decides about sending again."""
    relay = pooled(sink, relays)
    await send_n(relay, 1)
    sink.disconnect_next("data")
    hooks: list[str] = []

    async def before_data() -> None:
        hooks.append("before_data")

    with pytest.raises(RelayTemporaryFailure):
        await relay.send(FROM, TO, raw_message("r1@gw.test"), before_data=before_data)
    assert hooks == ["before_data"] and sink.connections == 1


@pytest.mark.parametrize(("code", "kind"), [(451, RelayTemporaryFailure),
                                            (550, RelayPermanentFailure)])
async def test_an_error_discards_the_connection(sink: SinkServer, relays: list[SmtpRelay],
                                                code: int, kind: type[Exception]) -> None:
    relay = pooled(sink, relays)
    await send_n(relay, 1)
    sink.fail_next("rcpt", code, "no")
    with pytest.raises(kind):
        await send_n(relay, 1, first=1)  # on the kept connection, which is then dropped
    await send_n(relay, 1, first=2)
    assert (len(sink.messages), sink.connections) == (2, 2)


async def test_a_failing_on_accepted_does_not_keep_the_connection(
        sink: SinkServer, relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays)

    async def accepted(response: str) -> None:
        raise RuntimeError("commit failed")

    with pytest.raises(RuntimeError):
        await relay.send(FROM, TO, raw_message(), on_accepted=accepted)
    assert sink.quits == 1
    await send_n(relay, 1, first=1)
    assert sink.connections == 2


async def test_at_most_pool_size_connections_are_kept(sink: SinkServer,
                                                      relays: list[SmtpRelay]) -> None:
    relay = pooled(sink, relays, pool_size=2)
    await asyncio.gather(*(relay.send(FROM, TO, raw_message(f"c{k}@gw.test")) for k in range(5)))
    assert len(sink.messages) == 5
    assert sink.quits == sink.connections - 2  # the others said goodbye at once
    opened = sink.connections
    await asyncio.gather(*(relay.send(FROM, TO, raw_message(f"d{k}@gw.test")) for k in range(2)))
    assert sink.connections == opened


async def test_the_daemon_reuses_its_relay_connection_and_quits_it_at_stop(
        tmp_path: Path, sink: SinkServer, secrets: Secrets) -> None:
    gw = Gateway(relay_config(tmp_path, sink), secrets)
    await gw.start()
    try:
        for k in range(2):
            sender = f"c{k}@customer.test"
            await send(gw, build_mail(sender=sender, subject=f"Reset {k}"), sender=sender)
            await wait_until(lambda k=k: len(sink.messages) == k + 1, timeout=20)
        assert (sink.connections, sink.quits) == (1, 0)
    finally:
        await gw.stop()
    assert sink.quits == 1
