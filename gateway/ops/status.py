"""`opencx-gateway status`: queues, dead jobs, sessions, last mail, HubSpot and relay health."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import click

from gateway.config import Config, Secrets, load_config, split_hostport
from gateway.failures import failures
from gateway.ops.checks import Check, ago
from gateway.storage import hubspot as hs
from gateway.storage import instances, ops, queues, sessions
from gateway.storage.pg import psycopg, redact

JOB_FIELDS = ("id", "queue", "status", "attempts", "max_attempts", "not_before", "last_error",
              "updated_at")


def read_database(conn: sqlite3.Connection, now: float) -> dict[str, Any]:
    """Everything status shows from the database (no message bodies, no payloads)."""
    values = hs.setup_values(conn)
    return {
        "queues": queues.depths(conn, now=now),
        "dead_jobs": [_job(j) for j in queues.list_jobs(conn, statuses=("dead",), limit=20)],
        "retrying_jobs": [_job(j) for j in ops.failing_jobs(conn)],
        "sessions": sessions.count_sessions(conn),
        "failed_sessions": [{"session_id": sid, **f} for sid, f in failures(conn).items()][:20],
        "last_inbound": ops.last_inbound(conn),
        "inbound_24h": ops.inbound_count(conn, now - 86400),
        "outgoing": ops.outgoing_summary(conn),
        "instances": instances.list_instances(conn, now=now, since=now - 3600),
        "hubspot": {"handoffs": hs.handoff_counts(conn),
                    "last_error": hs.last_job_error(conn, ("hubspot", "webhook")),
                    "last_webhook": values.get("last_webhook"),
                    "last_webhook_failure": values.get("last_webhook_failure")},
    }


def _job(job: queues.Job) -> dict[str, Any]:
    return {k: getattr(job, k) for k in JOB_FIELDS}


async def daemon_state(cfg: Config) -> dict[str, Any]:
    """The running daemon's /readyz, or running: false."""
    from gateway.ops.network import NOT_RUNNING, PROBE_TIMEOUT
    from gateway.ops.probes import http_get, local_url

    url = local_url(*split_hostport(cfg.http.listen), "/readyz")
    try:
        answer = await http_get(url, PROBE_TIMEOUT)
    except NOT_RUNNING:
        return {"running": False, "url": url}
    body = answer.body if isinstance(answer.body, dict) else {}
    return {"running": True, "url": url, "ready": answer.status == 200,
            "checks": body.get("checks", {})}


async def collect(cfg: Config, secrets: Secrets, *, probe: bool = True,
                  now: float | None = None) -> dict[str, Any]:
    from gateway.ops import network  # imported here so that `--help` stays fast
    from gateway.ops.hubspot_checks import check_hubspot
    from gateway.ops.local import db_target, read_if_ready

    now = time.time() if now is None else now
    target = db_target(cfg)
    try:
        db = await asyncio.to_thread(read_if_ready, target, lambda c: read_database(c, now))
    except (sqlite3.Error, psycopg.Error) as exc:
        db = {"error": str(exc).strip()}
    daemon = await daemon_state(cfg)
    health: dict[str, list[Check]] = {}
    if probe:
        hubspot, relay = await asyncio.gather(
            check_hubspot(cfg, secrets, daemon_running=daemon["running"]),
            network.check_relay(cfg, secrets))
        health = {"hubspot": hubspot, "relay": [relay]}
    where = redact(target) if isinstance(target, str) else str(cfg.storage.path.absolute())
    return {"at": now, "database": where, "daemon": daemon,
            "state": db,
            "hubspot_mode": cfg.hubspot.mode, "outbound_mode": cfg.outbound.mode,
            "health": {k: [c.as_dict() for c in v] for k, v in health.items()}}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@click.option("--no-probe", is_flag=True, help="Do not contact HubSpot or the relay.")
@click.pass_context
def status(ctx: click.Context, as_json: bool, no_probe: bool) -> None:
    """Queue depths, dead jobs, sessions, last mail, and HubSpot and relay health."""
    cfg = load_config(getattr(ctx.find_root().obj, "config_path", None))
    data = asyncio.run(collect(cfg, Secrets.from_env(), probe=not no_probe))
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        render(data)


def _ts(value: float | None) -> str:
    if not value:
        return "-"
    stamp = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({ago(value)})"


def _line(label: str, text: str) -> None:
    click.echo(f"{label:<11} {text}")


def render(data: dict[str, Any]) -> None:
    """Human output: one block per subject."""
    _render_daemon(data["daemon"])
    state = data["state"]
    if state is None:
        _line("database", f"{data['database']} does not exist yet (the daemon has not run)")
    elif "error" in state:
        _line("database", f"{data['database']}: cannot read: {state['error']}")
    else:
        _render_state(state, data["at"])
    for subject in ("hubspot", "relay"):
        _render_health(subject, data["health"].get(subject), data)


def _render_daemon(d: dict[str, Any]) -> None:
    if not d["running"]:
        _line("daemon", f"not running (nothing answers at {d['url']})")
        return
    checks = ", ".join(f"{k} {v}" for k, v in d["checks"].items())
    _line("daemon", f"running: {'ready' if d['ready'] else 'NOT READY'} ({checks})")


def _render_state(s: dict[str, Any], now: float) -> None:
    _line("sessions", ", ".join(f"{k} {v}" for k, v in s["sessions"].items()))
    for f in s.get("failed_sessions", []):
        _line("FAILED", f"#{f['session_id']} {f['label']}: {f['error'][:200]}; {f['action']}")
    last = s["last_inbound"]
    mail = f"last {_ts(last['received_at'])}" if last else "none received yet"
    _line("mail in", f"{mail}; {s['inbound_24h']} in the last 24 h")
    _render_queues(s["queues"])
    _render_instances(s.get("instances", []))
    for job in s["dead_jobs"]:
        _line("dead", f"job {job['id']} {job['queue']} after {job['attempts']} attempt(s), "
              f"{_ts(job['updated_at'])}: {job['last_error']}")
    for job in s["retrying_jobs"]:
        _line("retrying", f"job {job['id']} {job['queue']} attempt {job['attempts']}/"
              f"{job['max_attempts']}, next {_ts(job['not_before'])}: {job['last_error']}")
    out = s["outgoing"]
    counts = ", ".join(f"{k} {v}" for k, v in sorted(out["counts"].items())) or "none yet"
    err = out["last_error"]
    tail = f"; last error ({err['status']}): {err['last_error']}" if err else ""
    _line("mail out", f"{counts}; last sent {_ts(out['last_sent_at'])}{tail}")
    hub = s["hubspot"]
    handoffs = ", ".join(f"{k} {v}" for k, v in sorted(hub["handoffs"].items())) or "none yet"
    hook = hub["last_webhook"]
    _line("handoffs", f"{handoffs}; last webhook {_ts(hook['at']) if hook else 'never'}")
    if hub["last_error"]:
        e = hub["last_error"]
        _line("", f"last HubSpot job error (job {e['id']}, {e['status']}): {e['last_error']}")


def _render_queues(depths: dict[str, dict[str, Any]]) -> None:
    if not depths:
        _line("queues", "empty")
        return
    _line("queues", f"{'queue':<10}{'ready':>7}{'claimed':>9}{'retrying':>10}{'dead':>6}  oldest")
    for name, d in sorted(depths.items()):
        oldest = f"{d['oldest_age']:.0f} s" if d.get("oldest_age") is not None else "-"
        _line("", f"{name:<10}{d.get('ready', 0):>7}{d.get('claimed', 0):>9}"
              f"{d.get('retrying', 0):>10}{d.get('dead', 0):>6}  {oldest}")


def _render_instances(found: list[dict[str, Any]]) -> None:
    """One line per instance: heartbeat age, jobs held now, share of the last hour's jobs."""
    if len(found) < 2 and not any(i["stopped_at"] is None for i in found[1:]):
        if found:
            i = found[-1]
            _line("instance", f"{i['id']} heartbeat {i['heartbeat_age']:.0f} s ago")
        return
    _line("instances", f"{'instance':<28}{'heartbeat':>10}{'held':>6}{'share':>7}  smtp")
    for i in found:
        beat = "stopped" if i["stopped_at"] else f"{i['heartbeat_age']:.0f} s"
        _line("", f"{i['id'][:27]:<28}{beat:>10}{i['jobs_held']:>6}{i['queue_share']:>7.0%}"
              f"  {i['smtp'] or '-'}")


def _render_health(subject: str, found: list[dict[str, Any]] | None, data: dict[str, Any]
                   ) -> None:
    mode = data["hubspot_mode"] if subject == "hubspot" else data["outbound_mode"]
    if found is None:
        _line(subject, f"mode {mode} (not probed)")
        return
    bad = [c for c in found if c["status"] != "ok"]
    if not bad:
        _line(subject, f"mode {mode}: ok ({'; '.join(c['detail'] for c in found[:1])})")
    for c in bad:
        _line(subject, f"{c['status'].upper()} {c['name']}: {c['detail']}")
