"""`make bench`: run every benchmark in turn; each prints figures and a ratio to a baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = [
    ("ingest", ["bench.ingest"]),
    ("latency", ["bench.latency"]),
    ("render", ["bench.render"]),
    ("growth", ["bench.growth"]),
    ("memory", ["bench.memory"]),
    ("agent", ["bench.agent_eval"]),
    ("hubspot", ["bench.hubspot"]),
    ("relay_kill9", ["bench.relay_kill9"]),
    ("revisions", ["bench.revisions"]),
]


def main() -> int:
    only = set(sys.argv[1:])
    failed = 0
    for name, module in BENCHES:
        if only and name not in only:
            continue
        if not (ROOT / "bench" / f"{module[0].split('.')[1]}.py").exists():
            continue
        print(f"\n== {name} ==", flush=True)
        failed += subprocess.run([sys.executable, "-m", *module], cwd=ROOT).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
