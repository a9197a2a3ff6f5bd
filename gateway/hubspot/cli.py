"""`opencx-gateway hubspot ...`: setup, status, the standalone emulator, and acting as a rep."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp
import click

from gateway.config import Config, Secrets
from gateway.errors import GatewayError
from gateway.hubspot.errors import HubSpotError
from gateway.hubspot.setup import SetupChoiceError, SetupState, check_routes, run_setup
from gateway.hubspot.webhooks import APP_PATH
from gateway.storage import hubspot as hs
from gateway.storage.db import Database


def _obj(ctx: click.Context) -> Any:
    return ctx.find_root().obj  # gateway.cli.Ctx: lazily loaded config and database


def _client(cfg: Config, db: Database | None = None) -> Any:
    from gateway.hubspot.service import credentials, make_client

    if cfg.hubspot.mode == "off":
        raise GatewayError("hubspot.mode is off")
    return make_client(cfg, credentials(cfg, Secrets.from_env()), db,
                       public_url=_public_url(cfg))


def _public_url(cfg: Config) -> str:
    from gateway.daemon import public_url_of

    return public_url_of(cfg, None)


def _emulator_url(cfg: Config) -> str:
    return "http://" + cfg.hubspot.emulator.listen


async def _emulator_call(cfg: Config, method: str, path: str, body: Any = None) -> Any:
    """A call to the running emulator's /_emulator control API."""
    url = _emulator_url(cfg) + path
    try:
        async with aiohttp.ClientSession() as session, session.request(
                method, url, json=body, timeout=aiohttp.ClientTimeout(total=15)) as resp:
            data = await resp.json(content_type=None) if resp.status != 204 else None
    except aiohttp.ClientError as exc:
        raise GatewayError(f"no HubSpot emulator at {_emulator_url(cfg)} ({type(exc).__name__}):"
                           " is the daemon running with hubspot.mode emulator, or "
                           "`opencx-gateway hubspot emulator`?") from None
    if resp.status >= 400:
        raise GatewayError(f"emulator: HTTP {resp.status}: {(data or {}).get('message')}")
    return data


@click.group()
def hubspot() -> None:
    """HubSpot: setup, status, and the local emulator."""


@hubspot.command("setup")
@click.option("--pipeline", default=None, help="Ticket pipeline id for new tickets (listed "
              "by this command); stored and used from now on")
@click.option("--stage", default=None, help="Stage id in that pipeline for new tickets "
              "(default: its first open stage)")
@click.option("--choose", is_flag=True, help="Pick the pipeline and stage from a numbered "
              "list of the portal's open stages")
@click.pass_context
def setup_cmd(ctx: click.Context, pipeline: str | None, stage: str | None,
              choose: bool) -> None:
    """Create the ticket properties, register the custom channel and one channel account per
    support address, choose the ticket pipeline; print pipelines and webhook URLs."""
    obj = _obj(ctx)
    cfg: Config = obj.cfg
    if choose and not pipeline:
        pipeline, stage = _pick_route(asyncio.run(_pipelines(cfg, obj.db)))
    state, report = asyncio.run(_setup(cfg, obj.db, pipeline, stage))
    click.echo(f"ticket properties: {cfg.hubspot.tag_property} "
               f"{'ok' if state.tag_property else 'MISSING'}, opencx_handoff_key "
               f"{'ok' if state.key_property else 'MISSING'}")
    _echo_pipelines(report)
    if state.integration == "channel":
        click.echo(f"custom channel {state.channel_id}")
        for address, ids in state.accounts.items():
            click.echo(f"  {address}: channel account {ids['channel_account_id']} in inbox "
                       f"{ids['inbox_id']}")
    else:
        click.echo(f"private-app mode: {state.reason}")
    click.echo("Configure these webhook URLs in HubSpot:")
    click.echo(f"  app webhooks (Webhooks API target URL):  {state.webhook_urls['app']}")
    click.echo("    subscribe: conversation.newMessage, ticket.propertyChange (hs_pipeline_stage)")
    if state.integration == "channel":
        click.echo(f"  custom channel webhookUrl (set by setup): {state.webhook_urls['channel']}")
    problems = [f"{who}: {r['problem']}" for who, r in report["routes"].items() if r["problem"]]
    if problems:
        raise GatewayError("; ".join(problems) + ": choose with `opencx-gateway hubspot setup "
                           "--pipeline ID --stage ID` (or set hubspot.pipeline/stage)")


async def _pipelines(cfg: Config, db: Database) -> list[Any]:
    client = _client(cfg, db)
    try:
        return list(await client.ticket_pipelines())
    except HubSpotError as exc:
        raise GatewayError(f"cannot list the ticket pipelines: {exc}") from None
    finally:
        await client.close()


def _pick_route(pipelines: list[Any]) -> tuple[str, str]:
    """A numbered list of every open stage; the operator types a number."""
    options = [(p, s) for p in pipelines for s in p.stages if not s.is_closed]
    if not options:
        raise GatewayError("the portal has no ticket pipeline with an open stage")
    for number, (p, s) in enumerate(options, 1):
        click.echo(f"  {number:>2}. {p.label} ({p.id}) > {s.label} ({s.id})")
    number = click.prompt("New tickets go to", type=click.IntRange(1, len(options)))
    chosen_pipeline, chosen_stage = options[number - 1]
    return chosen_pipeline.id, chosen_stage.id


def _echo_pipelines(report: dict[str, Any]) -> None:
    """The portal's ticket pipelines and stages, marking those in use."""
    used = {(r["pipeline"], r["stage"]) for r in report["routes"].values()}
    click.echo("ticket pipelines in the portal (id: label):")
    for p in report["pipelines"]:
        click.echo(f"  {p['id']}: {p['label']}")
        for s in p["stages"]:
            mark = "  <- in use" if (p["id"], s["id"]) in used else ""
            closed = " [closed]" if s["closed"] else ""
            click.echo(f"      {s['id']}: {s['label']}{closed}{mark}")
    for who, route in report["routes"].items():
        click.echo(f"  {who}: pipeline {route['pipeline']}, stage {route['stage']}")


async def _setup(cfg: Config, db: Database, pipeline: str | None = None,
                 stage: str | None = None) -> tuple[SetupState, dict[str, Any]]:
    client = _client(cfg, db)
    addresses = [a.address for a in cfg.smtp.support_addresses]
    try:
        previous = SetupState.from_values(await db.read(hs.setup_values))
        state = await run_setup(client, cfg.hubspot, support_addresses=addresses,
                                public_url=_public_url(cfg), previous=previous,
                                pipeline=pipeline, stage=stage)
        report = await check_routes(client, cfg.hubspot, state, addresses)
    except SetupChoiceError as exc:
        raise GatewayError(f"HubSpot setup: {exc}") from None
    except HubSpotError as exc:
        raise GatewayError(f"HubSpot setup failed: {exc}") from None
    finally:
        await client.close()
    now = time.time()
    await db.write(lambda c: hs.set_setup_values(c, state.to_values(), now))
    if cfg.hubspot.mode == "emulator":
        await _emulator_call(cfg, "PATCH", "/_emulator/settings",
                             {"webhookTargetUrl": _public_url(cfg) + APP_PATH})
    return state, report


@hubspot.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """Token, scopes, properties, channel, webhook URLs, last webhook, last error."""
    from gateway.hubspot.service import collect_status

    obj = _obj(ctx)
    cfg: Config = obj.cfg

    async def go() -> dict[str, Any]:
        client = _client(cfg, obj.db)
        try:
            return await collect_status(client, cfg, obj.db, mode=cfg.hubspot.mode,
                                        public_url=_public_url(cfg))
        finally:
            await client.close()

    report = asyncio.run(go())
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    _print_status(report)


def _print_status(r: dict[str, Any]) -> None:
    setup = r.get("setup") or {}
    click.echo(f"mode {r['mode']}  {r['base_url']}  app id {r['app_id']}")
    cred = r.get("credentials") or {}
    click.echo(f"credentials: {cred.get('label')}: {cred.get('explain')}")
    oauth = cred.get("oauth")
    if oauth:
        click.echo(f"oauth: installed {oauth['installed']}  status {oauth['status']}  "
                   f"renewals {oauth['refreshes']}" + (f"  error {oauth['error']}"
                                                       if oauth.get("error") else ""))
    click.echo(f"token valid: {r['token_valid']}  missing scopes: "
               f"{', '.join(r['missing_scopes']) or 'none'}")
    click.echo(f"integration: {setup.get('integration', 'not set up')} "
               f"({setup.get('reason', 'run `opencx-gateway hubspot setup`')})")
    click.echo(f"channel {setup.get('channel_id')}  account {setup.get('channel_account_id')}")
    portal = r.get("portal") or {}
    click.echo(f"portal {portal.get('id') or 'unknown'} " + (
        "(hubspot.portal_id)" if portal.get("source") == "config" else
        "(detected at setup)" if portal.get("source") == "detected" else
        "(run `opencx-gateway hubspot setup` or set hubspot.portal_id for links)"))
    for address, ids in (setup.get("accounts") or {}).items():
        click.echo(f"  {address}: channel account {ids.get('channel_account_id')} in inbox "
                   f"{ids.get('inbox_id')}")
    for who, route in (r["setup_check"].get("routes") or {}).items():
        click.echo(f"tickets ({who}): pipeline {route['pipeline']} stage {route['stage']}"
                   f"{'  PROBLEM: ' + route['problem'] if route['problem'] else ''}")
    for kind, url in r["webhook_urls"].items():
        click.echo(f"webhook {kind:<8} {url}")
    click.echo(f"last webhook: {r.get('last_webhook')}")
    if r.get("last_webhook_failure"):
        click.echo(f"last rejected webhook: {r['last_webhook_failure']}")
    click.echo(f"handoffs: {r['handoffs']}  webhook events: {r['events']['counts']}")
    if r.get("last_job_error"):
        click.echo(f"last error: {r['last_job_error']['last_error']}")
    for problem in r["setup_check"]["problems"]:
        click.echo(f"problem: {problem}")


@hubspot.command("verify-live")
@click.option("--settle", default=5.0, show_default=True,
              help="Seconds to wait for a help-desk portal to create a ticket.")
@click.pass_context
def verify_live_cmd(ctx: click.Context, settle: float) -> None:
    """Try every UNCONFIRMED HubSpot behaviour with throw-away objects (a developer test
    account, please); print what HubSpot did per point; delete what it made."""
    from gateway.hubspot.verify import verify_live

    obj = _obj(ctx)
    cfg: Config = obj.cfg

    async def go() -> Any:
        client = _client(cfg, obj.db)
        values = await obj.db.read(hs.setup_values)
        stored = SetupState.from_values(values)
        try:
            return await verify_live(
                client, pipeline=cfg.hubspot.pipeline, stage=cfg.hubspot.stage,
                channel_id=stored.channel_id if stored else None,
                account_id=stored.channel_account_id if stored else None,
                inbox_id=cfg.hubspot.inbox_id, webhook_url=_public_url(cfg) + "/webhooks/"
                "hubspot/channel", settle=settle,
                webhooks_seen={k: values.get(f"last_webhook_{k}") for k in ("app", "channel")})
        finally:
            await client.close()

    run = asyncio.run(go())
    target = cfg.hubspot.base_url if cfg.hubspot.mode == "live" else "the emulator"
    click.echo(f"verify-live {run.tag} against {target}:")
    for finding in run.findings:
        click.echo(f"  {finding.point:<16} {finding.outcome:<15} {finding.detail}")
    click.echo(f"deleted: {', '.join(run.deleted) or 'nothing'}")
    if run.leftovers:
        click.echo(f"NOT deleted (remove by hand): {'; '.join(run.leftovers)}")
    if any(f.outcome == "error" for f in run.findings) or run.leftovers:
        raise SystemExit(1)


@hubspot.command("emulator")
@click.pass_context
def emulator_cmd(ctx: click.Context) -> None:
    """Run the HubSpot emulator alone on hubspot.emulator.listen (Ctrl-C stops it)."""
    from gateway.hubspot.emulator import serve
    from gateway.hubspot.service import (
        EMULATOR_APP_ID,
        EMULATOR_CLIENT_SECRET,
        EMULATOR_DEVELOPER_KEY,
        EMULATOR_PORTAL_ID,
        EMULATOR_TOKEN,
    )

    cfg: Config = _obj(ctx).cfg
    hub = cfg.hubspot
    click.echo(f"HubSpot emulator on {_emulator_url(cfg)} (token {EMULATOR_TOKEN}); "
               f"app webhooks go to {_public_url(cfg)}{APP_PATH}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(hub.emulator.listen, token=EMULATOR_TOKEN,
                          client_secret=EMULATOR_CLIENT_SECRET,
                          developer_api_key=EMULATOR_DEVELOPER_KEY,
                          app_id=hub.app_id or EMULATOR_APP_ID,
                          portal_id=hub.portal_id or EMULATOR_PORTAL_ID,
                          search_lag=hub.emulator.search_lag_seconds,
                          webhook_target_url=_public_url(cfg) + APP_PATH,
                          portal=hub.emulator.portal, inboxes=hub.emulator.inboxes,
                          helpdesk_auto_ticket=hub.emulator.helpdesk_auto_ticket))


@hubspot.command("reply")
@click.argument("thread_id")
@click.argument("text")
@click.option("--html", "is_html", is_flag=True, help="TEXT is HTML (sent as richText).")
@click.pass_context
def reply_cmd(ctx: click.Context, thread_id: str, text: str, is_html: bool) -> None:
    """As a rep in the emulator: reply publicly on a thread (the customer gets an email)."""
    from gateway.render import html_to_text

    body = {"text": html_to_text(text).strip(), "richText": text} if is_html else {"text": text}
    msg = asyncio.run(_emulator_call(_obj(ctx).cfg, "POST",
                                     f"/_emulator/threads/{thread_id}/reply", body))
    click.echo(f"replied on thread {thread_id}: message {msg['id']}")


@hubspot.command("comment")
@click.argument("thread_id")
@click.argument("text")
@click.pass_context
def comment_cmd(ctx: click.Context, thread_id: str, text: str) -> None:
    """As a rep in the emulator: add an internal comment (never emailed)."""
    msg = asyncio.run(_emulator_call(_obj(ctx).cfg, "POST",
                                     f"/_emulator/threads/{thread_id}/comment", {"text": text}))
    click.echo(f"commented on thread {thread_id}: message {msg['id']}")


@hubspot.command("close")
@click.argument("ticket_id")
@click.pass_context
def close_cmd(ctx: click.Context, ticket_id: str) -> None:
    """As a rep in the emulator: move the ticket to a closed stage."""
    ticket = asyncio.run(_emulator_call(_obj(ctx).cfg, "POST",
                                        f"/_emulator/tickets/{ticket_id}/close", {}))
    stage = (ticket.get("properties") or {}).get("hs_pipeline_stage")
    click.echo(f"ticket {ticket_id} closed (stage {stage})")
