"""The SQLite gateway of HEAD against an older revision (default: main before PostgreSQL landed).

`python -m bench.revisions [--base REF] [--head REF]` checks the base (and `--head`; else
HEAD is this working tree) out into a temporary `git worktree` (removed afterwards) and runs
the gateway of each tree as a subprocess with the tree as its working directory and first
on PYTHONPATH (same venv, same dependencies); a launcher checks that `gateway` was imported
from that tree. Per round, in alternating order, each tree gets:

- ingest: smtp-source (or the built-in client) as in bench/ingest.py, 1 KiB mails, 20
  sessions, a new connection per mail, the agent held back: msg/s until the last 250, and
  the daemon's CPU ms per mail until the pipeline has processed every one;
- end to end: questions the built-in agent answers, until every one is answered (reply in
  the Maildir): mails/s and the daemon's CPU seconds per 1,000 mails. CPU time is what
  shows a regression on a loaded machine; wall-clock rates move with the neighbours.

Prints medians per tree and HEAD/base ratios (> 1 for rates means HEAD is faster; for CPU,
> 1 means HEAD spends more).

How the default base is chosen: the PostgreSQL branch reached main by a fast-forward after
its last "Merge main into postgres" commit, so main just before it landed is that merge's
second parent (the main side; its first parent is the branch's own previous commit). If
the newest merge on HEAD's first-parent line that mentions postgres is instead a merge of
the branch into main, its first parent is taken. `git log --merges --oneline | grep -i
postgres` lists the candidates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import yaml

from bench.common import free_port, wait_port
from bench.ingest import SUPPORT, cpu_seconds, run_load, wait_processed
from bench.scale import load as send_questions

ROOT = Path(__file__).resolve().parent.parent
ANSWERED = ("SELECT (SELECT COUNT(*) FROM outgoing WHERE status='sent')"
            " + (SELECT COUNT(*) FROM sessions WHERE status='handed_off')")
# imports gateway from the tree given as argv[1], says where from, then runs the CLI
LAUNCHER = """\
import runpy, sys
tree, out = sys.argv[1], sys.argv[2]
import gateway
open(out, "w").write(gateway.__file__)
assert gateway.__file__.startswith(tree + "/"), (gateway.__file__, tree)
sys.argv = ["gateway.cli", *sys.argv[3:]]
runpy.run_module("gateway.cli", run_name="__main__")
"""


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


def default_base() -> str:
    """Main just before the PostgreSQL branch landed (see the module docstring)."""
    for line in git("log", "--first-parent", "--merges", "--format=%H %P %s").splitlines():
        _commit, first, second, subject = line.split(" ", 3)
        if "postgres" not in subject.lower():
            continue
        if re.search(r"merge main\b.* into postgres", subject, re.IGNORECASE):
            return second
        return first
    raise SystemExit("no merge mentioning postgres on HEAD's first-parent line: pass --base")


def start(tree: Path, work: Path, debounce: float) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump({
        "smtp": {"listen": f"127.0.0.1:{port}", "hostname": "gw.bench",
                 "support_addresses": [{"address": SUPPORT}], "max_sessions_per_client": 40},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "storage": {"path": str(work / "gw.db")}, "hubspot": {"mode": "off"},
        "agent": {"debounce_seconds": debounce},
        "outbound": {"maildir": str(work / "maildir")},
    }))
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENCX_GATEWAY_SECRET_KEY": "bench",
           "OPENCX_GATEWAY_ADMIN_TOKEN": "bench"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tree), str(work / "imported"), "--config",
         str(config), "run"], cwd=tree, env=env, stdout=subprocess.DEVNULL,
        stderr=open(work / "stderr", "wb"))  # noqa: SIM115 (closed with the process)
    return proc, port


def wait_started(port: int, work: Path, tree: Path) -> None:
    try:
        wait_port(port)
    except RuntimeError:
        raise RuntimeError(f"the gateway of {tree} did not start: "
                           f"{(work / 'stderr').read_text()[-500:]}") from None


def stop(proc: subprocess.Popen[bytes], work: Path, tree: Path) -> None:
    proc.terminate()
    proc.wait()
    imported = (work / "imported").read_text() if (work / "imported").exists() else ""
    if not imported.startswith(f"{tree}/"):
        raise RuntimeError(f"the gateway for {tree} ran {imported or 'nothing'}: "
                           f"{(work / 'stderr').read_text()[-500:]}")


def answered(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(ANSWERED).fetchone()[0])


def ingest(tree: Path, work: Path, args: argparse.Namespace) -> dict[str, float]:
    proc, port = start(tree, work, 3600)
    try:
        wait_started(port, work, tree)
        cpu = cpu_seconds(proc.pid)
        elapsed, _ = run_load(port, args)
        wait_processed(work / "gw.db")
        used = cpu_seconds(proc.pid) - cpu
    finally:
        stop(proc, work, tree)
    return {"ingest/s": args.messages / elapsed, "ingest CPU ms/mail": used / args.messages * 1000}


def wait_answered(db: Path, count: int, tree: Path) -> None:
    deadline = time.monotonic() + 300
    while answered(db) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    if answered(db) < count:
        raise RuntimeError(f"{tree}: not every mail was answered within 300 s")


def end_to_end(tree: Path, work: Path, args: argparse.Namespace) -> dict[str, float]:
    proc, port = start(tree, work, 0)
    try:
        wait_started(port, work, tree)
        asyncio.run(send_questions([port], 1, 1, "warm"))  # the agent loads its index on first use
        wait_answered(work / "gw.db", 1, tree)
        cpu, began = cpu_seconds(proc.pid), time.perf_counter()
        asyncio.run(send_questions([port], args.e2e_mails, 10, "q"))
        wait_answered(work / "gw.db", 1 + args.e2e_mails, tree)
        elapsed, used = time.perf_counter() - began, cpu_seconds(proc.pid) - cpu
    finally:
        stop(proc, work, tree)
    return {"e2e mails/s": args.e2e_mails / elapsed,
            "e2e CPU s/1000 mails": used / args.e2e_mails * 1000}


def measure(trees: dict[str, Path], tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            figures: dict[str, float] = {}
            for kind, run in (("ingest", ingest), ("e2e", end_to_end)):
                work = tmp / f"{name}-{r}-{kind}"
                work.mkdir()
                figures |= run(trees[name], work, args)
            results[name].append(figures)
            print(f"  round {r + 1} {name:<5} " + ", ".join(
                f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", help="git revision to compare with (default: see above)")
    p.add_argument("--head", help="git revision to measure instead of this working tree")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--messages", type=int, default=1000, help="ingest mails per measurement")
    p.add_argument("--e2e-mails", type=int, default=150, help="answered mails per measurement")
    args = p.parse_args()
    args.sessions, args.size, args.reuse = 20, 1024, False  # bench.ingest's load
    try:
        git("rev-parse", "--git-dir")
    except (OSError, subprocess.CalledProcessError):
        print("revisions: not measured (not a git checkout, or no git)")
        return
    base = git("rev-parse", "--verify", f"{args.base or default_base()}^{{commit}}")
    head = git("rev-parse", f"{args.head}^{{commit}}" if args.head else "HEAD")
    load = os.getloadavg()
    print(f"revisions: HEAD {head[:10]} vs base {base[:10]}, SQLite, {args.rounds} alternating "
          f"rounds, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"HEAD": Path(tmp) / "head" if args.head else ROOT, "base": Path(tmp) / "base"}
        added = []
        try:
            for name, rev in (("HEAD", head if args.head else None), ("base", base)):
                if rev:
                    git("worktree", "add", "--detach", str(trees[name]), rev)
                    added.append(trees[name])
            results = measure(trees, Path(tmp), args)
        finally:
            for tree in added:
                git("worktree", "remove", "--force", str(tree))
    report(results)


def report(results: dict[str, list[dict[str, float]]]) -> None:
    print(f"  {'median':<22}{'HEAD':>10}{'base':>10}{'HEAD/base':>11}")
    for key in results["HEAD"][0]:
        head = median(f[key] for f in results["HEAD"])
        base = median(f[key] for f in results["base"])
        print(f"  {key:<22}{head:>10.2f}{base:>10.2f}{head / base:>11.2f}")
    load = os.getloadavg()
    print(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
