"""Duplicate AI replies through an SMTP relay after kill -9: count them over N runs.

`python -m bench.relay_kill9 [--runs 4] [--mails 200]`. Each run starts the daemon as a child
process relaying to an in-process aiosmtpd sink (tests/relay/sink.py), sends ``--mails``
questions the built-in agent answers, kills the daemon with SIGKILL at a random point while
replies are being relayed, restarts it, waits until every reply is recorded as sent (or as
uncertain: killed inside DATA, handed to a human), then counts the copies the sink received per
Message-ID and the uncertain replies. `--uncertain resend` measures the at-least-once policy.
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

import aiosmtplib
import yaml

from tests.relay.sink import SinkServer

SUPPORT = "support@acme.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENCX_GATEWAY_SECRET_KEY": "bench"}
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)


async def wait_for(check, timeout: float = 120.0, why=None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the daemon" + (f": {why()}" if why else ""))
        await asyncio.sleep(0.05)


def diagnose(db: Path, log: Path, proc: subprocess.Popen[bytes]) -> str:
    """What a run that did not settle looks like: outgoing/job states, the log's tail."""
    with sqlite3.connect(db) as conn:
        out = conn.execute("SELECT status, COUNT(*) FROM outgoing GROUP BY 1").fetchall()
        jobs = conn.execute("SELECT queue, status, COUNT(*) FROM jobs GROUP BY 1, 2").fetchall()
        sess = conn.execute("SELECT status, COUNT(*) FROM sessions GROUP BY 1").fetchall()
    tail = log.read_text(errors="replace").splitlines()[-15:]
    return (f"daemon exit={proc.poll()} outgoing={out} jobs={jobs} sessions={sess}\n"
            + "\n".join(tail))


async def listening(port: int) -> bool:
    try:
        _, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    w.close()
    return True


def settled(db: Path, status: str = "%") -> int:
    """Replies with an outcome: sent, or uncertain (``status`` narrows it)."""
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(
                "SELECT COUNT(*) FROM outgoing WHERE status IN ('sent', 'uncertain')"
                " AND status LIKE ?", (status,)).fetchone()[0])
    except sqlite3.Error:
        return 0


async def send_all(port: int, mails: int) -> None:
    async def one(n: int) -> None:
        raw = (f"From: C{n} <c{n}@customer.test>\r\nTo: {SUPPORT}\r\nSubject: q{n}\r\n"
               f"Message-ID: <q{n}@customer.test>\r\n\r\nHow do I reset my password?\r\n")
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30) as c:
            await c.sendmail(f"c{n}@customer.test", [SUPPORT], raw.encode())
    for start_at in range(0, mails, 20):
        await asyncio.gather(*(one(n) for n in range(start_at, min(start_at + 20, mails))))


async def one_run(workdir: Path, mails: int, rng: random.Random,
                  uncertain: str) -> tuple[int, int, int, int]:
    sink = await SinkServer().start()
    port, db = free_port(), workdir / "gw.db"
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}],
                 "max_sessions_per_client": 100},  # every customer comes from 127.0.0.1
        "http": {"listen": "127.0.0.1:0"}, "storage": {"path": str(db)},
        "hubspot": {"mode": "off"}, "agent": {"debounce_seconds": 0,
                                              "reply_cap": {"max_replies": 1000}},
        "outbound": {"mode": "smtp", "render_processes": 0, "uncertain": uncertain,
                     "relay": {"host": "127.0.0.1", "port": sink.port, "timeout": 30}},
    }))
    log = workdir / "daemon.log"
    proc = start(config, log)
    try:
        await wait_for(lambda: proc.poll() is None)
        while not await listening(port):
            await asyncio.sleep(0.05)
        await send_all(port, mails)
        target = rng.randint(1, mails - 1)
        await wait_for(lambda: len(sink.messages) >= target)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        at_kill = len(sink.messages)
        proc = start(config, log)
        await wait_for(lambda: settled(db) >= mails, why=lambda: diagnose(db, log, proc))
        ids = Counter(str(BytesHeaderParser().parsebytes(raw)["Message-ID"])
                      for _, _, raw in sink.messages)
        return at_kill, len(ids), sum(n - 1 for n in ids.values()), settled(db, "uncertain")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        await sink.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--uncertain", choices=["handoff", "resend"], default="handoff")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total_dupes = total = total_unsure = 0
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            at_kill, unique, dupes, unsure = await one_run(Path(tmp), args.mails, rng,
                                                            args.uncertain)
        total_dupes += dupes
        total += unique
        total_unsure += unsure
        print(f"run {run + 1}: killed after {at_kill} relayed, {unique} replies at the relay, "
              f"{dupes} duplicates, {unsure} uncertain (handed off)", flush=True)
    print(f"total: {total_dupes} duplicate replies of {total}, {total_unsure} uncertain "
          f"({args.runs} kill -9 runs, outbound.uncertain: {args.uncertain})")


if __name__ == "__main__":
    asyncio.run(main())
