"""Labelled-mail evaluation: load a YAML set, run an agent over it, precision/recall per reason.

Operators can run it on their own knowledge base and their own labelled mails
(bench/agent_eval.py); the test suite runs it on tests/agent/labelled.yaml.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from gateway.agent.base import CUSTOMER, ROLES, Agent, Decision, Escalation, Transcript, Turn

REPLY = "reply"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class LabelledMail:
    id: str
    lang: str
    expect: str  # "reply" or an EscalationReason value
    docs: tuple[str, ...]  # for replies: KB files the first source may come from
    transcript: Transcript


def _turns(item: dict[str, Any]) -> tuple[Turn, ...]:
    raw = item.get("turns") or [{"role": CUSTOMER, "text": item["text"]}]
    turns = []
    for i, t in enumerate(raw):
        if t["role"] not in ROLES:
            raise ValueError(f"{item['id']}: unknown role {t['role']!r}")
        turns.append(Turn(t["role"], str(t["text"]), T0 + timedelta(minutes=10 * i)))
    return tuple(turns)


def load_labelled(path: Path) -> list[LabelledMail]:
    mails = []
    for n, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")), start=1):
        expect = REPLY if item["expect"] == REPLY else str(item["reason"])
        transcript = Transcript(
            session_id=n, subject=str(item.get("subject", "")),
            customer_name=str(item.get("name") or ""),
            customer_email=f"customer{n}@example.org", turns=_turns(item),
        )
        mails.append(LabelledMail(str(item["id"]), str(item["lang"]), expect,
                                  tuple(item.get("docs") or ()), transcript))
    return mails


def outcome(decision: Decision) -> str:
    """'reply' or the escalation reason, as labelled."""
    action = decision.action
    return str(action.reason) if isinstance(action, Escalation) else REPLY


def source_ok(mail: LabelledMail, decision: Decision) -> bool:
    """For a reply: its first source comes from one of the labelled KB files."""
    action = decision.action
    if isinstance(action, Escalation) or not mail.docs:
        return True
    return bool(action.sources) and action.sources[0].split("#")[0] in mail.docs


async def run(agent: Agent, mails: list[LabelledMail]) -> list[tuple[LabelledMail, Decision]]:
    return [(mail, await agent.decide(mail.transcript)) for mail in mails]


def table(results: list[tuple[LabelledMail, Decision]]) -> str:
    """Precision, recall and support per outcome, as a Markdown table."""
    labels = sorted({m.expect for m, _ in results} | {outcome(d) for _, d in results},
                    key=lambda x: (x != REPLY, x))
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for mail, decision in results:
        got = outcome(decision)
        actual[mail.expect] += 1
        predicted[got] += 1
        tp[got] += got == mail.expect and source_ok(mail, decision)
    lines = ["| outcome | n | precision | recall |", "|---|---:|---:|---:|"]
    for label in labels:
        p = f"{tp[label] / predicted[label]:.2f}" if predicted[label] else "-"
        r = f"{tp[label] / actual[label]:.2f}" if actual[label] else "-"
        lines.append(f"| {label} | {actual[label]} | {p} | {r} |")
    correct = sum(tp.values())
    lines.append(f"| **all** | {len(results)} | accuracy {correct / len(results):.2f} | |")
    return "\n".join(lines)
