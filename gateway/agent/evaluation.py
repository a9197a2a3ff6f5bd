"""Labelled-mail evaluation: load a JSONL (or YAML) set, run an agent over it, score it.

``opencx-gateway agent eval FILE.jsonl [--kb DIR]`` prints the figures of ``Scores``; the
JSONL format (one mail per line) is documented in docs/agent.md:

    {"id": "m1", "language": "de", "subject": "...", "body": "...", "name": "Anna Meyer",
     "expect": "answer" | "escalate", "reason": "missing_knowledge", "docs": ["billing"]}

``turns`` ([{role, text}]) may replace ``body`` for a conversation.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from gateway.agent.base import (
    CUSTOMER,
    ROLES,
    Agent,
    Decision,
    Escalation,
    EscalationReason,
    Transcript,
    Turn,
)

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
    body = item.get("text", item.get("body"))
    raw = item.get("turns") or [{"role": CUSTOMER, "text": body}]
    turns = []
    for i, t in enumerate(raw):
        if t["role"] not in ROLES:
            raise ValueError(f"{item['id']}: unknown role {t['role']!r}")
        turns.append(Turn(t["role"], str(t["text"]), T0 + timedelta(minutes=10 * i)))
    return tuple(turns)


def _items(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc.msg}") from None
        return items
    return list(yaml.safe_load(text) or [])


def _expect(item: dict[str, Any], n: int) -> str:
    if item.get("expect") in (REPLY, "answer"):
        return REPLY
    if item.get("expect") != "escalate":
        raise ValueError(f"mail {n}: expect must be answer or escalate, not {item.get('expect')!r}")
    reason = str(item.get("reason") or "")
    if reason not in set(EscalationReason):
        raise ValueError(f"mail {n}: unknown escalation reason {reason!r}")
    return reason


def load_labelled(path: Path) -> list[LabelledMail]:
    """The mails of a .jsonl or .yaml set; raises ValueError naming the first bad mail."""
    mails = []
    for n, item in enumerate(_items(path), start=1):
        if not isinstance(item, dict) or not (item.get("turns") or "body" in item
                                               or "text" in item):
            raise ValueError(f"mail {n}: needs a body (or turns)")
        expect = _expect(item, n)
        item.setdefault("id", f"mail-{n}")
        item["lang"] = item.get("lang") or item.get("language") or "und"
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


@dataclass
class Tally:
    """Counts for one slice of the set (all mails, or one language)."""

    n: int = 0
    decided_right: int = 0  # answer vs escalate as labelled
    answerable: int = 0
    answered: int = 0  # answerable mails that got an answer
    sent: int = 0  # answers sent (to any mail)
    sent_right: int = 0  # answers to answerable mails from a labelled KB file
    escalations: int = 0  # mails labelled escalate
    escalated: int = 0  # ... that were escalated
    reason_right: int = 0  # ... with the labelled reason

    def add(self, mail: LabelledMail, decision: Decision) -> None:
        got = outcome(decision)
        self.n += 1
        self.decided_right += (got == REPLY) == (mail.expect == REPLY)
        if got == REPLY:
            self.sent += 1
            self.sent_right += mail.expect == REPLY and source_ok(mail, decision)
        if mail.expect == REPLY:
            self.answerable += 1
            self.answered += got == REPLY
        else:
            self.escalations += 1
            self.escalated += got != REPLY
            self.reason_right += got == mail.expect


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def scores(results: list[tuple[LabelledMail, Decision]]) -> tuple[Tally, dict[str, Tally]]:
    total = Tally()
    by_language: dict[str, Tally] = defaultdict(Tally)
    for mail, decision in results:
        total.add(mail, decision)
        by_language[mail.lang].add(mail, decision)
    return total, dict(sorted(by_language.items(), key=lambda kv: (kv[0] != "en", kv[0])))


def report(results: list[tuple[LabelledMail, Decision]]) -> str:
    """The product figures, per-language figures and the confusion, as plain text tables."""
    total, by_language = scores(results)
    lines = [
        f"mails: {total.n}",
        f"decision accuracy (answer vs escalate): {_ratio(total.decided_right, total.n)}",
        f"answerable answered (answer recall):    {_ratio(total.answered, total.answerable)}"
        f"  ({total.answered}/{total.answerable})",
        f"sent answers correct (precision):       {_ratio(total.sent_right, total.sent)}"
        f"  ({total.sent_right}/{total.sent})",
        f"escalation recall:                      {_ratio(total.escalated, total.escalations)}"
        f"  ({total.escalated}/{total.escalations})",
        f"reason accuracy (of escalated):         {_ratio(total.reason_right, total.escalated)}"
        f"  ({total.reason_right}/{total.escalated})",
        "",
        "language   n  decision  answered  precision  esc.recall  reason",
    ]
    for lang, t in by_language.items():
        lines.append(
            f"{lang:<8} {t.n:>3}  {_ratio(t.decided_right, t.n):>8}  "
            f"{_ratio(t.answered, t.answerable):>8}  {_ratio(t.sent_right, t.sent):>9}  "
            f"{_ratio(t.escalated, t.escalations):>10}  {_ratio(t.reason_right, t.escalated):>6}")
    if "en" in by_language and len(by_language) > 1:
        en = by_language["en"].decided_right / by_language["en"].n
        gaps = {lang: en - t.decided_right / t.n for lang, t in by_language.items()
                if lang != "en"}
        worst = max(gaps, key=lambda lang: gaps[lang])
        lines.append(f"largest decision-accuracy gap below English: {worst}"
                     f" {gaps[worst]:+.2f} (n={by_language[worst].n})")
    lines += ["", "confusion (rows: expected, columns: decided)", *confusion(results)]
    return "\n".join(lines)


def confusion(results: list[tuple[LabelledMail, Decision]]) -> list[str]:
    labels = sorted({m.expect for m, _ in results} | {outcome(d) for _, d in results},
                    key=lambda x: (x != REPLY, x))
    counts = Counter((m.expect, outcome(d)) for m, d in results)
    short = {label: label.replace("_", " ")[:12] for label in labels}
    head = " " * 20 + "".join(f"{short[c]:>13}" for c in labels)
    rows = [head]
    for row in labels:
        rows.append(f"{short[row]:<20}" + "".join(f"{counts[(row, c)]:>13}" for c in labels))
    return rows


def transcript_of(subject: str, body: str, name: str = "") -> Transcript:
    """A one-mail transcript (for `agent explain` on a plain text file)."""
    return Transcript(1, subject, name, "customer@example.org", (Turn(CUSTOMER, body, T0),))
