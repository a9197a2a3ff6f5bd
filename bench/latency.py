"""End-to-end latency: customer mail accepted (250) -> AI reply handed to the relay, steady rate.

The gateway runs as its own process with the built-in agent and `outbound.mode: smtp` pointed at
an aiosmtpd sink in this process. Baseline in the same run: one plain SMTP hop client -> sink.
`agent.debounce_seconds` is 0 here; in production the debounce (default 20 s) adds to it.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiosmtplib
import yaml
from aiosmtpd.smtp import SMTP

from bench.common import free_port, peak_rss_mb, percentile, wait_port
from gateway.storage import views

SUPPORT = "support@bench.test"
QUESTIONS = [  # all answered by the shipped sample knowledge base
    "How do I reset my password?", "How do I delete my account?",
    "What are your business hours?", "How do I change my billing details?",
    "How do I upgrade my plan?",
]


class Sink:
    """Records when each reply arrives, keyed by the customer Message-ID it answers."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = envelope.original_content  # type: ignore[attr-defined]
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        self.arrived[(msg.get("In-Reply-To") or "").strip("<> ")] = time.perf_counter()
        return "250 2.0.0 OK"


async def baseline(port: int, n: int) -> list[float]:
    out = []
    for k in range(n):
        raw = f"From: a@b.test\r\nTo: {SUPPORT}\r\nSubject: hop {k}\r\n\r\nhello\r\n"
        t0 = time.perf_counter()
        await aiosmtplib.send(raw, sender="a@b.test", recipients=[SUPPORT],
                              hostname="127.0.0.1", port=port)
        out.append(time.perf_counter() - t0)
    return out


def start_gateway(tmp: Path, smtp_port: int, sink_port: int,
                  args: argparse.Namespace) -> subprocess.Popen[bytes]:
    keepalive = args.keepalive
    relay: dict[str, object] = {"host": "127.0.0.1", "port": sink_port}
    if keepalive is not None:
        relay["keepalive_seconds"] = keepalive
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{smtp_port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "storage": {"path": str(tmp / "gw.db")}, "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": 0, "reply_cap": {"max_replies": 1000}},
        "outbound": {"mode": "smtp", "relay": relay},
        "queues": {"poll_interval": 0.5, **({"handoff": False} if args.no_handoff else {})},
    }))
    env = {**os.environ, "OPENCX_GATEWAY_SECRET_KEY": "bench", "OPENCX_GATEWAY_ADMIN_TOKEN": "b"}
    log = open(tmp / "gateway.log", "wb")  # noqa: SIM115 - the child writes it until the end
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)


async def steady_load(port: int, rate: float, seconds: float,
                      prefix: str = "lat") -> dict[str, float]:
    """Send `rate` mails per second for `seconds`; returns Message-ID -> time of the 250."""
    accepted: dict[str, float] = {}

    async def one(k: int) -> None:
        mid = f"{prefix}{k}.{time.time_ns()}@customer.bench"
        raw = (f"From: Customer {k} <c{k}@customer.bench>\r\nTo: {SUPPORT}\r\n"
               f"Subject: Question {k}\r\nMessage-ID: <{mid}>\r\n\r\n"
               f"{QUESTIONS[k % len(QUESTIONS)]}\r\n")
        await aiosmtplib.send(raw, sender=f"c{k}@customer.bench", recipients=[SUPPORT],
                              hostname="127.0.0.1", port=port)
        accepted[mid] = time.perf_counter()

    tasks = []
    for k in range(int(rate * seconds)):
        tasks.append(asyncio.create_task(one(k)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
    return accepted


STAGE_NAMES = {"process": "250 -> customer mail recorded", "answer": "recorded -> AI reply queued",
               "deliver": "queued -> accepted by the relay"}


async def arrival(sink: Sink, sent: dict[str, float], tmp: Path, deadline: float) -> None:
    """Wait for every reply to ``sent``; after ``deadline`` s show the jobs and the log, stop."""
    end = time.perf_counter() + deadline
    while set(sent) - set(sink.arrived):
        if time.perf_counter() > end:
            conn = sqlite3.connect(tmp / "gw.db")
            for row in conn.execute("SELECT id, queue, status, attempts, last_error FROM jobs"
                                    " WHERE status != 'done'"):
                print("  job not done:", row)
            conn.close()
            print((tmp / "gateway.log").read_text()[-4000:])
            raise SystemExit(f"{len(set(sent) - set(sink.arrived))} replies missing")
        await asyncio.sleep(0.05)


def cursors(db: Path) -> tuple[int, float]:
    """The last message row and send time so far: the stage breakdown starts after them."""
    conn = sqlite3.connect(db)
    try:
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]
        sent = conn.execute("SELECT COALESCE(MAX(sent_at), 0) FROM outgoing").fetchone()[0]
    finally:
        conn.close()
    return int(last), float(sent)


def stage_durations(db: Path, after: tuple[int, float]) -> dict[str, list[float]]:
    """Per-stage durations the metrics endpoint also uses (storage.views.latencies_after)."""
    conn = sqlite3.connect(db)
    try:
        got = views.latencies_after(conn, after_message=after[0], after_sent=after[1],
                                    limit=100_000)
    finally:
        conn.close()
    out: dict[str, list[float]] = {name: [] for name in STAGE_NAMES.values()}
    for stage, seconds in got["samples"]:
        out[STAGE_NAMES[stage]].append(seconds)
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_profile(out: str | None, pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy (pip install py-spy) on the gateway for the measured load, collapsed stacks."""
    if not out:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--format", "raw",
                             "--duration", str(max(int(seconds), 1)), "--rate", "500",
                             "--threads", "--output", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main_async(args: argparse.Namespace) -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    sink_port = free_port()
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.bench"),
                                      "127.0.0.1", sink_port)
    hop = await baseline(sink_port, 200)
    sink.arrived.clear()
    with tempfile.TemporaryDirectory() as tmp:
        smtp_port = free_port()
        proc = start_gateway(Path(tmp), smtp_port, sink_port, args)
        try:
            await asyncio.to_thread(wait_port, smtp_port)
            warm = await steady_load(smtp_port, 5.0, 1.0, prefix="warm")  # KB, process pool
            await arrival(sink, warm, Path(tmp), deadline=60.0)
            after = cursors(Path(tmp) / "gw.db")
            spy = start_profile(args.profile, proc.pid, args.seconds)
            cpu0 = cpu_seconds(proc.pid)
            accepted = await steady_load(smtp_port, args.rate, args.seconds)
            deadline = time.perf_counter() + 60
            while len(set(accepted) & set(sink.arrived)) < len(accepted):
                if time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
            cpu = cpu_seconds(proc.pid) - cpu0
            if spy is not None:
                await asyncio.to_thread(spy.wait)
            rss = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
        stages = stage_durations(Path(tmp) / "gw.db", after)
    server.close()
    lat = [sink.arrived[m] - t for m, t in accepted.items() if m in sink.arrived]
    keep = "default" if args.keepalive is None else f"{args.keepalive:g} s"
    print(f"latency: {len(accepted)} mails at {args.rate}/s for {args.seconds:.0f} s, "
          f"{len(lat)} answered; built-in agent, css-inline renderer, debounce 0, after warm-up;"
          f" relay keepalive {keep}; hand-off {'off' if args.no_handoff else 'on'};"
          f" load average {os.getloadavg()[0]:.2f}")
    print(f"  baseline SMTP hop      p50 {percentile(hop, 50)*1e3:7.1f} ms   "
          f"p99 {percentile(hop, 99)*1e3:7.1f} ms")
    print(f"  accepted -> at relay   p50 {percentile(lat, 50)*1e3:7.1f} ms   "
          f"p99 {percentile(lat, 99)*1e3:7.1f} ms   (gateway peak RSS {rss:.0f} MiB;"
          " goal p99 <= 30 ms at 20/s)")
    print(f"  ratio p50 gateway/hop  {percentile(lat, 50) / percentile(hop, 50):7.1f}x")
    print(f"  gateway CPU per mail   {cpu / max(len(lat), 1) * 1e3:7.1f} ms   (user+system,"
          " all threads; what a busy machine has to find for each mail)")
    print(f"  ratio p99 gateway/hop  {percentile(lat, 99) / percentile(hop, 99):7.1f}x")
    print("  by stage, from the stored timestamps (after the warm-up):")
    for stage, values in stages.items():
        print(f"    {stage:<34} p50 {percentile(values, 50)*1e3:7.1f} ms   "
              f"p99 {percentile(values, 99)*1e3:7.1f} ms   ({len(values)})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rate", type=float, default=20.0, help="mails per second (issue 11: 20)")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--no-handoff", action="store_true",
                   help="queues.handoff: false (each worker claims its jobs after a wake-up)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the gateway with py-spy during the load (collapsed stacks)")
    p.add_argument("--keepalive", type=float, default=None,
                   help="outbound.relay.keepalive_seconds (default: the config default; 0: a new"
                        " relay connection per mail)")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
