"""The `opencx-gateway` command line: run the daemon and inspect or repair its state."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from gateway import log as gwlog
from gateway.config import Config, Secrets, database_target, load_config
from gateway.errors import GatewayError, NotFound
from gateway.storage import queues, sessions
from gateway.storage.db import Database
from gateway.storage.pg import redact


class Ctx:
    """Lazily loaded config and database for one CLI invocation."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._cfg: Config | None = None
        self._db: Database | None = None

    @property
    def cfg(self) -> Config:
        if self._cfg is None:
            self._cfg = load_config(self.config_path)
        return self._cfg

    @property
    def db(self) -> Database:
        if self._db is None:
            target = database_target(self.cfg.storage, Secrets.from_env())
            self._db = Database(target).open()
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _ts(value: float | None) -> str:
    if not value:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        render(data)


@click.group()
@click.version_option(package_name="opencx-gateway", prog_name="opencx-gateway",
                      message="%(prog)s %(version)s")
@click.option("--config", "config_path", envvar="OPENCX_GATEWAY_CONFIG", default=None,
              help="Config file (default ./config.yaml).")
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """opencx-gateway: AI-first email support with handoff to HubSpot."""
    gwlog.setup(verbose)
    ctx.obj = Ctx(config_path)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.pass_obj
def run(obj: Ctx) -> None:
    """Run the daemon (SMTP receiver, web UI, workers) until SIGTERM/SIGINT."""
    from gateway.daemon import run_forever
    from gateway.private import UMASK

    os.umask(UMASK)  # customer mail on disk: readable by the service user alone
    asyncio.run(run_forever(obj.cfg, Secrets.from_env()))


@cli.command("check-config")
@click.pass_obj
def check_config(obj: Ctx) -> None:
    """Validate the configuration file and environment overrides."""
    cfg = obj.cfg
    target = database_target(cfg.storage, Secrets.from_env())
    where = redact(target) if isinstance(target, str) else target
    click.echo(f"ok: {len(cfg.smtp.support_addresses)} support address(es), "
               f"database {where}, hubspot {cfg.hubspot.mode}")


# -- inbox ---------------------------------------------------------------------------------
@cli.group()
def inbox() -> None:
    """Sessions and their messages."""


@inbox.command("list")
@click.option("--status", type=click.Choice(["ai", "handed_off", "closed"]))
@click.option("--limit", default=50, show_default=True)
@click.option("--ignored", is_flag=True, help="Show mail recorded but not answered instead.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def inbox_list(obj: Ctx, status: str | None, limit: int, ignored: bool, as_json: bool) -> None:
    """List sessions, most recent activity first."""
    if ignored:
        rows = obj.db.read_sync(lambda c: sessions.list_ignored(c, limit))
        _emit(rows, as_json, lambda rs: [click.echo(
            f"{r['id']}  {_ts(r['received_at'])}  {r['kind'] or '-':<12} {r['mail_from'] or '<>'}"
        ) for r in rs])
        return
    from gateway.failures import failures

    def read(c: Any) -> list[dict[str, Any]]:
        rs = sessions.list_sessions(c, status=status, limit=limit)
        failed = failures(c, [r["id"] for r in rs])
        return [{**r, "failure": failed.get(r["id"])} for r in rs]

    rows = obj.db.read_sync(read)

    def render(rs: list[dict[str, Any]]) -> None:
        if not rs:
            click.echo("no sessions yet")
        for r in rs:
            shown = r["failure"]["label"] if r["failure"] else r["status"]
            click.echo(f"#{r['id']}  {shown:<10} {_ts(r['last_activity_at'])}  "
                       f"{r['contact_email']:<30} {r['subject'][:50]}  ({r['message_count']} msgs)")
            if r["failure"]:
                click.echo(f"      {r['failure']['error'][:200]}; {r['failure']['action']}")

    _emit(rows, as_json, render)


@inbox.command("show")
@click.argument("session_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def inbox_show(obj: Ctx, session_id: int, as_json: bool) -> None:
    """Show one session with its messages."""
    def fetch(c: Any) -> dict[str, Any]:
        s = sessions.get_session(c, session_id)
        if s is None:
            raise NotFound(f"no session #{session_id}")
        s["messages"] = sessions.session_messages(c, session_id)
        return s

    data = obj.db.read_sync(fetch)
    for m in data["messages"]:
        m.pop("html", None) if not as_json else None
    _emit(data, as_json, _render_session)


def _render_session(s: dict[str, Any]) -> None:
    click.echo(f"#{s['id']} {s['subject']}\n  customer: {s['contact_name']} <{s['contact_email']}>"
               f"\n  status:   {s['status']}   support address: {s['support_address']}")
    if s["handoff_reason"]:
        click.echo(f"  handoff:  {s['handoff_reason']}  sentiment={s['sentiment_label']}"
                   f" ({s['sentiment_score']})  language={s['language']}")
    if s["hubspot_ticket_id"]:
        click.echo(f"  hubspot:  ticket {s['hubspot_ticket_id']}  contact "
                   f"{s['hubspot_contact_id']}  thread {s['hubspot_thread_id']}")
    for m in s["messages"]:
        flag = "" if m["kind"] == "normal" else f" [{m['kind']}]"
        out = f" outbox={m['outbox_status']}" if m.get("outbox_status") else ""
        click.echo(f"\n--- {m['role']}{flag} {_ts(m['created_at'])} {m['author']}{out}")
        click.echo(m["text"].strip() or "(empty)")


@inbox.command("raw")
@click.argument("inbound_id")
@click.pass_obj
def inbox_raw(obj: Ctx, inbound_id: str) -> None:
    """Print one received mail exactly as it arrived (ids from `inbox list --ignored`)."""
    row = obj.db.read_sync(lambda c: sessions.get_inbound(c, inbound_id))
    if row is None:
        raise NotFound(f"no inbound mail {inbound_id}")
    sys.stdout.buffer.write(row["raw"])
    sys.stdout.buffer.flush()


@inbox.command("handoff")
@click.argument("session_id", type=int)
@click.option("--reason", default=None, help="Why (shown to the rep in HubSpot).")
@click.pass_obj
def inbox_handoff(obj: Ctx, session_id: int, reason: str | None) -> None:
    """Hand a session to HubSpot now (reason `manual`); the daemon runs the handoff."""
    from gateway.actions import Actions
    from gateway.agent.factory import build_agent

    async def go() -> dict[str, Any]:
        agent = build_agent(obj.cfg.agent, Secrets.from_env())
        try:
            actions = Actions(obj.db, obj.cfg, agent, b"")
            return await actions.handoff(session_id, reason)
        finally:
            await agent.close()

    result = asyncio.run(go())
    tail = "the daemon will create the HubSpot ticket" if result["queued_hubspot"] else (
        "hubspot.mode is off: no ticket will be created")
    click.echo(f"session #{session_id} handed off ({result['detail']}); {tail}")


@cli.command("send-test")
@click.argument("address", required=False)
@click.pass_obj
def send_test(obj: Ctx, address: str | None) -> None:
    """Send a signed test mail to a support address; it must come back through the forward."""
    from gateway.actions import Actions
    from gateway.daemon import local_secret

    cfg = obj.cfg
    targets = [address] if address else [a.address for a in cfg.smtp.support_addresses]
    key = local_secret(cfg, Secrets.from_env(), "secret_key", "OPENCX_GATEWAY_SECRET_KEY")

    async def go() -> list[dict[str, Any]]:
        actions = Actions(obj.db, cfg, agent=None, secret_key=key.encode())  # type: ignore[arg-type]
        return [await actions.send_test(t) for t in targets]

    for r in asyncio.run(go()):
        click.echo(f"queued test mail {r['from']} -> {r['address']}; {r['note']}")


@cli.group()
def signature() -> None:
    """Per-domain reply signatures."""


@signature.command("resolve")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def signature_resolve(obj: Ctx, address: str, as_json: bool) -> None:
    """Show which signature applies to a sender ADDRESS (or domain), and why."""
    from gateway.signatures import resolve_signature

    found = resolve_signature(address, obj.cfg.signatures)
    data = {"address": address, "pattern": found.pattern, "why": found.why,
            "text": found.signature.text if found.signature else None,
            "html": found.signature.html if found.signature else None}

    def render(d: dict[str, Any]) -> None:
        click.echo(d["why"])
        if d["text"]:
            click.echo("\n" + d["text"].rstrip())

    _emit(data, as_json, render)


# -- queue ---------------------------------------------------------------------------------
@cli.group()
def queue() -> None:
    """Jobs waiting, retrying or dead."""


@queue.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include finished jobs.")
@click.option("--dead", is_flag=True, help="Only dead jobs.")
@click.option("--queue", "queue_name", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_list(obj: Ctx, show_all: bool, dead: bool, queue_name: str | None,
               as_json: bool) -> None:
    """List jobs (pending, claimed, dead by default)."""
    statuses = ("dead",) if dead else queues.STATUSES if show_all else ("ready", "claimed", "dead")
    jobs = obj.db.read_sync(lambda c: queues.list_jobs(c, statuses=statuses, queue=queue_name))
    data = [j.as_dict() for j in jobs]

    def render(rows: list[dict[str, Any]]) -> None:
        if not rows:
            click.echo("no jobs")
        for j in rows:
            err = f"  last error: {j['last_error']}" if j["last_error"] else ""
            click.echo(f"{j['id']:>6} {j['queue']:<8} {j['status']:<8} attempts={j['attempts']}"
                       f"/{j['max_attempts']} due={_ts(j['not_before'])}{err}")

    _emit(data, as_json, render)


@queue.command("requeue")
@click.argument("job_id", type=int)
@click.pass_obj
def queue_requeue(obj: Ctx, job_id: int) -> None:
    """Give a dead job a fresh set of attempts (the daemon picks it up)."""
    job = obj.db.write_sync(lambda c: queues.requeue(c, job_id, now=time.time()))
    if job is None:
        raise NotFound(f"job {job_id} is not dead or waiting (see `queue list --all`)")
    click.echo(f"requeued job {job_id} ({job.queue})")


# -- storage -------------------------------------------------------------------------------
@cli.group()
def storage() -> None:
    """The database: move an SQLite installation to PostgreSQL."""


@storage.command("migrate-to-postgres")
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="SQLite file (default: storage.path of the config).")
@click.option("--to", "target", default=None, metavar="URL",
              help="postgresql://... (default: OPENCX_GATEWAY_DATABASE_URL, then storage.url).")
@click.pass_obj
def storage_migrate(obj: Ctx, source: Path | None, target: str | None) -> None:
    """Copy every row into an empty PostgreSQL database (stop the daemon first)."""
    import psycopg

    from gateway.storage.transfer import copy_sqlite_to_postgres

    url = target or Secrets.from_env().get("database_url") or obj.cfg.storage.url
    if not url or not url.startswith(("postgresql://", "postgres://")):
        raise click.UsageError("--to postgresql://... (or OPENCX_GATEWAY_DATABASE_URL) needed")
    path = source or obj.cfg.storage.path
    try:
        counts = copy_sqlite_to_postgres(path, url)
    except (ValueError, psycopg.Error) as exc:
        raise GatewayError(str(exc).strip().splitlines()[0]) from exc
    for table, n in counts.items():
        click.echo(f"{table:<26} {n:>8} rows")
    click.echo(f"copied {sum(counts.values())} rows from {path}; set storage.url and restart")


def _register_subcommands() -> None:
    """Command groups owned by subsystems (imported lazily so `--help` stays fast)."""
    from gateway.agent.cli import agent
    from gateway.hubspot.cli import hubspot
    from gateway.ops.doctor import doctor
    from gateway.ops.status import status

    for command in (doctor, status, hubspot, agent):
        cli.add_command(command)
    _config_everywhere(cli)


def _set_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().obj.config_path = value


def _config_everywhere(group: click.Group) -> None:
    """`--config PATH` is accepted after any subcommand too (`run --config x`)."""
    for command in group.commands.values():
        if not any(p.name == "subcommand_config" for p in command.params):
            command.params.append(click.Option(
                ["--config", "subcommand_config"], expose_value=False, default=None,
                callback=_set_config, help="Config file (default ./config.yaml)."))
        if isinstance(command, click.Group):
            _config_everywhere(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors become one readable line and a non-zero exit."""
    _register_subcommands()
    try:
        cli.main(args=argv, prog_name="opencx-gateway", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GatewayError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = getattr(exc, "filename", "") or ""
        click.echo(f"error: {exc.strerror or exc}: {where}".rstrip(": "), err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

