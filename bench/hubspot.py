"""HubSpot: API calls per handoff (new contact, existing contact, append) and rep reply latency
(webhook received -> email accepted by the relay), against the embedded emulator.

Usage: .venv/bin/python -m bench.hubspot [--replies N]
The gateway runs in this process (real SMTP in, HTTP webhooks, `outbound.mode: smtp` to an
aiosmtpd sink here). Calls are counted from the emulator's request log, so they include the
webhook worker's calls and any retries; the minimum is what the saga needs when nothing is
known yet and nothing fails.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.common import percentile
from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from gateway.storage import hubspot as hs
from gateway.storage import queues, sessions

SUPPORT = "support@bench.test"
QUEUES = ("process", "agent", "outbox", "hubspot", "webhook")
EXPECTED = {  # channel mode, one customer turn, nothing failing
    "new contact": "6 + 1 per transcript turn: contact get+create, ticket, publish, link, "
                   "note, comment",
    "existing contact": "6 + 1 per turn + 1 per associated ticket (up to 5): contact get, "
                        "association scan, ticket, publish, link, note, comment",
    "append": "6: contact get + ticket associations (ownership check), ticket get, "
              "pipelines (cached 5 min), publish, note",
}
_ID = re.compile(r"/(\d+|[0-9a-f]{32}|opencx-[a-z2-7]+)(?=/|$)")


class Sink:
    """The upstream relay: records when each mail arrives, by its Message-ID."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        match = re.search(rb"^Message-ID:\s*<([^>]+)>", raw, re.M | re.I)
        if match:
            self.arrived[match.group(1).decode()] = time.time()
        return "250 OK"


def config(tmp: Path, sink_port: int) -> Config:
    return Config.model_validate({
        "smtp": {"listen": "127.0.0.1:0", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT, "name": "Bench Support"}]},
        "http": {"listen": "127.0.0.1:0"},
        "storage": {"path": str(tmp / "gateway.db")},
        "queues": {"poll_interval": 0.5},
        "outbound": {"mode": "smtp", "relay": {"host": "127.0.0.1", "port": sink_port}},
        "agent": {"debounce_seconds": 0},
        "hubspot": {"mode": "emulator", "emulator": {"listen": "127.0.0.1:0"}},
        "signatures": [{"domain": "*", "text": "--\nBench", "html": "<p>Bench</p>"}],
    })


async def idle(gw: Gateway) -> None:
    emu = gw.hubspot.emulator
    while True:
        await emu.wait_deliveries()
        if not await gw.db.read(lambda c: queues.has_pending(c, QUEUES)):
            return
        await asyncio.sleep(0.02)


async def mail(gw: Gateway, sender: str, subject: str, body: str) -> None:
    raw = (f"From: Customer <{sender}>\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{time.time_ns()}@bench.test>\r\n\r\n{body}\r\n").encode()
    host, port = gw.smtp_address
    await aiosmtplib.send(raw, sender=sender, recipients=[SUPPORT], hostname=host, port=port)


async def calls_for(gw: Gateway, action: Any) -> Counter[str]:
    """HubSpot calls (by method and path template) made while `action` plays out."""
    emu = gw.hubspot.emulator
    await idle(gw)
    emu.reset_calls()
    await action()
    await idle(gw)
    return Counter(f"{c.method} {_ID.sub('/{id}', c.path)}" for c in emu.calls)


async def handoff(gw: Gateway, sender: str) -> None:
    await mail(gw, sender, "Help", "I want to talk to a human, please.")
    while True:
        rows = await gw.db.read(lambda c: c.execute(
            "SELECT h.status FROM hubspot_handoffs h JOIN sessions s ON s.id = h.session_id"
            " WHERE s.contact_email=?", (sender,)).fetchall())
        if rows and rows[0]["status"] == "done":
            return
        await asyncio.sleep(0.02)


def show(name: str, counts: Counter[str]) -> None:
    print(f"\n{name}: {sum(counts.values())} HubSpot calls (expected {EXPECTED[name]})")
    for call, n in sorted(counts.items()):
        print(f"  {n:>3}  {call}")


async def reply_latency(gw: Gateway, sink: Sink, thread_id: str, n: int) -> list[float]:
    """Seconds from the first webhook about a rep reply reaching us to the relay accepting it."""
    emu = gw.hubspot.emulator
    out = []
    for i in range(n):
        message = await emu.rep_reply(thread_id, f"Reply {i}", f"<p>Reply <b>{i}</b></p>")
        external = f"hubspot:{message['id']}"
        while True:
            row = await gw.db.read(lambda c, e=external: hs.message_by_external_id(c, e))
            if row and row["message_id"] in sink.arrived:
                break
            await asyncio.sleep(0.002)
        received = await gw.db.read(lambda c, m=message["id"]: c.execute(
            "SELECT MIN(received_at) FROM hubspot_webhook_events WHERE body LIKE ?",
            (f"%{m}%",)).fetchone()[0])
        out.append(sink.arrived[row["message_id"]] - received)
    return out


async def run(replies: int) -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    gw = Gateway(config(Path(tempfile.mkdtemp()), port), Secrets(secret_key="b", admin_token="b"))
    await gw.start()
    try:
        while gw.hubspot.setup_state is None:
            await asyncio.sleep(0.02)
        show("new contact", await calls_for(gw, lambda: handoff(gw, "new@bench.test")))
        await gw.hubspot.client.create_contact("known@bench.test", "Known", "Customer")
        show("existing contact", await calls_for(gw, lambda: handoff(gw, "known@bench.test")))
        show("append", await calls_for(gw, lambda: mail(
            gw, "new@bench.test", "More", "One more detail about my order.")))
        session = await gw.db.read(lambda c: sessions.latest_session_for_contact(
            c, "new@bench.test", ("handed_off",)))
        lat = await reply_latency(gw, sink, session["hubspot_thread_id"], replies)
        ms = sorted(1000 * x for x in lat)
        print(f"\nrep reply: webhook received -> email at the relay, {replies} replies one at a"
              f" time: p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms,"
              f" max {ms[-1]:.1f} ms (over 100 ms: {sum(x > 100 for x in ms)})")
    finally:
        await gw.stop()
        server.close()
        await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.replies))


if __name__ == "__main__":
    main()
