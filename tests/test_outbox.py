"""Outbound delivery faults through the real outbox worker: retry, deliver once, or bury."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main as cli_main
from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import build_mail, relay_config, wait_until
from tests.relay.sink import SinkServer
from tests.test_e2e_ai import send


def outgoing(gw: Gateway) -> list[dict]:
    return gw.db.read_sync(lambda c: [dict(r) for r in c.execute("SELECT * FROM outgoing")])


QUESTION = build_mail(subject="Reset", body="How do I reset my password?")


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
async def test_temporary_failures_are_retried_and_delivered_once(
    gw: Gateway, sink: SinkServer, stage: str
) -> None:
    sink.fail_next(stage, 451, "4.3.0 try later", count=2)
    await send(gw, QUESTION)
    await wait_until(lambda: sink.messages)
    await wait_until(lambda: outgoing(gw) and outgoing(gw)[0]["status"] == "sent")
    row = outgoing(gw)[0]
    assert row["attempts"] == 3
    assert len(sink.messages) == 1


async def test_disconnect_after_data_is_retried(gw: Gateway, sink: SinkServer) -> None:
    sink.disconnect_next("data")
    await send(gw, QUESTION)
    await wait_until(lambda: outgoing(gw) and outgoing(gw)[0]["status"] == "sent")
    ids = {m[2].split(b"Message-ID:")[1].split(b"\n")[0] for m in sink.messages}
    assert len(ids) == 1, "the same Message-ID every time"


async def test_permanent_failure_is_dead_visible_and_requeueable(
    gw: Gateway, sink: SinkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sink.fail_next("rcpt", 550, "5.1.1 no such user")
    await send(gw, QUESTION)
    dead = await wait_until(lambda: gw.db.read_sync(
        lambda c: queues.list_jobs(c, statuses=("dead",), queue="outbox")))
    assert outgoing(gw)[0]["status"] == "dead"
    assert len(dead) == 1 and "550" in (dead[0].last_error or "")
    session_id = outgoing(gw)[0]["session_id"]

    def failure_notes() -> list[dict]:
        return [m for m in gw.db.read_sync(lambda c: sessions.session_messages(c, session_id))
                if m["kind"] == "delivery_failure"]

    # The note is written by on_dead, after the job was buried: wait for it, not for time.
    notes = await wait_until(failure_notes)
    assert len(notes) == 1 and "5.1.1" in notes[0]["text"]

    cfg_path = gw.cfg.storage.path.parent / "config.yaml"
    cfg_path.write_text(f"storage:\n  path: {gw.cfg.storage.path}\nhubspot:\n  mode: 'off'\n")
    cli_main(["--config", str(cfg_path), "queue", "list", "--dead"])
    assert "5.1.1" in capsys.readouterr().out
    cli_main(["--config", str(cfg_path), "queue", "requeue", str(dead[0].id)])
    await wait_until(lambda: outgoing(gw)[0]["status"] == "sent", timeout=30)
    assert len(sink.messages) == 1


async def test_relay_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    tmp_path: Path, sink: SinkServer, secrets: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Gateway(relay_config(tmp_path, sink), secrets)
    await gateway.start()
    try:
        sink.fail_next("connect", 421, "4.3.2 shutting down", count=4)
        for n in range(3):
            who = f"c{n}@customer.test"
            raw = build_mail(subject=f"Reset {n}", body="How do I reset my password?", sender=who)
            await send(gateway, raw, sender=who)
        await wait_until(lambda: len(sink.messages) == 3, timeout=30)
        # The sink has a mail before the gateway read its 250 and logged the recovery: wait
        # until the gateway recorded all three as sent (after its log line), not for time.
        await wait_until(lambda: [r["status"] for r in outgoing(gateway)] == ["sent"] * 3,
                         timeout=30)
    finally:
        await gateway.stop()
    started = [r for r in caplog.records if "relay outage started" in r.getMessage()]
    ended = [r for r in caplog.records if "relay outage ended" in r.getMessage()]
    assert len(started) == 1 and started[0].levelname == "ERROR"
    assert len(ended) == 1 and ended[0].levelname == "INFO"
