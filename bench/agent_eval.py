"""Decide every labelled mail with the builtin agent; print precision/recall per outcome.

Usage: .venv/bin/python bench/agent_eval.py [--kb FOLDER] [--errors] [SET.yaml ...]
Default sets: tests/agent/labelled.yaml (tuning set) and tests/agent/holdout.yaml
(written after tuning, never tuned on). A reply only counts as correct if its first
source comes from one of the KB files the mail is labelled with.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from gateway.agent.evaluation import load_labelled, outcome, run, source_ok, table
from gateway.agent.factory import build_agent
from gateway.config import AgentConfig, Secrets

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [ROOT / "tests/agent/labelled.yaml", ROOT / "tests/agent/holdout.yaml"]


async def evaluate(path: Path, cfg: AgentConfig, show_errors: bool) -> None:
    agent = build_agent(cfg, Secrets())
    mails = load_labelled(path)
    try:
        await agent.analyse(mails[0].transcript)  # load the models before timing
        started = time.perf_counter()
        results = await run(agent, mails)
        elapsed = time.perf_counter() - started
    finally:
        await agent.close()
    print(f"\n### {path.name} ({len(results)} mails, builtin agent,"
          f" {1000 * elapsed / len(results):.1f} ms per decision)\n")
    print(table(results))
    if show_errors:
        for mail, decision in results:
            if outcome(decision) != mail.expect or not source_ok(mail, decision):
                action = decision.action
                what = getattr(action, "detail", None) or getattr(action, "sources", "")
                print(f"  MISS {mail.id}: expected {mail.expect}, got {outcome(decision)}"
                      f" ({what})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--kb", type=Path, help="knowledge base folder (default: the sample)")
    parser.add_argument("--errors", action="store_true", help="list the misclassified mails")
    args = parser.parse_args()
    cfg = AgentConfig(knowledge_base=args.kb)
    for path in args.sets or [p for p in DEFAULT_SETS if p.exists()]:
        asyncio.run(evaluate(path, cfg, args.errors))


if __name__ == "__main__":
    main()
