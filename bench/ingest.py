"""Ingest benchmark: a bare aiosmtpd sink vs the gateway (pipeline running), same load, one run.

Load generator: Postfix's smtp-source (fetched with `apt-get download postfix` + `dpkg -x` into
bench/.tools when not installed), falling back to a built-in aiosmtplib client.
Prints msgs/s for each, the ratio, peak RSS, and checks every 250 is durable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.common import free_port, peak_rss_mb, wait_port

HERE = Path(__file__).resolve().parent
TOOLS = HERE / ".tools"
SUPPORT = "support@bench.test"


def smtp_source() -> tuple[list[str], dict[str, str]] | None:
    """The smtp-source command and environment, fetching Postfix's package if needed."""
    found = shutil.which("smtp-source")
    if found:
        return [found], {}
    binary = TOOLS / "usr/sbin/smtp-source"
    if not binary.exists() and shutil.which("apt-get") and shutil.which("dpkg"):
        TOOLS.mkdir(exist_ok=True)
        subprocess.run(["apt-get", "download", "postfix"], cwd=TOOLS, capture_output=True)
        for deb in TOOLS.glob("postfix_*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(TOOLS)], check=True)
    if binary.exists():
        return [str(binary)], {"LD_LIBRARY_PATH": str(TOOLS / "usr/lib/postfix")}
    return None


async def builtin_load(port: int, messages: int, sessions: int, size: int) -> None:
    import aiosmtplib

    body = ("x" * 76 + "\r\n") * max(1, size // 78)
    per = messages // sessions

    async def one(n: int) -> None:
        for k in range(per):
            raw = (f"From: <c{n}@bench.test>\r\nTo: <{SUPPORT}>\r\nSubject: b {n} {k}\r\n"
                   f"Message-ID: <b{n}.{k}.{time.time_ns()}@bench.test>\r\n\r\n{body}")
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as c:
                await c.sendmail(f"c{n}@bench.test", [SUPPORT], raw)

    await asyncio.gather(*(one(n) for n in range(sessions)))


def run_load(port: int, args: argparse.Namespace) -> tuple[float, str]:
    src = smtp_source()
    start = time.perf_counter()
    if src is None:
        asyncio.run(builtin_load(port, args.messages, args.sessions, args.size))
        tool = "builtin aiosmtplib client"
    else:
        cmd, env = src
        subprocess.run(
            [*cmd, "-s", str(args.sessions), "-m", str(args.messages), "-l", str(args.size),
             "-f", "customer@bench.test", "-t", SUPPORT, "-M", "client.bench", f"127.0.0.1:{port}"],
            check=True, env={**os.environ, **env},
        )
        tool = "smtp-source"
    return time.perf_counter() - start, tool


def start(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})


def bench_sink(args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    proc = start([sys.executable, str(HERE / "sink.py"), str(port)])
    try:
        wait_port(port)
        elapsed, tool = run_load(port, args)
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    return {"rate": args.messages / elapsed, "rss": rss, "tool": tool}  # type: ignore[dict-item]


def bench_gateway(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    port = free_port()
    db = tmp / "gw.db"
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "storage": {"path": str(db)}, "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": args.debounce},
        "outbound": {"maildir": str(tmp / "maildir")},
    }))
    proc = start([sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
                 {"OPENCX_GATEWAY_SECRET_KEY": "bench", "OPENCX_GATEWAY_ADMIN_TOKEN": "bench"})
    try:
        wait_port(port)
        elapsed, tool = run_load(port, args)
        drained = wait_processed(db, args.messages)
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
    return {"rate": args.messages / elapsed, "rss": rss, "stored": stored,
            "drain": drained, "tool": tool}  # type: ignore[dict-item]


def wait_processed(db: Path, n: int, timeout: float = 120) -> float:
    """Seconds after the load until the pipeline had processed every stored message."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with sqlite3.connect(db) as conn:
            left = conn.execute("SELECT COUNT(*) FROM inbound WHERE state='queued'").fetchone()[0]
        if left == 0:
            break
        time.sleep(0.1)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--debounce", type=float, default=3600.0,
                   help="agent debounce: the default keeps AI answers out of the measured window")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sink = bench_sink(args)
        gw = bench_gateway(args, Path(tmp))
    print(f"ingest: {args.messages} msgs x {args.size} B, {args.sessions} sessions, "
          f"load by {sink['tool']}")
    print(f"  bare aiosmtpd sink   {sink['rate']:8.0f} msg/s   peak RSS {sink['rss']:6.1f} MiB")
    print(f"  gateway (durable)    {gw['rate']:8.0f} msg/s   peak RSS {gw['rss']:6.1f} MiB")
    print(f"  ratio gateway/sink   {gw['rate'] / sink['rate']:8.2f}   (target >= 0.80)")
    print(f"  durable: {gw['stored']}/{args.messages} stored; pipeline finished "
          f"{gw['drain']:.1f} s after the last 250")


if __name__ == "__main__":
    main()
