"""`opencx-gateway agent ...`: score the configured agent on labelled mail, explain one decision."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import click

from gateway.agent.base import Escalation
from gateway.agent.evaluation import LabelledMail, load_labelled, outcome, report, run, source_ok
from gateway.config import AgentConfig, Secrets
from gateway.errors import ConfigError


@click.group()
def agent() -> None:
    """Evaluate and explain the configured agent."""


def _config(obj: object, kb: Path | None) -> AgentConfig:
    cfg: AgentConfig = obj.cfg.agent  # type: ignore[attr-defined]
    return cfg.model_copy(update={"knowledge_base": kb}) if kb is not None else cfg


def _load(path: Path) -> list[LabelledMail]:
    try:
        mails = load_labelled(path)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not mails:
        raise ConfigError(f"{path}: no mails")
    return mails


@agent.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kb", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Knowledge base folder (default: agent.knowledge_base of the config).")
@click.option("--errors", is_flag=True, help="Also list every mail decided wrongly.")
@click.pass_obj
def agent_eval(obj: object, path: Path, kb: Path | None, errors: bool) -> None:
    """Score the configured agent on a labelled JSONL set (format: docs/agent.md)."""
    from gateway.agent.factory import build_agent

    mails = _load(path)
    cfg = _config(obj, kb)
    logging.getLogger("gateway.agent").setLevel(logging.WARNING)  # one line per mail is noise

    async def go() -> None:
        agent = build_agent(cfg, Secrets.from_env())
        try:
            results = await run(agent, mails)
        finally:
            await agent.close()
        click.echo(f"{path} ({cfg.kind} agent)")
        click.echo(report(results))
        if errors:
            click.echo("\nwrong:")
            for mail, decision in results:
                if outcome(decision) != mail.expect or not source_ok(mail, decision):
                    action = decision.action
                    why = action.detail if isinstance(action, Escalation) else action.sources
                    click.echo(f"  {mail.id} [{mail.lang}] expected {mail.expect}, got"
                               f" {outcome(decision)}: {why}")

    asyncio.run(go())


@agent.command("explain")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "mail_id", default=None, help="Which mail of a .jsonl set (default: first).")
@click.option("--subject", default="", help="Subject, when PATH is a plain text mail body.")
@click.option("--kb", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Knowledge base folder (default: agent.knowledge_base of the config).")
@click.pass_obj
def agent_explain(obj: object, path: Path, mail_id: str | None, subject: str,
                  kb: Path | None) -> None:
    """Show why the agent answers or escalates one mail: rules, scores, passages."""
    from gateway.agent.explain import explain
    from gateway.agent.factory import build_agent

    if path.suffix in (".jsonl", ".yaml", ".yml"):
        mails = _load(path)
        picked = [m for m in mails if mail_id is None or m.id == mail_id]
        if not picked:
            raise ConfigError(f"{path}: no mail with id {mail_id!r}")
        transcript = picked[0].transcript
    else:
        from gateway.agent.evaluation import transcript_of
        transcript = transcript_of(subject, path.read_text(encoding="utf-8"))
    cfg = _config(obj, kb)

    async def go() -> None:
        agent = build_agent(cfg, Secrets.from_env())
        try:
            click.echo(await explain(agent, transcript))
        finally:
            await agent.close()

    asyncio.run(go())
