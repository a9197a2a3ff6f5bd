"""Ingest benchmark: a bare aiosmtpd sink vs the gateway (pipeline running), same load, one run.

Load generator: Postfix's smtp-source (fetched with `apt-get download postfix` + `dpkg -x` into
bench/.tools when not installed), falling back to a built-in aiosmtplib client.
Prints msgs/s for each, the ratio, peak RSS, and checks every 250 is durable.
When Postfix is installed and we are root, a throw-away stock Postfix (bench/postfix.py: fsync
of the queue file before 250, delivery discarded) is a third server under the same load, and
the gateway/Postfix ratio is printed; otherwise one line says why it was not measured.
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
from statistics import median
from typing import Any

import yaml

from bench import postfix
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


async def builtin_load(port: int, messages: int, sessions: int, size: int,
                       reuse: bool = False) -> None:
    import aiosmtplib

    body = ("x" * 76 + "\r\n") * max(1, size // 78)
    per = messages // sessions

    def mail(n: int, k: int) -> str:
        return (f"From: <c{n}@bench.test>\r\nTo: <{SUPPORT}>\r\nSubject: b {n} {k}\r\n"
                f"Message-ID: <b{n}.{k}.{time.time_ns()}@bench.test>\r\n\r\n{body}")

    async def one(n: int) -> None:
        if reuse:  # one connection for all of this session's mail, as relays do
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as c:
                for k in range(per):
                    await c.sendmail(f"c{n}@bench.test", [SUPPORT], mail(n, k))
            return
        for k in range(per):
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as c:
                await c.sendmail(f"c{n}@bench.test", [SUPPORT], mail(n, k))

    await asyncio.gather(*(one(n) for n in range(sessions)))


def run_load(port: int, args: argparse.Namespace) -> tuple[float, str]:
    src = smtp_source()
    start = time.perf_counter()
    if src is None:
        asyncio.run(builtin_load(port, args.messages, args.sessions, args.size, args.reuse))
        tool = "builtin aiosmtplib client"
    else:
        cmd, env = src
        reuse = ["-d"] if args.reuse else []  # -d: keep the connection for the next message
        subprocess.run(
            [*cmd, *reuse, "-s", str(args.sessions), "-m", str(args.messages), "-l",
             str(args.size), "-f", "customer@bench.test", "-t", SUPPORT, "-M", "client.bench",
             f"127.0.0.1:{port}"],
            check=True, env={**os.environ, **env},
        )
        tool = "smtp-source" + (" -d" if args.reuse else "")
    return time.perf_counter() - start, tool


def start(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})


def gateway_config(args: argparse.Namespace, tmp: Path, port: int) -> Path:
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}],
                 # all load is 127.0.0.1, and smtp-source opens the next connection before
                 # the server has seen the last one close: room for twice the sessions
                 "max_sessions_per_client": 2 * max(20, args.sessions)},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "storage": {"path": str(tmp / "gw.db")}, "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": args.debounce},
        "outbound": {"maildir": str(tmp / "maildir")},
    }))
    return config


def bench(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """All servers up at once; rounds alternate sink, gateway, Postfix so drift hits all alike."""
    sink_port, gw_port = free_port(), free_port()
    sink = start([sys.executable, str(HERE / "sink.py"), str(sink_port)])
    gw = start([sys.executable, "-m", "gateway.cli", "--config",
                str(gateway_config(args, tmp, gw_port)), "run"],
               {"OPENCX_GATEWAY_SECRET_KEY": "bench", "OPENCX_GATEWAY_ADMIN_TOKEN": "bench"})
    out: dict[str, Any] = {"sink": [], "gateway": [], "drain": [], "sink_cpu": [],
                           "gw_cpu": [], "gw_cpu_load": [], "postfix": [], "postfix_cpu": []}
    mta = None
    out["postfix_skipped"] = "--no-postfix" if args.no_postfix else postfix.unavailable()
    try:
        if not out["postfix_skipped"]:
            try:
                mta = postfix.PostfixServer(free_port(), SUPPORT.split("@")[1])
                mta.start()
                wait_port(mta.port)
            except (RuntimeError, OSError, LookupError) as exc:
                out["postfix_skipped"] = f"it did not start: {str(exc).splitlines()[0]}"
                if mta:
                    mta.stop()
                    mta.remove()
                mta = None
        wait_port(sink_port)
        wait_port(gw_port)
        for _ in range(args.rounds):
            cpu = cpu_seconds(sink.pid)
            elapsed, out["tool"] = run_load(sink_port, args)
            out["sink"].append(args.messages / elapsed)
            out["sink_cpu"].append((cpu_seconds(sink.pid) - cpu) / args.messages * 1000)
            cpu = cpu_seconds(gw.pid)
            elapsed, _ = run_load(gw_port, args)
            out["gateway"].append(args.messages / elapsed)
            out["gw_cpu_load"].append((cpu_seconds(gw.pid) - cpu) / args.messages * 1000)
            out["drain"].append(wait_processed(tmp / "gw.db"))
            out["gw_cpu"].append((cpu_seconds(gw.pid) - cpu) / args.messages * 1000)
            if mta:
                cpu = mta.cpu_seconds()
                elapsed, _ = run_load(mta.port, args)
                out["postfix"].append(args.messages / elapsed)
                mta.wait_delivered()
                out["postfix_cpu"].append((mta.cpu_seconds() - cpu) / args.messages * 1000)
        out["sink_rss"], out["gw_rss"] = peak_rss_mb(sink.pid), peak_rss_mb(gw.pid)
    finally:
        for proc in (sink, gw):
            proc.terminate()
            proc.wait()
        if mta:
            mta.stop()
            mta.remove()
    with sqlite3.connect(tmp / "gw.db") as conn:
        out["stored"] = conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_processed(db: Path, timeout: float = 120) -> float:
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
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--reuse", action="store_true",
                   help="connection reuse: every session sends all its mail over one connection "
                   "(smtp-source -d), as Postfix relays do")
    p.add_argument("--no-postfix", action="store_true",
                   help="do not run stock Postfix as the third server even when installed")
    p.add_argument("--debounce", type=float, default=3600.0,
                   help="agent debounce: the default keeps AI answers out of the measured window")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = bench(args, Path(tmp))
    ratios = [g / s for g, s in zip(r["gateway"], r["sink"], strict=True)]
    mode = "reused connections" if args.reuse else "a new connection per mail"
    print(f"ingest: {args.messages} msgs x {args.size} B, {args.sessions} sessions, {mode}, "
          f"{args.rounds} alternating rounds, load by {r['tool']}; medians:")
    for name, rate, rss in (("bare aiosmtpd sink", median(r["sink"]), r["sink_rss"]),
                            ("gateway (durable)", median(r["gateway"]), r["gw_rss"])):
        print(f"  {name:<20} {rate:8.0f} msg/s   peak RSS {rss:6.1f} MiB")
    print(f"  ratio gateway/sink   {median(ratios):8.2f}   (rounds: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}; target >= {0.8 if args.reuse else 0.85:.2f})")
    sink_cpu, gw_cpu = median(r["sink_cpu"]), median(r["gw_cpu"])
    print(f"  CPU per message: sink {sink_cpu:.3f} ms, gateway {gw_cpu:.3f} ms (receive + store +"
          f" process); sink/gateway {sink_cpu / gw_cpu:.2f}: the throughput ratio an idle"
          " machine allows")
    print_postfix(r)
    print(f"  durable: {r['stored']}/{args.messages * args.rounds} stored; pipeline done "
          f"{median(r['drain']):.1f} s after the last 250")


def print_postfix(r: dict[str, Any]) -> None:
    if r["postfix_skipped"]:
        print(f"  postfix: not measured ({r['postfix_skipped']})")
        return
    ratios = [g / p for g, p in zip(r["gateway"], r["postfix"], strict=True)]
    print(f"  {'stock Postfix':<20} {median(r['postfix']):8.0f} msg/s   (fsync before 250, "
          "discard delivery)")
    pf_cpu, gw_cpu = median(r["postfix_cpu"]), median(r["gw_cpu"])
    gw_load = median(r["gw_cpu_load"])
    print(f"  CPU per message: Postfix {pf_cpu:.3f} ms (all its processes, until delivered); "
          f"gateway {gw_load:.3f} ms until the last 250 (receive + store, processing mostly "
          f"deferred), {gw_cpu:.3f} ms processed")
    print(f"  ratio gateway/Postfix {median(ratios):7.2f}   (rounds: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}; target >= 1.50)")


if __name__ == "__main__":
    main()
