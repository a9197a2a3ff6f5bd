"""`opencx-gateway doctor`: every check with what to do; exit 1 when any check fails."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping

import click

from gateway.config import Config, Secrets
from gateway.ops import checks
from gateway.ops.checks import Check


async def run_checks(config_path: str | None,
                     environ: Mapping[str, str] | None = None) -> list[Check]:
    """All checks in a stable order; a broken config stops after the config line."""
    from gateway.ops import local

    env = os.environ if environ is None else environ
    cfg, config_check = local.check_config(config_path, env)
    if cfg is None:
        return [config_check]
    return [config_check, *await _checks(cfg, Secrets.from_env(env))]


async def _checks(cfg: Config, secrets: Secrets) -> list[Check]:
    from gateway.ops import local, network  # imported here so that `--help` stays fast
    from gateway.ops.hubspot_checks import check_hubspot

    database = await asyncio.to_thread(local.check_database, cfg)
    smtp, http = await asyncio.gather(network.check_smtp_listener(cfg),
                                      network.check_http_listener(cfg))
    running = smtp.answering or http.answering
    hubspot, relay = await asyncio.gather(
        check_hubspot(cfg, secrets, daemon_running=running),
        network.check_relay(cfg, secrets))
    databases = database if isinstance(database, list) else [database]
    return [*databases, smtp.check, http.check, *local.check_forwarding(cfg), *hubspot, relay,
            *local.check_signatures(cfg), local.check_queues(cfg)]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check config, database, listeners, forwarding, HubSpot, relay and signatures.

    Each problem says what to do; the exit status is 1 when any check fails.
    """
    config_path = getattr(ctx.find_root().obj, "config_path", None)
    results = asyncio.run(run_checks(config_path))
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in results], indent=2))
    else:
        checks.render(results)
    if checks.failed(results):
        sys.exit(1)
