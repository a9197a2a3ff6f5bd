"""Fits the calibrated answer model (gateway/agent/calibration.py) on the project's labelled sets.

For every mail of the given parts that the escalation policy lets through, the builtin agent's
evidence about its best section (``BuiltinAgent.answer_evidence``) is paired with the label
"the mail is answerable and that section is from a labelled KB file". An L2-regularised
logistic regression on standardised features (Newton's method, numpy) gives the constants;
``--write`` puts them into gateway/agent/calibration.py. It also prints, per part, how many
mails the rules answer and how many more the model would at ``--bar``.

Run: .venv/bin/python eval/fit_calibration.py --parts tune,test,fresh,...,fresh13 [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.agent.builtin import BuiltinAgent, by_confidence  # noqa: E402
from gateway.agent.calibration import FEATURES  # noqa: E402
from gateway.agent.evaluation import load_labelled, outcome  # noqa: E402
from gateway.agent.factory import build_agent  # noqa: E402
from gateway.config import AgentConfig, Secrets  # noqa: E402

SETS = {"lumen": ROOT / "eval/kb/lumen", "harbor": ROOT / "eval/kb/harbor",
        "sample": ROOT / "gateway/agent/sample_kb"}
CALIBRATION = ROOT / "gateway/agent/calibration.py"
# part, features, label, the rules answer, answerable
Row = tuple[str, tuple[float, ...], bool, bool, bool]


async def rows_of(kb: str, part: str) -> list[Row]:
    agent = build_agent(AgentConfig(knowledge_base=SETS[kb], answer_probability=1.0), Secrets())
    assert isinstance(agent, BuiltinAgent)
    rows: list[Row] = []
    try:
        for mail in load_labelled(ROOT / f"eval/sets/{kb}-{part}.jsonl"):
            t = mail.transcript
            analysis = await agent.analyse(t)
            if agent.policy.check(t, analysis) is not None:
                continue
            found = by_confidence(await agent.retrieve(t))
            evidence = agent.answer_evidence(t, analysis, found, agent.per_question(t))
            if evidence is None:
                continue
            top = found.hits[0].hit.section.id.split("#")[0]
            answerable = mail.expect == "reply"
            rules = outcome(await agent.decide(t)) == "reply"
            rows.append((part, evidence.vector(), answerable and top in mail.docs, rules,
                         answerable))
    finally:
        await agent.close()
    return rows


def fit(x: np.ndarray, y: np.ndarray, lam: float
        ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    means, scales = x.mean(0), x.std(0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - means) / scales]
    w = np.zeros(z.shape[1])
    ridge = lam * np.diag(np.r_[0.0, np.ones(len(w) - 1)])
    for _ in range(100):
        p = 1 / (1 + np.exp(-z @ w))
        step = np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]) + ridge,
                               z.T @ (p - y) + ridge @ w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), means, scales, w[1:]


def constants(intercept: float, means: np.ndarray, scales: np.ndarray, weights: np.ndarray) -> str:
    def row(values: np.ndarray) -> str:
        body = textwrap.fill(", ".join(f"{v:.4f}" for v in values), 88,
                             initial_indent="    ", subsequent_indent="    ")
        return f"(\n{body},\n)"
    return (f"INTERCEPT = {intercept:.4f}\nMEANS = {row(means)}\nSCALES = {row(scales)}\n"
            f"WEIGHTS = {row(weights)}\n")


def write(text: str) -> None:
    source = CALIBRATION.read_text(encoding="utf-8")
    block = re.compile(r"INTERCEPT = .*?\nWEIGHTS = \(.*?\)\n", re.S)
    CALIBRATION.write_text(block.sub(lambda _: text, source, count=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", required=True, help="comma-separated parts to fit on")
    parser.add_argument("--lam", type=float, default=1.0, help="L2 strength")
    parser.add_argument("--bar", type=float, default=0.7, help="agent.answer_probability")
    parser.add_argument("--write", action="store_true", help="update calibration.py")
    args = parser.parse_args()
    logging.getLogger("gateway.agent").setLevel(logging.WARNING)
    rows = [r for part in args.parts.split(",") for kb in SETS
            for r in asyncio.run(rows_of(kb, part))]
    x = np.asarray([r[1] for r in rows], dtype=float)
    y = np.asarray([r[2] for r in rows], dtype=float)
    intercept, means, scales, weights = fit(x, y, args.lam)
    text = constants(intercept, means, scales, weights)
    print(f"{len(rows)} mails past the policy, {int(y.sum())} answerable from the best section")
    print(", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, weights, strict=True)))
    print(text)
    p = 1 / (1 + np.exp(-(intercept + ((x - means) / scales) @ weights)))
    for part in args.parts.split(","):
        mask = np.asarray([r[0] == part for r in rows])
        rules = np.asarray([r[3] for r in rows]) & mask
        more = mask & ~rules & (p >= args.bar)
        right = more & (y == 1)
        print(f"{part:8} rules answer {int(rules.sum()):4}; the model adds {int(more.sum()):3}"
              f" ({int(right.sum())} from the right section)")
    if args.write:
        write(text)
        print(f"written to {CALIBRATION.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
