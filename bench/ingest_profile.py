"""Where the gateway's time per message goes under the ingest bench's load (py-spy, by thread).

`python -m bench.ingest_profile [--reuse] [--messages 4000]` starts the gateway as
bench/ingest.py does, warms it up, then records it with py-spy (`pip install py-spy` into
the venv; not a project dependency) while smtp-source sends the load and the pipeline
processes it. Two recordings of the same kind of run: `--gil` (only the thread holding the
GIL: Python work, which the event loop and the writer share) and all threads (wall time,
including the writer's COMMIT waiting for fsync, which does not hold the GIL). Samples are
put into buckets (event loop: accept and aiosmtpd's set-up, aiosmtpd's parsing, replies,
our handler, logging, processing; writer: inbound row, job row, COMMIT, processing writes)
and printed as percentages and as milliseconds per message of the daemon's CPU time.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import free_port, wait_port
from bench.ingest import HERE, cpu_seconds, gateway_config, run_load, start, wait_processed

# waiting, not working: a thread pool's queue.get, the loop's epoll, the writer's queue.get
IDLE = ("_worker (concurrent/futures/thread.py", "EpollSelector.select (",
        "Database._write_loop (gateway/storage/db.py:190)", "Condition.wait (",
        "Event.wait (", "Thread._wait_for_tstate_lock")
RATE = 200  # py-spy samples per second


def _commit_frame() -> str:
    """py-spy's name for the writer's COMMIT line in Database._attempt (of the code on the path)."""
    from gateway.storage.db import Database

    lines, first = inspect.getsourcelines(Database._attempt)
    line = next(i for i, text in enumerate(lines, first) if '"COMMIT"' in text)
    return f"Database._attempt (gateway/storage/db.py:{line})"


COMMIT = _commit_frame()
# (bucket, marker): the first rule with a marker anywhere in the stack names the sample...
LOOP_RULES = [
    ("logging", "logging/"),
    ("processing worker (parse, thread, record)", "gateway/pipeline.py"),
    ("processing worker (parse, thread, record)", "gateway/workers.py"),
    *(("processing worker (parse, thread, record)", f"gateway/smtp/{name}.py") for name in
      ("parse", "quotes", "textcodec", "identify", "loops", "skeleton", "verification",
       "addresses", "tokens")),  # parsing's modules (py-spy may cut the stack above them)
    ("our handler (handle_RCPT/handle_DATA)", "gateway/smtp/handler.py"),
    ("SMTP replies (push, socket send)", "SMTP.push ("),
    ("connection set-up (aiosmtpd SMTP.__init__, connection_made)", "SMTP.__init__ ("),
    ("connection set-up (aiosmtpd SMTP.__init__, connection_made)", "connection_made ("),
    ("accept", "_accept_connection"),
]
# ...else the innermost SMTP frame: ours (limits, the DATA buffer) or aiosmtpd's
SMTP_FRAMES = [("our SMTP wrapper (command limits, DATA buffer)", "gateway/smtp/"),
               ("aiosmtpd (command parsing, state machine)", "aiosmtpd/")]
LOOP_REST = [("socket reads, close", "_read_ready"),
             ("socket reads, close", "_call_connection_lost"),
             ("wake-ups from other threads", "_read_from_self")]
WRITER_RULES = [
    ("COMMIT (fsync)", COMMIT), ("logging", "logging/"),
    ("inbound row (insert_inbound)", "insert_inbound ("), ("job row (enqueue)", "enqueue ("),
    ("processing writes (record, thread, claims)", "gateway/pipeline.py"),
    ("processing writes (record, thread, claims)", "gateway/storage/queues.py"),
    ("waking the loop (call_soon_threadsafe)", "call_soon_threadsafe"),
    ("waking the loop (call_soon_threadsafe)", "_write_to_self"),
]


def first_rule(rules: list[tuple[str, str]], stack: list[str]) -> str | None:
    for name, marker in rules:
        if any(marker in frame for frame in stack):
            return name
    return None


def innermost(rules: list[tuple[str, str]], stack: list[str]) -> str | None:
    for frame in reversed(stack):
        for name, marker in rules:
            if marker in frame:
                return name
    return None


def bucket(frames: list[str]) -> str:
    thread = re.sub(r"^thread \(\w+\): ", "", frames[0]).strip('"')
    stack = frames[1:]
    if thread == "MainThread":
        name = (first_rule(LOOP_RULES, stack) or innermost(SMTP_FRAMES, stack)
                or first_rule(LOOP_REST, stack) or "asyncio loop itself (callbacks, tasks)")
        return f"loop: {name}"
    if thread == "db-writer":
        return f"writer: {first_rule(WRITER_RULES, stack) or 'writer plumbing (batch, futures)'}"
    if thread.startswith("db-read"):
        return "readers: processing's reads"
    if thread.startswith("asyncio"):
        return "default executor: processing's parse"
    return f"other threads ({thread.split('_')[0]})"


def classify(path: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(IDLE):
            continue
        counts[bucket(frames)] += int(n)
    return counts


def record(args: argparse.Namespace, spy: str, tmp: Path, server: str,
           gil: bool) -> dict[str, Any]:
    """One server (``gateway`` or the bare ``sink``), warmed up, recorded by py-spy during
    the load and (gateway) until the pipeline has processed every message."""
    port, name = free_port(), f"{server}-{'gil' if gil else 'all'}{'-reuse' if args.reuse else ''}"
    out, work = tmp / f"{name}.txt", tmp / name
    work.mkdir(exist_ok=True)
    (work / "gw.db").unlink(missing_ok=True)
    if server == "sink":
        proc = start([sys.executable, str(HERE / "sink.py"), str(port)])
    else:
        proc = start([sys.executable, "-m", "gateway.cli", "--config",
                      str(gateway_config(args, work, port)), "run"],
                     {"OPENCX_GATEWAY_SECRET_KEY": "bench", "OPENCX_GATEWAY_ADMIN_TOKEN": "bench"})
    try:
        wait_port(port)
        run_load(port, argparse.Namespace(**{**vars(args), "messages": 400}))
        if server == "gateway":
            wait_processed(work / "gw.db")
        cmd = [spy, "record", "-p", str(proc.pid), "--threads", "--format", "raw",
               "--nonblocking", "-r", str(RATE), "-o", str(out), *(["--gil"] if gil else [])]
        recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attached
        cpu = cpu_seconds(proc.pid)
        elapsed, _ = run_load(port, args)
        if server == "gateway":
            wait_processed(work / "gw.db")
        cpu_ms = (cpu_seconds(proc.pid) - cpu) / args.messages * 1000
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)
    finally:
        proc.terminate()
        proc.wait()
    return {"counts": classify(out), "cpu_ms": cpu_ms, "rate": args.messages / elapsed,
            "file": out}


def report_gil(args: argparse.Namespace, sink: dict[str, Any], gw: dict[str, Any]) -> None:
    """GIL-held milliseconds per message by bucket, sink next to gateway."""
    def ms(counts: collections.Counter[str], key: str) -> float:
        return counts[key] / RATE / args.messages * 1000

    print(f"  holding the GIL, ms per message (samples at {RATE} Hz / messages):")
    print(f"    {'bucket':<66}{'sink':>7}{'gateway':>9}{'share':>7}")
    total = sum(gw["counts"].values()) or 1
    keys = sorted(set(sink["counts"]) | set(gw["counts"]),
                  key=lambda k: (k.split(":")[0], -gw["counts"][k]))
    for key in keys:
        print(f"    {key:<66}{ms(sink['counts'], key):>7.3f}{ms(gw['counts'], key):>9.3f}"
              f"{gw['counts'][key] / total * 100:>6.1f}%")
    s_all = sum(sink["counts"].values()) / RATE / args.messages * 1000
    g_all = total / RATE / args.messages * 1000
    print(f"    {'total':<66}{s_all:>7.3f}{g_all:>9.3f}")
    print(f"  process CPU ms/message (user+sys, all threads): sink {sink['cpu_ms']:.2f}, "
          f"gateway {gw['cpu_ms']:.2f}; msg/s while recorded: sink {sink['rate']:.0f}, "
          f"gateway {gw['rate']:.0f}")


def report_wall(counts: collections.Counter[str]) -> None:
    total = sum(counts.values()) or 1
    print(f"  gateway, all threads, busy samples (wall time, incl. fsync waits; {total}):")
    for name, n in sorted(counts.items(), key=lambda kv: (kv[0].split(":")[0], -kv[1])):
        print(f"    {n / total * 100:5.1f} %  {name}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=4000)
    p.add_argument("--reuse", action="store_true", help="one connection per session (-d)")
    p.add_argument("--keep", type=Path, help="keep py-spy's raw stacks in this folder")
    args = p.parse_args()
    args.sessions, args.size, args.rounds, args.debounce = 20, 1024, 1, 3600.0
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("ingest profile: not measured (py-spy is not installed: pip install py-spy)")
        return
    load = os.getloadavg()
    print(f"ingest profile: {args.messages} msgs x 1 KiB, 20 sessions, "
          f"{'reused connections' if args.reuse else 'a new connection per mail'}, "
          f"load average {load[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sink = record(args, spy, folder, "sink", gil=True)
        gw = record(args, spy, folder, "gateway", gil=True)
        wall = record(args, spy, folder, "gateway", gil=False)
    report_gil(args, sink, gw)
    report_wall(wall["counts"])


if __name__ == "__main__":
    main()
