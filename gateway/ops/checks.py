"""What a doctor check returns (name, ok|warn|fail, detail, what to do) and how it is printed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import click

Level = Literal["ok", "warn", "fail"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "fail")
_LABEL = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
_COLOUR = {"ok": "green", "warn": "yellow", "fail": "red"}


@dataclass(frozen=True)
class Check:
    """One line of `doctor`: a stable name, its verdict, what was found and what to do."""

    name: str
    status: Level
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warn(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, "warn", detail, fix)


def fail(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, "fail", detail, fix)


def ago(ts: float | None, now: float | None = None) -> str:
    """``12 min ago`` (or ``in 3 min``) for a Unix time; ``never`` for None."""
    if not ts:
        return "never"
    delta = ts - (time.time() if now is None else now)
    seconds = abs(delta)
    amount = f"{seconds:.0f} s"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{seconds / size:.0f} {unit}"
            break
    return f"in {amount}" if delta > 1 else f"{amount} ago"


def failed(checks: Iterable[Check]) -> bool:
    return any(c.status == "fail" for c in checks)


def summary(checks: Iterable[Check]) -> str:
    counts = Counter(c.status for c in checks)
    return (f"{counts['fail']} failed, {counts['warn']} warning(s), {counts['ok']} ok")


def render(checks: list[Check], *, colour: bool | None = None) -> None:
    """Human output: one line per check, the fix indented under anything not ok."""
    width = max((len(c.name) for c in checks), default=0)
    for c in checks:
        label = click.style(_LABEL[c.status], fg=_COLOUR[c.status], bold=c.status != "ok")
        click.echo(f"{label}  {c.name:<{width}}  {c.detail}", color=colour)
        if c.fix and c.status != "ok":
            click.echo(f"      {'':<{width}}  -> {c.fix}", color=colour)
    click.echo(summary(checks), color=colour)
