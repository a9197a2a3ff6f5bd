"""Cost per mail of the built-in agent (ms, memory), next to the previous agent, same mails.

Usage: .venv/bin/python bench/agent_cost.py [--previous REV] [--rounds N]

Each agent runs in its own Python process (so memory figures do not mix): it builds the
agent on each of the three evaluation KBs, warms up (models, index), then decides every
mail of eval/sets/*-test.jsonl N times. Printed per agent: index build ms, ms per decision
(median, p95), peak RSS (MiB). The previous agent is the `gateway` package of REV
(default: the merge base with main), extracted with `git archive` into a temporary folder;
the workers only use the stable API (build_agent, Transcript, decide).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KBS = {"lumen": ROOT / "eval/kb/lumen", "harbor": ROOT / "eval/kb/harbor",
       "sample": ROOT / "gateway/agent/sample_kb"}

WORKER = r'''
import asyncio, json, resource, statistics, sys, time, logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
logging.disable(logging.INFO)
from gateway.agent.base import Transcript, Turn
from gateway.agent.factory import build_agent
from gateway.config import AgentConfig, Secrets

job = json.loads(sys.stdin.read())
t0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

def transcript(n, m):
    turns = m.get("turns") or [{"role": "customer", "text": m["body"]}]
    return Transcript(n, m.get("subject", ""), m.get("name", ""), "c@example.org",
                      tuple(Turn(t["role"], t["text"], t0 + timedelta(minutes=i))
                            for i, t in enumerate(turns)))

async def main():
    times, builds = [], []
    for kb, mails in job["sets"].items():
        started = time.perf_counter()
        agent = build_agent(AgentConfig(knowledge_base=Path(job["kbs"][kb])), Secrets())
        builds.append((time.perf_counter() - started) * 1000)
        ts = [transcript(n, m) for n, m in enumerate(mails, 1)]
        await agent.decide(ts[0])  # warm-up: models and caches
        for _ in range(job["rounds"]):
            for t in ts:
                started = time.perf_counter()
                await agent.decide(t)
                times.append((time.perf_counter() - started) * 1000)
        await agent.close()
    times.sort()
    print(json.dumps({"decisions": len(times), "median_ms": statistics.median(times),
                      "p95_ms": times[int(0.95 * (len(times) - 1))],
                      "build_ms": sum(builds) / len(builds),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

asyncio.run(main())
'''


def load_sets() -> dict[str, list[dict]]:
    return {kb: [json.loads(line) for line in
                 (ROOT / f"eval/sets/{kb}-test.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()] for kb in KBS}


def measure(source: Path, job: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run([sys.executable, "-c", WORKER], input=json.dumps(job), env=env,
                          capture_output=True, text=True, cwd=source, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed for {source}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def previous_tree(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "gateway"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", default=None, help="git revision of the previous agent")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rev = args.previous or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True,
        check=True).stdout.strip()
    job = {"sets": load_sets(), "kbs": {k: str(v) for k, v in KBS.items()},
           "rounds": args.rounds}
    mails = sum(len(v) for v in job["sets"].values())
    with tempfile.TemporaryDirectory() as tmp:
        before = measure(previous_tree(rev, Path(tmp)), job)
    now = measure(ROOT, job)
    print(f"agent cost per mail: {mails} test mails x {args.rounds} rounds, 3 KBs"
          f" (shared, busy 2-core machine)\n")
    print("| agent | decisions | median ms | p95 ms | index build ms | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in ((f"previous ({rev[:8]})", before), ("current", now)):
        print(f"| {name} | {r['decisions']} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} |"
              f" {r['build_ms']:.1f} | {r['peak_rss_mb']:.0f} |")
    print(f"\nratio current/previous: median {now['median_ms'] / before['median_ms']:.2f}x,"
          f" p95 {now['p95_ms'] / before['p95_ms']:.2f}x,"
          f" peak RSS {now['peak_rss_mb'] / before['peak_rss_mb']:.2f}x")


if __name__ == "__main__":
    main()
