"""Peak memory for big mail: 1, 4 and 10 concurrent 25 MB mails, received and processed.

Usage: .venv/bin/python -m bench.memory [--counts 1,4,10] [--size 25000000]

For each count a fresh gateway process (hubspot off, AI debounce long so no reply is
composed) gets that many mails at once over SMTP (one connection each; a PDF attachment
in base64, as scanners and phones send), then the bench waits until the pipeline has parsed
and recorded all of them. Printed: the gateway's peak RSS above its RSS just before the
load, as a multiple of the bytes in flight (count x size), and how many got 451 from the
in-flight budget (retried until accepted, as an MTA would).
"""

from __future__ import annotations

import argparse
import base64
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bench.common import free_port, wait_port

SUPPORT = "support@bench.test"


def big_mail(n: int, size: int) -> bytes:
    head = (
        f"From: <c{n}@bench.test>\r\nTo: <{SUPPORT}>\r\nSubject: Scan {n}\r\n"
        f"Message-ID: <scan{n}.{time.time_ns()}@bench.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nPlease see the attached scan.\r\n"
        '--b\r\nContent-Type: application/pdf; name="scan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    tail = b"--b--\r\n"
    room = size - len(head) - len(tail)
    blob = base64.encodebytes(bytes(range(256)) * (room * 3 // 4 // 256 * 76 // 78))
    return head + blob.replace(b"\n", b"\r\n") + tail


def send(port: int, raw: bytes) -> int:
    """Send until accepted (an MTA retries a 4xx later); returns how many 451s it took."""
    refused = 0
    while True:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench", timeout=300) as s:
            s.ehlo()
            s.mail(f"c@{'bench.test'}")
            s.rcpt(SUPPORT)
            code, _ = s.data(raw)
        if code == 250:
            return refused
        if code != 451:
            raise RuntimeError(f"DATA answered {code}")
        refused += 1
        time.sleep(0.5)


def rss_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def wait_processed(db: Path, expected: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            done = conn.execute(
                "SELECT COUNT(*) FROM inbound WHERE state != 'queued'").fetchone()[0]
        if done >= expected:
            return
        time.sleep(0.2)
    raise RuntimeError("the pipeline did not finish")


def one_run(count: int, size: int, tmp: Path) -> dict[str, float]:
    port = free_port()
    config = tmp / f"config{count}.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}]},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "storage": {"path": str(tmp / f"gw{count}.db")}, "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": 3600},
        "outbound": {"maildir": str(tmp / "maildir")},
    }))
    gw = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"OPENCX_GATEWAY_SECRET_KEY": "bench", "OPENCX_GATEWAY_ADMIN_TOKEN": "bench",
             "PATH": "/usr/bin:/bin"},
    )
    try:
        wait_port(port)
        send(port, big_mail(-1, 2000))  # warm-up: imports, first parse, first commit
        wait_processed(tmp / f"gw{count}.db", 1)
        mails = [big_mail(n, size) for n in range(count)]
        base = rss_kib(gw.pid, "VmRSS")
        start = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            refused = sum(pool.map(lambda m: send(port, m), mails))
        wait_processed(tmp / f"gw{count}.db", count + 1)
        elapsed = time.perf_counter() - start
        peak = rss_kib(gw.pid, "VmHWM")
    finally:
        gw.terminate()
        gw.wait()
    in_flight = count * size
    extra = (peak - base) * 1024
    return {"base MiB": base / 1024, "peak MiB": peak / 1024, "extra MiB": extra / 2**20,
            "x in flight": extra / in_flight, "451s": refused, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,4,10")
    parser.add_argument("--size", type=int, default=25_000_000)
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    with tempfile.TemporaryDirectory(prefix="opencx-memory-") as tmp:
        rows = [(c, one_run(c, args.size, Path(tmp))) for c in counts]
    print(f"{args.size / 1e6:.0f} MB mails (base64 attachment), received and processed;"
          " default budget memory.inflight_bytes 256 MiB")
    print(f"{'concurrent':>10} {'RSS before':>11} {'peak RSS':>9} {'above':>9} "
          f"{'x bytes in flight':>18} {'451s':>5} {'seconds':>8}")
    for count, r in rows:
        print(f"{count:>10} {r['base MiB']:>8.0f} MiB {r['peak MiB']:>5.0f} MiB "
              f"{r['extra MiB']:>5.0f} MiB {r['x in flight']:>18.2f} {r['451s']:>5.0f} "
              f"{r['seconds']:>8.1f}")
    print("goal: <= 4x the size for one mail (issue 11)")


if __name__ == "__main__":
    main()
