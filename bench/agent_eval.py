"""Decide the project's labelled mails with the configured agent; print the product figures.

Usage: .venv/bin/python bench/agent_eval.py [--part P] [--errors] [--no-semantic]
                                           [--answer-probability P]

Runs `eval/sets/{lumen,harbor,sample}-PART.jsonl` against their knowledge bases (24, 101
and 36 sections) with the default built-in agent and prints, per set and for all sets
together, what `opencx-gateway agent eval` prints. The default part is the newest; which
parts were blind when, and their figures, are in docs/agent.md ("How the parts were used").
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from gateway.agent.base import Decision, Escalation
from gateway.agent.evaluation import LabelledMail, load_labelled, outcome, report, run, source_ok
from gateway.agent.factory import build_agent
from gateway.config import AgentConfig, Secrets

ROOT = Path(__file__).resolve().parent.parent
# newest blind part first
PARTS = [*(f"fresh{n}" for n in range(51, 1, -1)), "fresh", "test", "tune"]
SETS = {"lumen": ROOT / "eval/kb/lumen", "harbor": ROOT / "eval/kb/harbor",
        "sample": ROOT / "gateway/agent/sample_kb"}


async def evaluate(name: str, kb: Path, part: str, semantic: bool = True,
                   answer_probability: float = AgentConfig().answer_probability
                   ) -> list[tuple[LabelledMail, Decision]]:
    cfg = AgentConfig(knowledge_base=kb, semantic=semantic, answer_probability=answer_probability)
    agent = build_agent(cfg, Secrets())
    try:
        return await run(agent, load_labelled(ROOT / f"eval/sets/{name}-{part}.jsonl"))
    finally:
        await agent.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=PARTS, default=PARTS[0])
    parser.add_argument("--no-semantic", action="store_true",
                        help="agent.semantic: false (the lexical rules alone), for comparison")
    parser.add_argument("--answer-probability", type=float,
                        default=AgentConfig().answer_probability,
                        help="agent.answer_probability (1.0: only the rules answer)")
    parser.add_argument("--errors", action="store_true", help="list the mails decided wrongly")
    args = parser.parse_args()
    logging.getLogger("gateway.agent").setLevel(logging.WARNING)
    everything: list[tuple[LabelledMail, Decision]] = []
    for name, kb in SETS.items():
        results = asyncio.run(evaluate(name, kb, args.part, not args.no_semantic,
                                       args.answer_probability))
        everything += results
        print(f"\n## {name}-{args.part}.jsonl ({kb.relative_to(ROOT)})\n")
        print(report(results))
        if args.errors:
            for mail, decision in results:
                if outcome(decision) != mail.expect or not source_ok(mail, decision):
                    action = decision.action
                    why = action.detail if isinstance(action, Escalation) else action.sources
                    print(f"  WRONG {mail.id} [{mail.lang}] expected {mail.expect},"
                          f" got {outcome(decision)}: {why}")
    print(f"\n## all {args.part} sets together\n")
    print(report(everything))


if __name__ == "__main__":
    main()
