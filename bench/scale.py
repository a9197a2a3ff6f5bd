"""Scale-out benchmark: 1 SQLite instance (baseline) vs 1, 2 and 3 instances on one PostgreSQL.

For each set-up, in one run: ingest (mails/s until every 250, the load spread over the
instances' SMTP ports, agent held back) and end to end (mails/s from the first mail until
every one is answered: recorded, decided by the builtin agent, rendered, delivered to a
Maildir). Prints both, and their ratios to the single SQLite instance.

PostgreSQL is a throw-away server (tests/pg.py) on a unix socket, fsync on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import yaml

from bench.common import free_port, wait_port
from tests.pg import PgServer

SUPPORT = "support@bench.test"
QUESTION = "How do I reset my password?"


def start(tmp: Path, n: int, storage: dict[str, Any], debounce: float) -> tuple[Any, int]:
    port, folder = free_port(), tmp / f"gw{n}"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": f"127.0.0.1:{free_port()}"}, "storage": storage,
        "hubspot": {"mode": "off"}, "agent": {"debounce_seconds": debounce},
        "outbound": {"maildir": str(folder / "maildir"), "render_processes": 0},
        "queues": {"poll_interval": 1.0},
    }))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "OPENCX_GATEWAY_SECRET_KEY": "bench",
             "OPENCX_GATEWAY_ADMIN_TOKEN": "bench"})
    return proc, port


async def load(ports: list[int], mails: int, senders: int, who: str = "c") -> None:
    """``senders`` concurrent SMTP clients, each on one port, distinct customers ``<who><n>``."""
    import aiosmtplib

    async def client(k: int) -> None:
        port = ports[k % len(ports)]
        for m in range(k, mails, senders):
            raw = (f"From: <{who}{m}@bench.test>\r\nTo: <{SUPPORT}>\r\nSubject: q {m}\r\n"
                   f"Message-ID: <s{m}.{time.time_ns()}@bench.test>\r\n\r\n{QUESTION}\r\n")
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as c:
                await c.sendmail(f"{who}{m}@bench.test", [SUPPORT], raw)

    await asyncio.gather(*(client(k) for k in range(senders)))


def count(target: str, sql: str) -> int:
    if target.startswith("postgresql://"):
        with psycopg.connect(target) as conn:
            return int(conn.execute(sql).fetchone()[0])
    with sqlite3.connect(target) as conn:
        return int(conn.execute(sql).fetchone()[0])


ANSWERED = ("SELECT (SELECT COUNT(*) FROM outgoing WHERE status='sent')"
            " + (SELECT COUNT(*) FROM sessions WHERE status='handed_off')")


def run_one(tmp: Path, target: str, instances: int, args: argparse.Namespace,
            e2e: bool) -> float:
    storage = ({"url": target} if target.startswith("postgresql://") else {"path": target})
    procs = [start(tmp, n, storage, 0 if e2e else 3600) for n in range(instances)]
    try:
        for _, port in procs:
            wait_port(port)
        mails = args.e2e_mails if e2e else args.mails
        began = time.perf_counter()
        asyncio.run(load([p for _, p in procs], mails, args.senders))
        if e2e:
            deadline = time.monotonic() + 300
            while count(target, ANSWERED) < mails and time.monotonic() < deadline:
                time.sleep(0.05)
            assert count(target, ANSWERED) >= mails, "not everything was answered"
        return mails / (time.perf_counter() - began)
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mails", type=int, default=600, help="per ingest measurement")
    p.add_argument("--e2e-mails", type=int, default=300, help="per end-to-end measurement")
    p.add_argument("--senders", type=int, default=12, help="concurrent SMTP clients")
    args = p.parse_args()
    server = PgServer().start()
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            setups = [("sqlite x1", None, 1), *((f"postgresql x{n}", "pg", n) for n in (1, 2, 3))]
            for n, (name, kind, count_) in enumerate(setups):
                results[name] = {}
                for e2e in (False, True):
                    work = Path(tmp) / f"{n}-{int(e2e)}"
                    work.mkdir()
                    target = server.new_database() if kind else str(work / "gw.db")
                    rate = run_one(work, target, count_, args, e2e)
                    results[name]["e2e" if e2e else "ingest"] = rate
    finally:
        server.stop()
    base = results["sqlite x1"]
    print(f"scale-out: {args.mails} mails ingest, {args.e2e_mails} end to end, "
          f"{args.senders} SMTP clients, {os.cpu_count()} CPUs (shared machine)")
    print(f"  {'set-up':<16}{'ingest/s':>10}{'ratio':>7}{'e2e/s':>9}{'ratio':>7}")
    for name, r in results.items():
        print(f"  {name:<16}{r['ingest']:>10.0f}{r['ingest'] / base['ingest']:>7.2f}"
              f"{r['e2e']:>9.0f}{r['e2e'] / base['e2e']:>7.2f}")


if __name__ == "__main__":
    main()
